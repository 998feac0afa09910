"""`make low`: every page of the low items through the API, each request signed, and the export as a stock file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from harness.server_thread import ServerThread
from local_stack.api_gateway.api_authorization import Caller, Refused, SigV4Authorizer
from tools import low_items
from tools.low_items import ApiRefused, LowItem, all_low_items, export

REGION = "eu-west-3"
# Opaque to the tool: URL-safe, as the API seals them, and with characters a query must carry encoded.
CURSORS = ["c1-AbC_==", "c2-xYz+/="]
PAGES: dict[str | None, dict[str, Any]] = {
    None: {
        "items": [
            {"stock_id": "A1", "stock_level": 0, "reorder_point": 1, "reorder_point_source": "default"},
            {"stock_id": "B7", "stock_level": 3, "reorder_point": 5, "reorder_point_source": "item"},
        ],
        "next_cursor": CURSORS[0],
    },
    # A page may hold fewer than asked for and still have a next: items no longer low are left out.
    CURSORS[0]: {"items": [], "next_cursor": CURSORS[1]},
    CURSORS[1]: {
        "items": [{"stock_id": "C3", "stock_level": 2, "reorder_point": 2, "reorder_point_source": "item"}],
        "next_cursor": None,
    },
}


class FakeApi:
    """Answers GET /stocks?low=true from PAGES by the cursor it is given, and keeps each query."""

    def __init__(self, pages: dict[str | None, dict[str, Any]] = PAGES) -> None:
        self.pages = pages
        self.queries: list[dict[str, list[str]]] = []

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        assert parts.path == "/stocks"
        query = parse_qs(parts.query)
        self.queries.append(query)
        return 200, self.pages[query.get("cursor", [None])[0]]


def test_every_page_is_read_following_the_cursor_to_the_end():
    api = FakeApi()
    items = list(all_low_items(api, page_size=2))
    assert [item.stock_id for item in items] == ["A1", "B7", "C3"]
    assert api.queries == [
        {"low": ["true"], "limit": ["2"]},
        {"low": ["true"], "limit": ["2"], "cursor": [CURSORS[0]]},
        {"low": ["true"], "limit": ["2"], "cursor": [CURSORS[1]]},
    ]


def test_each_item_is_printed_with_its_level_and_reorder_point_and_where_that_comes_from(mocker, capsys):
    mocker.patch.object(low_items, "stack_outputs", return_value={})
    mocker.patch.object(low_items, "SignedApi", return_value=FakeApi())
    assert low_items.main([]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "A1  level 0  reorder point 1 (the stack's default)",
        "B7  level 3  reorder point 5 (its own)",
        "C3  level 2  reorder point 2 (its own)",
        "3 low item(s).",
    ]


def test_the_export_is_a_stock_file_in_the_named_form_with_default_where_the_stacks_default_is_in_force(tmp_path):
    destination = tmp_path / "low.txt"
    said = export(list(all_low_items(FakeApi())), destination)
    assert destination.read_text() == (
        "A1;stock_level=0;reorder_point=default\nB7;stock_level=3;reorder_point=5\nC3;stock_level=2;reorder_point=2\n"
    )
    assert said.endswith(f"then: make send FILE={destination}")


def test_an_api_error_stops_the_listing_with_the_apis_message():
    class Refusing:
        def get(self, path: str) -> tuple[int, dict[str, Any]]:
            return 400, {"message": "the cursor is not one this list gave: start the list again"}

    with pytest.raises(ApiRefused, match="answered 400: the cursor is not one this list gave"):
        list(all_low_items(Refusing()))


def test_a_page_answered_503_is_asked_for_again_after_a_wait_and_the_listing_goes_on():
    class Busy(FakeApi):
        def __init__(self) -> None:
            super().__init__()
            self.busy = 2

        def get(self, path: str) -> tuple[int, dict[str, Any]]:
            if self.busy:
                self.busy -= 1
                return 503, {"message": "the stock store is unavailable; retry later"}
            return super().get(path)

    waits: list[float] = []
    items = list(all_low_items(Busy(), sleep=waits.append))
    assert [item.stock_id for item in items] == ["A1", "B7", "C3"]
    assert waits == [1.0, 2.0]


def test_a_page_still_answered_503_after_the_last_wait_stops_the_listing():
    class Down:
        def get(self, path: str) -> tuple[int, dict[str, Any]]:
            return 503, {"message": "the stock store is unavailable; retry later"}

    waits: list[float] = []
    with pytest.raises(ApiRefused, match="answered 503"):
        list(all_low_items(Down(), sleep=waits.append))
    assert waits == [1.0, 2.0, 4.0, 8.0]


def test_a_cursor_given_twice_stops_the_listing_rather_than_loop():
    looping = {None: {"items": [], "next_cursor": "same"}, "same": {"items": [], "next_cursor": "same"}}
    with pytest.raises(ApiRefused, match="gave the cursor 'same' twice"):
        list(all_low_items(FakeApi(looping)))


def test_an_item_without_a_source_is_read_as_on_the_stacks_default():
    item = LowItem.from_document({"stock_id": "A1", "stock_level": 1, "reorder_point": 1})
    assert item.stock_line() == "A1;stock_level=1;reorder_point=default"


# --- Over HTTP, each request checked as API Gateway checks an AWS_IAM route's signature.


class SignedPages(BaseHTTPRequestHandler):
    authorizer = SigV4Authorizer(REGION, [Caller("testing", "testing", "arn:aws:iam::123456789012:root")])

    def do_GET(self) -> None:
        try:
            self.authorizer.authorize("GET", self.path, dict(self.headers), b"", "any")
        except Refused as refusal:
            self._answer(403, {"message": str(refusal)})
            return
        cursor = parse_qs(urlsplit(self.path).query).get("cursor", [None])[0]
        self._answer(200, PAGES[cursor])

    def _answer(self, status: int, document: dict[str, Any]) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SignedPages)
    serving = ServerThread(server, "signed-pages")
    serving.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/prod"
    finally:
        serving.stop()


def test_every_page_is_asked_for_with_a_signature_the_api_accepts(endpoint):
    # The suite's guard sets the environment's keys to testing/testing, the caller SignedPages knows.
    api = low_items.SignedApi({"endpoint_url": endpoint, "topic_arn": f"arn:aws:sns:{REGION}:123456789012:t"})
    assert [item.stock_id for item in all_low_items(api, page_size=2)] == ["A1", "B7", "C3"]


def test_a_request_signed_for_another_region_is_refused_with_the_apis_answer(endpoint):
    api = low_items.SignedApi({"endpoint_url": endpoint, "topic_arn": "arn:aws:sns:us-east-1:123456789012:t"})
    with pytest.raises(ApiRefused, match="answered 403: Credential should be scoped to a valid region"):
        list(all_low_items(api))
