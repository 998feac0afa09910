"""API Gateway HTTP API proxy events (payload format 2.0) in, read into the stock API's requests.

Format 2.0 names the method in `requestContext.http.method`, the path in `rawPath`, and the time of the request in
`requestContext.timeEpoch` (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-
lambda.html). Unlike a REST API, an HTTP API hands on the path and its parameters already percent-decoded, as
captures of live HTTP API events show (github.com/middleapi/standard-server/pull/93, citing
github.com/hotsock/voker/pull/8, whose vokerhttp/testdata/ingress-paths.json holds them): decoding them here again
would turn an item id `A%41` into `AA`. The same captures show the HTTP API cutting the path at a decoded `?`
(`/capture/question%3Fvalue` arrives as `/capture/question`) and decoding `%25` sequences a second time itself
(`%2525` arrives as `%`, and `%25` before no hex digits is refused): ids with `?`, `#` or `%` are not made any
more (domain.stock.validate_new_stock_id), and a query string, in `rawQueryString` or `queryStringParameters`, is read
only to refuse one on an item's path (`stock_api.interpret`). Cookies are ignored.
"""

from __future__ import annotations

from typing import Any

from adapters.inbound.stock_api import GetLevelRequest, ProxyRequest, SetLevelRequest, interpret, request_time

PAYLOAD_FORMAT = "2.0"


def is_http_api_event(event: dict[str, Any]) -> bool:
    """Whether the event is in payload format 2.0 (a REST API's 1.0 events have no `version`, or "1.0")."""
    return event.get("version") == PAYLOAD_FORMAT


def parse_http_api_request(event: dict[str, Any]) -> SetLevelRequest | GetLevelRequest:
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
    )
    return interpret(request)
