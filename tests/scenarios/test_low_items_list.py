"""The list of low items, tried from outside: paged through with the cursors it gives, each item seen once and in
the same order each time; a cursor altered, or a list it does not serve, refused with a message.

The list holds every low item of the stack, other scenarios' among them: a scenario looks for its own items in it.
"""

from __future__ import annotations

import pytest

from tests.running_stack import eventually
from tests.scenarios.low_list import get, listed, page, pages
from tests.scenarios.target import Target

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`

ITEMS = 250
PAGE = 100
# The stream's function lists each item once it has seen it become low: hundreds of records, and their alerts.
LISTED_TIMEOUT = 300


@pytest.fixture
def low_items(target: Target, unique: str) -> list[str]:
    """ITEMS items made low by one file through the queue (one message, not one request each), once all are listed."""
    ids = [f"{unique}-{number:03d}" for number in range(ITEMS)]
    # Low whatever the stack's default: each its own reorder point, above its level.
    body = "\n".join(f"{stock_id};stock_level=0;reorder_point=1" for stock_id in ids)
    target.client("sqs").send_message(QueueUrl=target.outputs["queue_url"], MessageBody=body)

    eventually(lambda: sorted(listed(target, f"{unique}-")) == ids, timeout=LISTED_TIMEOUT, interval=1)
    return ids


def test_the_low_items_are_paged_through_a_hundred_at_a_time_each_once_in_a_stable_order(target, unique, low_items):
    first = pages(target, PAGE)
    assert all(len(ids) <= PAGE for ids in first)
    assert len(first) >= 3  # 250 of ours alone fill three pages
    seen = [stock_id for ids in first for stock_id in ids if stock_id.startswith(f"{unique}-")]
    assert sorted(seen) == low_items  # each once, whatever the page it fell on
    assert listed(target, f"{unique}-", PAGE) == seen  # and in the same order the second time


def test_a_cursor_altered_is_refused_with_a_400_and_a_message(target, unique):
    for number in range(2):
        assert target.api("PUT", f"/stocks/{unique}-{number}", {"stock_level": 0, "reorder_point": 1})[0] == 200
    eventually(lambda: len(listed(target, f"{unique}-")) == 2, timeout=LISTED_TIMEOUT, interval=1)
    cursor: str = page(target, {"low": "true", "limit": "1"})["next_cursor"]  # a page of one of two has a next
    middle = len(cursor) // 2
    altered = cursor[:middle] + ("B" if cursor[middle] == "A" else "A") + cursor[middle + 1 :]
    status, document = get(target, {"low": "true", "limit": "1", "cursor": altered})
    assert status == 400, document
    assert "cursor" in document["message"], document
    page(target, {"low": "true", "limit": "1", "cursor": cursor})  # the cursor as given still serves


@pytest.mark.parametrize("query", ["", "?limit=10", "?low=false"])
def test_a_list_without_low_true_is_refused_with_a_4xx_saying_what_is_served(target, query):
    status, document = target.api("GET", f"/stocks{query}")  # refused before the store is asked
    assert 400 <= status < 500, (status, document)
    assert "low=true" in document["message"] or "low must be true" in document["message"], document
