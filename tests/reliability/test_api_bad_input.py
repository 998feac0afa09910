"""Every malformed request gets a 4xx with a JSON message, writes nothing, and the service keeps answering."""

import base64
import json

import pytest

from tests.reliability.conftest import stored_levels

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`

J = json.dumps
NO_ROUTE = "API Gateway's answer when no route matches"  # 403 from a REST API, 404 from an HTTP API
MALFORMED = [
    # (name, method, path, body, headers, expected status)
    ("malformed JSON", "POST", "/stocks", "{", None, 400),
    ("truncated JSON", "POST", "/stocks", '{"stock_id": "RB-1", "stock_level": ', None, 400),
    ("non-UTF-8 body", "POST", "/stocks", b"\xff\xfe\xfd", None, 400),
    ("JSON array", "POST", "/stocks", "[1, 2]", None, 400),
    ("JSON string", "POST", "/stocks", '"RB-1;3"', None, 400),
    ("JSON null", "POST", "/stocks", "null", None, 400),
    ("empty body", "POST", "/stocks", "", None, 400),
    ("whitespace body", "POST", "/stocks", "   \n", None, 400),
    ("level as float", "POST", "/stocks", J({"stock_id": "RB-1", "stock_level": 1.5}), None, 400),
    ("level as 1.0", "POST", "/stocks", J({"stock_id": "RB-1", "stock_level": 1.0}), None, 400),
    ("level as boolean", "POST", "/stocks", J({"stock_id": "RB-1", "stock_level": True}), None, 400),
    ("negative level", "POST", "/stocks", J({"stock_id": "RB-1", "stock_level": -1}), None, 400),
    ("huge level", "POST", "/stocks", J({"stock_id": "RB-1", "stock_level": 10**12}), None, 400),
    ("enormous integer", "POST", "/stocks", '{"stock_id": "RB-1", "stock_level": ' + "9" * 5000 + "}", None, 400),
    ("NaN level", "POST", "/stocks", '{"stock_id": "RB-1", "stock_level": NaN}', None, 400),
    ("level as text", "POST", "/stocks", J({"stock_id": "RB-1", "stock_level": "three"}), None, 400),
    ("level as object", "POST", "/stocks", J({"stock_id": "RB-1", "stock_level": {"n": 3}}), None, 400),
    ("missing level", "POST", "/stocks", J({"stock_id": "RB-1"}), None, 400),
    ("missing id", "POST", "/stocks", J({"stock_level": 3}), None, 400),
    ("unknown field", "POST", "/stocks", J({"stock_id": "RB-1", "stock_level": 3, "price": 2}), None, 400),
    ("id as number", "POST", "/stocks", J({"stock_id": 17, "stock_level": 3}), None, 400),
    ("empty id", "POST", "/stocks", J({"stock_id": "", "stock_level": 3}), None, 400),
    ("over-long id", "POST", "/stocks", J({"stock_id": "R" * 129, "stock_level": 3}), None, 400),
    ("id with space", "POST", "/stocks", J({"stock_id": "RB 1", "stock_level": 3}), None, 400),
    ("id with control", "POST", "/stocks", J({"stock_id": "RB-\u0007", "stock_level": 3}), None, 400),
    ("id with ;", "POST", "/stocks", J({"stock_id": "RB;1", "stock_level": 3}), None, 400),
    ("id with zero-width", "POST", "/stocks", J({"stock_id": "RB\u200b1", "stock_level": 3}), None, 400),
    ("bad as_of", "POST", "/stocks", J({"stock_id": "RB-1", "stock_level": 3, "as_of": "soon"}), None, 400),
    ("PUT with id in body", "PUT", "/stocks/RB-1", J({"stock_id": "RB-1", "stock_level": 3}), None, 400),
    ("PUT bad path id", "PUT", "/stocks/RB%3B1", J({"stock_level": 3}), None, 400),
    ("GET bad path id", "GET", "/stocks/RB%201", None, None, 400),
    ("binary body", "POST", "/stocks", base64.b64decode("iVBORw0KGgo="), {"Content-Type": "image/png"}, 400),
    ("oversize body", "POST", "/stocks", "x" * (64 * 1024 + 1), None, 413),
    (
        "oversize valid JSON",
        "POST",
        "/stocks",
        J({"stock_id": "RB-1", "stock_level": 1, "pad": "x" * 70000}),
        None,
        413,
    ),
    ("undeclared method", "DELETE", "/stocks/RB-1", None, None, NO_ROUTE),
    ("undeclared PATCH", "PATCH", "/stocks/RB-1", J({"stock_level": 3}), None, NO_ROUTE),
    ("unknown path", "GET", "/stock", None, None, NO_ROUTE),
    ("nested unknown path", "PUT", "/stocks/RB-1/extra", J({"stock_level": 3}), None, NO_ROUTE),
    ("unknown item", "GET", "/stocks/RB-never-set", None, None, 404),
]


@pytest.mark.parametrize(
    ("name", "method", "path", "body", "headers", "status"), MALFORMED, ids=[m[0] for m in MALFORMED]
)
def test_bad_input_is_refused_with_a_4xx_and_writes_nothing(stack, name, method, path, body, headers, status):
    if status == NO_ROUTE:
        status = stack.no_such_route[0]
    got, document = stack.request(method, path, body, headers)
    assert got == status, document
    assert isinstance(document.get("message"), str)
    assert document["message"]
    assert stored_levels(stack, "RB") == {}
    assert stack.request("PUT", "/stocks/ALIVE", json.dumps({"stock_level": 9}))[0] == 200  # still answering


def test_there_are_at_least_thirty_distinct_cases():
    assert len({case[0] for case in MALFORMED}) >= 30
