"""The API answers as openapi.yaml describes, behind a local stack of each kind of API: schemathesis sends every route
valid and invalid requests, each signed as AWS_IAM wants, and checks every answer against the description."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis

from local_stack.api_gateway.api_authorization import signed_headers
from tests.running_stack import ROOT, RunningStack, eventually, running

pytestmark = pytest.mark.local_stack  # starts a local stack of each kind of API: not in `make check`

DESCRIPTION = ROOT / "openapi.yaml"
# Generated requests per route, beside the coverage phase's boundary cases and the description's examples: a fixed
# seed, derandomized, and a bounded count, so a run sends the same requests every time and takes under a minute per
# kind of API on a loaded machine. Schemathesis runs Hypothesis without a deadline, as the suite's profile does.
MAX_EXAMPLES = 50
SEED = 20240501
# What schemathesis checks of every answer. A 5xx of any kind fails, the function's documented 503 included: none
# of these requests should find the store unavailable. A request the description says is invalid must be refused
# with a 4xx the route documents (413 included, for a body over the limit). Left out: `positive_data_acceptance`
# (a valid request may still be a 404 for an unknown item or a 409 for a stale time), `unsupported_method` (API
# Gateway answers an undeclared method itself, 403 or 404, before any 405), `ignored_auth` (unsigned and badly
# signed requests: tests/end_to_end/test_authorization.py and test_http_api_answers.py).
CHECKS = {
    "enabled": False,
    "not_a_server_error": {"enabled": True},
    "status_code_conformance": {"enabled": True},
    "content_type_conformance": {"enabled": True},
    "response_schema_conformance": {"enabled": True},
    "response_headers_conformance": {"enabled": True},
    "negative_data_rejection": {"enabled": True, "expected-statuses": ["400", "403", "404", "413"]},
}
AS_OF_RANGE = "0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z"
Request = schemathesis.Case[Any]  # a request of the description's, with its checks


class SignedForExecuteApi(requests.auth.AuthBase):
    """Signs each request as it goes out, over its method, URL and the exact bytes of its body, with the stack's
    credentials for `execute-api` in its region: what a SigV4 client of an AWS_IAM API does."""

    def __init__(self, stack: RunningStack) -> None:
        self._key, self._secret = stack.credentials()
        self._region = stack.region

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if not isinstance(body, str | bytes):
            raise TypeError(f"cannot sign a streamed body: {type(body).__name__}")
        content_type = request.headers.get("Content-Type")
        if isinstance(content_type, bytes):
            content_type = content_type.decode()
        request.headers.update(
            signed_headers(
                request.method or "GET",
                request.url or "",
                body.encode() if isinstance(body, str) else body,
                self._key,
                self._secret,
                self._region,
                # Without one, signed_headers adds a JSON content type, as RunningStack.request sends it.
                {"Content-Type": content_type} if content_type else None,
            )
        )
        return request


@pytest.fixture(scope="module", params=["rest", "http"])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    yield from running(tmp_path_factory.mktemp(f"{request.param}-api-described"), {"apiKind": request.param})


@pytest.fixture(scope="module")
def signed(stack: RunningStack) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.auth = SignedForExecuteApi(stack)
        yield session


# Loaded once; the stack, and so the base URL, is each test's. (`schemathesis.pytest.from_fixture` would take the
# stack's URL from a fixture, but it sets a private attribute pytest 9.2 no longer has.)
api_description = schemathesis.openapi.from_path(
    DESCRIPTION,
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",  # positive and negative
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                # The Authorization header is the signature's, never a generated value.
                "with-security-parameters": False,
            },
            "phases": {
                # Methods a path does not take: those API Gateway lets a program declare (others, TRACE or QUERY,
                # get the same answer from the local stack: tests/end_to_end/test_local_stack.py).
                "coverage": {"unexpected-methods": ["get", "put", "post", "delete", "patch", "options"]},
                "stateful": {"enabled": False},
            },
            "checks": CHECKS,
            "request-timeout": 30,
        }
    ),
)


@api_description.parametrize()
def test_every_answer_to_generated_requests_is_one_the_description_gives(case, stack, signed):
    case.call_and_validate(base_url=stack.outputs["endpoint_url"], session=signed)


def put_level(stock_id: str, body: dict[str, Any]) -> Request:
    """PUT /stocks/{stock_id} with `body`, as the description's own request."""
    return api_description["/stocks/{stock_id}"]["PUT"].Case(
        path_parameters={"stock_id": stock_id}, body=body, media_type="application/json"
    )


def get_level(stock_id: str) -> Request:
    return api_description["/stocks/{stock_id}"]["GET"].Case(path_parameters={"stock_id": stock_id})


def list_low(**query: str) -> Request:
    """GET /stocks with `query`, as the description's own request."""
    return api_description["/stocks"]["GET"].Case(query=query)


def checked_answer(stack: RunningStack, session: requests.Session, case: Request) -> tuple[int, Any]:
    """The status and JSON body of the answer to `case`, once it passed every check a generated request's does."""
    return answer(case.call_and_validate(base_url=stack.outputs["endpoint_url"], session=session))


def answer(response: schemathesis.Response) -> tuple[int, Any]:
    return response.status_code, json.loads(response.content)


def fresh_id() -> str:
    return f"DESCRIBED-{uuid.uuid4().hex[:12]}"


def test_a_time_before_year_1000_is_stored_and_read_back(stack, signed):
    """From a fuzzer's report: the level was stored with a three-digit year, which sorted after every later time,
    and reading it back was a 503."""
    stock_id = fresh_id()
    stored = {"stock_id": stock_id, "stock_level": 5, "as_of": "0999-01-01T00:00:00.000000Z"}
    put = put_level(stock_id, {"stock_level": 5, "as_of": "0999-01-01T00:00:00Z"})
    put_answer = put.call(base_url=stack.outputs["endpoint_url"], session=signed)
    status, read = checked_answer(stack, signed, get_level(stock_id))  # read back first: it was the 503
    assert (status, {name: read[name] for name in stored}) == (200, stored)
    put.validate_response(put_answer)
    status, written = answer(put_answer)
    assert (status, {name: written[name] for name in stored}, written["stale_fields"]) == (200, stored, [])


@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_time_whose_utc_form_leaves_the_storable_years_is_refused_naming_the_range(stack, signed, as_of):
    """From a fuzzer's report: the offset carried the time past year 1 or 9999, and the OverflowError was a 503."""
    stock_id = fresh_id()
    assert checked_answer(stack, signed, put_level(stock_id, {"stock_level": 5, "as_of": as_of})) == (
        400,
        {"message": f"as_of must be from {AS_OF_RANGE} once in UTC, not {as_of!r}"},
    )
    assert checked_answer(stack, signed, get_level(stock_id))[0] == 404  # nothing was stored


def test_a_time_far_ahead_of_the_request_is_refused_naming_the_limit_and_the_item_still_takes_updates(stack, signed):
    """From the same report: a client with a clock years ahead froze the item, every later update stale (409)."""
    stock_id = fresh_id()
    status, body = checked_answer(
        stack, signed, put_level(stock_id, {"stock_level": 5, "as_of": "9999-12-31T23:59:59Z"})
    )
    assert status == 400
    assert body["message"].startswith("as_of 9999-12-31T23:59:59.000000Z is more than 5 minutes after the update")
    assert checked_answer(stack, signed, put_level(stock_id, {"stock_level": 6}))[0] == 200


def test_the_service_still_answers_after_the_generated_requests(stack):
    stock_id = fresh_id()
    assert stack.request("PUT", f"/stocks/{stock_id}", json.dumps({"stock_level": 7}))[0] == 200
    status, body = stack.request("GET", f"/stocks/{stock_id}")
    assert (status, body["stock_level"]) == (200, 7)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"reorder_point": -1}, "reorder_point must be a whole number from 0 to 1000000000, not -1"),
        ({"reorder_point": 1.5}, "reorder_point must be a whole number from 0 to 1000000000, or null, not 1.5"),
        ({"reorder_point": "5"}, "reorder_point must be a whole number from 0 to 1000000000, or null, not '5'"),
        ({"reorder_point": True}, "reorder_point must be a whole number from 0 to 1000000000, or null, not True"),
        ({"reorder_point": 10**10}, "reorder_point must be a whole number from 0 to 1000000000, not 10000000000"),
        ({"low_stock_alerts": "no"}, "low_stock_alerts must be true or false, not 'no'"),
        (
            {"as_of": "2024-05-01T12:00:00Z"},
            "an update must set at least one of stock_level, reorder_point, low_stock_alerts",
        ),
    ],
)
def test_a_bad_reorder_point_or_alerts_switch_is_refused_naming_the_field(stack, signed, body, message):
    stock_id = fresh_id()
    assert checked_answer(stack, signed, put_level(stock_id, body)) == (400, {"message": message})
    assert checked_answer(stack, signed, get_level(stock_id))[0] == 404  # nothing was stored


def test_a_reorder_point_and_the_switch_are_set_and_read_back_as_described(stack, signed):
    stock_id = fresh_id()
    status, body = checked_answer(stack, signed, put_level(stock_id, {"reorder_point": 5, "low_stock_alerts": False}))
    assert (status, body["reorder_point"], body["low_stock_alerts"], body["stock_level"]) == (200, 5, False, None)
    status, body = checked_answer(stack, signed, put_level(stock_id, {"stock_level": 2, "reorder_point": None}))
    assert (status, body["reorder_point_source"], body["low"]) == (200, "default", False)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"low": "maybe"}, "low must be true, the one list GET /stocks serves, not 'maybe'"),
        ({"low": "true", "limit": "0"}, "limit must be a whole number from 1 to 1000, not '0'"),
        ({"low": "true", "cursor": "e30.AAAA"}, "cursor is not valid for this list; start again without it"),
    ],
)
def test_a_list_request_out_of_its_rules_is_refused_as_described(stack, signed, query, message):
    assert checked_answer(stack, signed, list_low(**query)) == (400, {"message": message})


def test_a_tampered_cursor_is_refused_and_the_list_pages_as_described(stack, signed):
    for _ in range(2):
        assert checked_answer(stack, signed, put_level(fresh_id(), {"stock_level": 0}))[0] == 200

    def next_cursor() -> str | None:
        status, page = checked_answer(stack, signed, list_low(low="true", limit="1"))
        assert status == 200
        cursor: str | None = page["next_cursor"]
        return cursor

    # The stream's function lists each item once it has seen it become low: wait for that, not for a time.
    cursor = eventually(next_cursor, timeout=120)
    assert checked_answer(stack, signed, list_low(low="true", limit="1", cursor=cursor))[0] == 200
    tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BA")
    assert checked_answer(stack, signed, list_low(low="true", cursor=tampered)) == (
        400,
        {"message": "cursor is not valid for this list; start again without it"},
    )
