"""API Gateway HTTP API proxy events (payload format 2.0) in, read into the stock API's requests.

Format 2.0 names the method in `requestContext.http.method`, the path in `rawPath`, and the time of the request in
`requestContext.timeEpoch` (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-
lambda.html). Unlike a REST API, an HTTP API hands on the path and its parameters already percent-decoded, as
captures of live HTTP API events show (github.com/middleapi/standard-server/pull/93, citing
github.com/hotsock/voker/pull/8, whose vokerhttp/testdata/ingress-paths.json holds them): decoding them here again
would turn an item id `A%41` into `AA`. The same captures show the HTTP API cutting the path at a decoded `?`
(`/capture/question%3Fvalue` arrives as `/capture/question`) and decoding `%25` sequences a second time itself
(`%2525` arrives as `%`, and `%25` before no hex digits is refused): ids with `?`, `#` or `%` are not made any
more (domain.stock.validate_new_stock_id), and a query string on an item's path is refused (`stock_api.interpret`).
The query string is read from `rawQueryString`, as the client sent it: `queryStringParameters` joins the values of a
name given twice with commas (the same page), which would read `low=true&low=false` as one value.
Cookies are ignored.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from adapters.inbound.stock_api import ApiRequest, ProxyRequest, interpret, request_time

PAYLOAD_FORMAT = "2.0"


def is_http_api_event(event: dict[str, Any]) -> bool:
    """Whether the event is in payload format 2.0 (a REST API's 1.0 events have no `version`, or "1.0")."""
    return event.get("version") == PAYLOAD_FORMAT


def parse_http_api_request(event: dict[str, Any]) -> ApiRequest:
    """Turn an HTTP API proxy event into a request of the domain's, or raise ApiError with the 4xx to send."""
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    parameters = event.get("pathParameters") or {}
    stock_id = parameters.get("stock_id") if isinstance(parameters, dict) else None
    request = ProxyRequest(
        method=str(http.get("method") or "").upper(),
        path=str(event.get("rawPath") or ""),
        stock_id=stock_id if isinstance(stock_id, str) else None,
        body=event.get("body"),
        body_is_base64=bool(event.get("isBase64Encoded")),
        received_at=request_time(context.get("timeEpoch")),
        has_query_string=bool(event.get("rawQueryString") or event.get("queryStringParameters")),
        query=_query(event),
    )
    return interpret(request)


def _query(event: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Each parameter of the query string as often as it was given: from `rawQueryString`, decoded as a query
    string is (`+` a space), or `queryStringParameters` in an event without it."""
    raw = event.get("rawQueryString")
    if isinstance(raw, str) and raw:
        return tuple(parse_qsl(raw, keep_blank_values=True))
    single = event.get("queryStringParameters")
    return tuple((str(name), str(value)) for name, value in single.items()) if isinstance(single, dict) else ()
