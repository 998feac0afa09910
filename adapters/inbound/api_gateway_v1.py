"""API Gateway REST API proxy events (payload format 1.0) in, read into the stock API's requests.

Format 1.0 names the method in `httpMethod`, the path in `path`, and the time of the request in
`requestContext.requestTimeEpoch` (docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-
integrations.html), and a query string's parameters, decoded, in `queryStringParameters` (the last value of each
name) and `multiValueQueryStringParameters` (every value): the latter is read, so that a name given twice is seen.
Headers are ignored.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from adapters.inbound.stock_api import ApiError, ApiRequest, ProxyRequest, interpret, item_in_path, request_time


def parse_request(event: dict[str, Any]) -> ApiRequest:
    """Turn a REST API proxy event (payload format 1.0) into a request of the domain's, or raise ApiError with
    the 4xx to send."""
    method = str(event.get("httpMethod") or "").upper()
    path = str(event.get("path") or "")
    parameters = event.get("pathParameters") or {}
    stock_id = parameters.get("stock_id") if isinstance(parameters, dict) else None
    raw_id = stock_id if isinstance(stock_id, str) else item_in_path(path)
    request = ProxyRequest(
        method,
        path,
        _decoded_path_value(raw_id) if raw_id is not None else None,
        event.get("body"),
        bool(event.get("isBase64Encoded")),
        request_time((event.get("requestContext") or {}).get("requestTimeEpoch")),
        has_query_string=bool(event.get("queryStringParameters") or event.get("multiValueQueryStringParameters")),
        query=_query(event),
    )
    return interpret(request)


def _query(event: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Each parameter of the query string as often as it was given: from `multiValueQueryStringParameters`, or
    `queryStringParameters` in an event without it."""
    multiple = event.get("multiValueQueryStringParameters")
    if isinstance(multiple, dict):
        return tuple(
            (str(name), str(value))
            for name, values in multiple.items()
            for value in (values if isinstance(values, list) else [values])
        )
    single = event.get("queryStringParameters")
    return tuple((str(name), str(value)) for name, value in single.items()) if isinstance(single, dict) else ()


def _decoded_path_value(value: str) -> str:
    """A REST API hands `path` and `pathParameters` on still percent-encoded (`caf%C3%A9`, `A%2B1`), so they
    are decoded here, exactly once; `+` stays `+` (it means a space only in a query string)."""
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:
        raise ApiError(400, f"the item id in the path is not percent-encoded UTF-8: {value}") from None
