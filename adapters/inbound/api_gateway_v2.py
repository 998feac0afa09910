"""API Gateway HTTP API proxy events (payload format 2.0) in, read into the stock API's requests.

Format 2.0 names the method in `requestContext.http.method`, the path in `rawPath`, and the time of the request in
`requestContext.timeEpoch` (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-
lambda.html). Unlike a REST API, an HTTP API hands on the path and its parameters already percent-decoded, as
captures of live HTTP API events show (github.com/middleapi/standard-server/pull/93, citing
github.com/hotsock/voker/pull/8): decoding them again would turn an item id `A%41` into `AA`.
Cookies and query strings are ignored, as by the REST API's reader (`api_gateway_v1`).
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
    )
    return interpret(request)
