"""The local HTTP API (`apiKind: http`) answers as an HTTP API does where it differs from a REST API: its own 404
for a route it does not have, its own 403 for an unsigned request, and no stage in the URL."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from local_stack.api_gateway.api_authorization import BAD_SIGNATURE
from tests.running_stack import RunningStack, running

pytestmark = pytest.mark.local_stack


@pytest.fixture(scope="module")
def http_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    yield from running(tmp_path_factory.mktemp("http-api"), {"apiKind": "http"})


def test_a_signed_request_is_served_from_the_root_of_the_endpoint(http_stack):
    assert "/api" not in http_stack.outputs["endpoint_url"]
    assert http_stack.request("PUT", "/stocks/HTTP-1", json.dumps({"stock_level": 4}))[0] == 200
    status, body = http_stack.request("GET", "/stocks/HTTP-1")
    assert (status, body["stock_level"]) == (200, 4)


def test_an_unsigned_request_gets_the_http_apis_own_403(http_stack):
    assert http_stack.request("GET", "/stocks/HTTP-1", signed=False) == (403, {"message": "Forbidden"})
    assert http_stack.request("GET", "/stocks?low=true", signed=False) == (403, {"message": "Forbidden"})


def test_the_list_route_hands_its_query_string_on_to_the_function(http_stack):
    """`GET /stocks` is a route of its own: its query string reaches the function, which reads each parameter."""
    status, body = http_stack.request("GET", "/stocks?low=true&limit=1")
    assert (status, set(body)) == (200, {"items", "next_cursor"})
    assert http_stack.request("GET", "/stocks?low=true&low=true")[0] == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nothing"), ("DELETE", "/stocks/HTTP-1"), ("DELETE", "/stocks"), ("QUERY", "/stocks/HTTP-1")],
)
def test_a_request_no_route_matches_gets_the_http_apis_own_404_signed_or_not(http_stack, method, path):
    """A REST API answers these 403 "Missing Authentication Token"; an HTTP API routes before it authorises."""
    assert http_stack.request(method, path) == (404, {"message": "Not Found"})
    assert http_stack.request(method, path, signed=False) == (404, {"message": "Not Found"})


def test_a_signature_that_does_not_verify_is_refused_with_its_reason(http_stack):
    key, _ = http_stack.credentials()
    now = datetime.now(UTC)
    scope = f"{now:%Y%m%d}/{http_stack.region}/execute-api/aws4_request"
    forged = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders=host;x-amz-date, "
        f"Signature={'0' * 64}",
        "X-Amz-Date": f"{now:%Y%m%dT%H%M%SZ}",
    }
    answer = http_stack.request("GET", "/stocks/HTTP-1", headers=forged, signed=False)
    assert answer == (403, {"message": BAD_SIGNATURE})


def test_an_encoded_slash_in_an_item_id_reaches_no_route_as_on_aws(http_stack):
    """An HTTP API decodes the path before it routes: `A%2F1` is `/stocks/A/1`, which no route matches."""
    assert http_stack.request("PUT", "/stocks/A%2F1", json.dumps({"stock_level": 1})) == (404, {"message": "Not Found"})


def test_an_id_cut_at_its_encoded_question_mark_sets_nothing_for_the_id_before_it(http_stack):
    """`/stocks/HTTP-Q%3F1` is routed as `/stocks/HTTP-Q`, `1` handed on as a query string: the function refuses it
    rather than set `HTTP-Q` (harness.lambda_events.http_api_path_and_query)."""
    status, document = http_stack.request("PUT", "/stocks/HTTP-Q%3F1", json.dumps({"stock_level": 1}))
    assert (status, document["message"]) == (
        400,
        "/stocks/HTTP-Q has a query string, which /stocks/{stock_id} does not take: the item id goes whole in the "
        "path, percent-encoded",
    )
    assert http_stack.request("GET", "/stocks/HTTP-Q")[0] == 404


def test_a_decoded_hash_stays_in_the_path_and_is_refused_in_a_new_id(http_stack):
    status, document = http_stack.request("PUT", "/stocks/HTTP-H%231", json.dumps({"stock_level": 1}))
    assert (status, "(found '#')" in document["message"]) == (400, True)
    assert http_stack.request("GET", "/stocks/HTTP-H")[0] == 404


def test_a_path_that_is_not_percent_encoded_utf_8_is_refused(http_stack):
    assert http_stack.request("GET", "/stocks/A%FE")[0] == 400
