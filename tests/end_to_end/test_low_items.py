"""Reorder points and the list of low items through a local stack of each kind of API, as a client uses them: signed
HTTP requests, the function's calls held to its role's policies (the table's index, the batch read, the cursor key)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.running_stack import RunningStack, eventually, running

pytestmark = pytest.mark.local_stack  # starts a local stack of each kind of API: not in `make check`

INVALID_CURSOR = {"message": "cursor is not valid for this list; start again without it"}


@pytest.fixture(scope="module", params=["rest", "http"])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    yield from running(tmp_path_factory.mktemp(f"{request.param}-low-items"), {"apiKind": request.param})


def put(stack: RunningStack, stock_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return stack.request("PUT", f"/stocks/{stock_id}", json.dumps(body))


def pages(stack: RunningStack, limit: int) -> list[dict[str, Any]]:
    """Every page of the list, `limit` at a time, each cursor sent back as the page before gave it."""
    found, query = [], f"low=true&limit={limit}"
    while True:
        status, page = stack.request("GET", f"/stocks?{query}")
        assert status == 200, page
        assert len(page["items"]) <= limit
        found.append(page)
        if page["next_cursor"] is None:
            return found
        query = f"low=true&limit={limit}&cursor={page['next_cursor']}"


def listed(stack: RunningStack, prefix: str, limit: int = 2) -> list[str]:
    """The ids starting with `prefix` on the list as paged through now, in the list's order."""
    return [
        item["stock_id"]
        for page in pages(stack, limit)
        for item in page["items"]
        if item["stock_id"].startswith(prefix)
    ]


def fresh_prefix() -> str:
    return f"L{uuid.uuid4().hex[:7]}-"


def test_a_reorder_point_is_set_before_any_level_and_read_back(stack):
    stock_id = f"{fresh_prefix()}R"
    status, body = put(stack, stock_id, {"reorder_point": 5})
    assert (status, body["reorder_point"], body["reorder_point_source"], body["stale_fields"]) == (200, 5, "item", [])
    status, body = stack.request("GET", f"/stocks/{stock_id}")
    assert status == 200
    assert (body["stock_level"], body["as_of"], body["reorder_point"], body["low"]) == (None, None, 5, False)
    status, body = put(stack, stock_id, {"stock_level": 5})
    assert (status, body["low"]) == (200, True)


def test_the_low_items_are_paged_through_a_few_at_a_time_once_the_stream_has_listed_them(stack):
    prefix = fresh_prefix()
    low = [f"{prefix}{number}" for number in range(5)]
    for stock_id in low:
        assert put(stack, stock_id, {"stock_level": 2, "reorder_point": 4})[0] == 200
    assert put(stack, f"{prefix}high", {"stock_level": 9, "reorder_point": 4})[0] == 200
    # The stream's function lists each item once it has seen it become low: wait for that, not for a time.
    eventually(lambda: sorted(listed(stack, prefix)) == low, timeout=120)
    found = listed(stack, prefix)
    assert sorted(found) == low  # each once, whatever the page it fell on


def test_an_item_no_longer_low_leaves_the_list(stack):
    prefix = fresh_prefix()
    stock_id = f"{prefix}0"
    put(stack, stock_id, {"stock_level": 0})
    eventually(lambda: listed(stack, prefix, limit=1000) == [stock_id], timeout=120)
    assert put(stack, stock_id, {"low_stock_alerts": False})[0] == 200
    assert listed(stack, prefix, limit=1000) == []  # left out at once, as stored; the stream unlists it after


def test_a_cursor_altered_or_cut_is_refused_and_the_list_starts_again_without_it(stack):
    prefix = fresh_prefix()
    for number in range(3):
        put(stack, f"{prefix}{number}", {"stock_level": 0})
    eventually(lambda: len(listed(stack, prefix)) == 3, timeout=120)
    cursor = stack.request("GET", "/stocks?low=true&limit=1")[1]["next_cursor"]
    assert cursor
    altered = cursor[:5] + ("B" if cursor[5] == "A" else "A") + cursor[6:]
    for bad in (altered, cursor[: len(cursor) // 2], cursor + "A"):
        assert stack.request("GET", f"/stocks?low=true&limit=1&cursor={bad}") == (400, INVALID_CURSOR)
    assert stack.request("GET", f"/stocks?low=true&limit=1&cursor={cursor}")[0] == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "GET /stocks lists the items that are low now: add low=true, the one list it serves"),
        ("?low=maybe", "low must be true, the one list GET /stocks serves, not 'maybe'"),
        ("?low=true&low=true", "query parameter(s) low given more than once; give each once"),
        ("?low=true&colour=red", "unknown query parameter(s) colour; GET /stocks takes low, limit, cursor"),
    ],
)
def test_a_list_request_out_of_its_rules_is_a_400_naming_what_is_wrong(stack, query, message):
    assert stack.request("GET", f"/stocks{query}") == (400, {"message": message})


def test_a_reorder_point_out_of_its_limits_is_a_400_naming_it(stack):
    status, body = put(stack, f"{fresh_prefix()}X", {"reorder_point": -1})
    assert (status, body["message"]) == (400, "reorder_point must be a whole number from 0 to 1000000000, not -1")
