"""The HTTP API on loopback: each HTTP request becomes an API Gateway HTTP API proxy event (payload format 2.0).

It answers as an HTTP API does, not as a REST API: a request no route matches gets 404 `{"message":"Not Found"}`
(a REST API answers 403 "Missing Authentication Token"), and an unsigned request to an AWS_IAM route gets 403
`{"message":"Forbidden"}`; a signature that does not verify gets the same 403 messages as a REST API's. The path
and its parameters reach the function percent-decoded (adapters.inbound.api_gateway_v2), and the stage is
`$default`, which puts no segment in the URL (docs.aws.amazon.com/apigateway/latest/developerguide/
http-api-stages.html).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from local_stack.api_gateway.api_authorization import MISSING_TOKEN, Caller, Refused, SigV4Authorizer
from local_stack.api_gateway.rest_api import (
    Invoke,
    body_as_api_gateway_passes_it,
    http_response,
    json_answer,
    template_pattern,
)
from local_stack.aws.embedded_aws import ACCOUNT_ID
from local_stack.local_cloud import DeclaredRoute

logger = logging.getLogger("local_stack.api")
NOT_FOUND = "Not Found"
FORBIDDEN = "Forbidden"
STAGE = "$default"


@dataclass(frozen=True)
class _CompiledRoute:
    route: DeclaredRoute
    pattern: re.Pattern[str]


class LocalHttpApi:
    """Routes requests as the deployed HTTP API would, authorising AWS_IAM routes with SigV4."""

    def __init__(
        self, routes: list[DeclaredRoute], invoke: Invoke, authorizer: SigV4Authorizer | None, execution_arn: str
    ) -> None:
        self.invoke = invoke
        self._routes = [_CompiledRoute(route, template_pattern(route.path)) for route in routes]
        self._authorizer = authorizer
        self._execution_arn = execution_arn

    def respond(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one HTTP request."""
        split = urlsplit(raw_path)
        match = self._match(method, split.path)
        if match is None:
            return json_answer(404, {"message": NOT_FOUND})
        route, parameters = match
        caller = None
        if route.authorization == "AWS_IAM" and self._authorizer is not None:
            resource = f"{self._execution_arn}/{STAGE}/{method}{split.path}"
            try:
                caller = self._authorizer.authorize(method, raw_path, headers, body, resource)
            except Refused as refused:
                message = FORBIDDEN if str(refused) == MISSING_TOKEN else str(refused)
                return json_answer(403, {"message": message})
        event = self._event(route, method, split.path, split.query, headers, body, parameters, source_ip, caller)
        return http_response(self.invoke(route.function_arn, event))

    def _match(self, method: str, path: str) -> tuple[DeclaredRoute, dict[str, str]] | None:
        for compiled in self._routes:
            found = compiled.pattern.fullmatch(path)
            if found and compiled.route.method in (method, "ANY"):
                return compiled.route, {name: unquote(value) for name, value in found.groupdict().items()}
        return None

    def _event(
        self,
        route: DeclaredRoute,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        parameters: dict[str, str],
        source_ip: str,
        caller: Caller | None,
    ) -> dict[str, Any]:
        lower = {name.lower(): value for name, value in headers.items()}
        text, is_base64 = body_as_api_gateway_passes_it(body, lower.get("content-type", ""))
        now = time.time()
        route_key = f"{route.method} {route.path}"
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": unquote(path),
            "rawQueryString": query,
            "headers": {name: value for name, value in lower.items() if name != "cookie"},
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": "local",
                "domainName": lower.get("host", ""),
                "domainPrefix": lower.get("host", "").split(".")[0],
                "http": {
                    "method": method,
                    "path": unquote(path),
                    "protocol": "HTTP/1.1",
                    "sourceIp": source_ip,
                    "userAgent": lower.get("user-agent", ""),
                },
                "requestId": str(uuid.uuid4()),
                "routeKey": route_key,
                "stage": STAGE,
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
            },
            "isBase64Encoded": is_base64,
        }
        if lower.get("cookie"):
            event["cookies"] = [cookie.strip() for cookie in lower["cookie"].split(";")]
        if parameters:
            event["pathParameters"] = parameters
        if text is not None:
            event["body"] = text
        if caller is not None:  # what API Gateway tells the function about a signed caller
            event["requestContext"]["authorizer"] = {
                "iam": {"accessKey": caller.access_key, "accountId": caller.arn.split(":")[4], "userArn": caller.arn}
            }
        return event
