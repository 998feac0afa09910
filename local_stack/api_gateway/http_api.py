"""The HTTP API on loopback: each HTTP request becomes an API Gateway HTTP API proxy event (payload format 2.0).

It answers as an HTTP API does, not as a REST API. API Gateway decodes the path before it routes and hands it on
decoded (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html), so an encoded `/`
splits a segment and matches no `{stock_id}` route, and cuts it at a decoded `?` (`/stocks/A%3F1` is routed as
`/stocks/A`), while a decoded `#` stays, as captures of live HTTP API events show (github.com/hotsock/voker,
vokerhttp/testdata/ingress-paths.json, cited by github.com/middleapi/standard-server/pull/93); what follows the cut
starts the query string here, which the captures do not show (harness.lambda_events.http_api_path_and_query). A
request no route matches gets 404 `{"message":"Not Found"}`
(a REST API answers 403 "Missing Authentication Token"), an unsigned request to an AWS_IAM route 403
`{"message":"Forbidden"}`: these bodies are what HTTP APIs are observed to send, which AWS's pages do not spell
out. A signature that does not verify gets the same 403 messages as a REST API's. A function's response follows
format 2.0's rules (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
without a `statusCode` it is the body of a 200 JSON answer; each of its `cookies` becomes a `Set-Cookie` header of
its own (the page's "payload format differences"), never one header joining them; a function that fails gets
500 `{"message":"Internal Server Error"}` (docs.aws.amazon.com/apigateway/latest/developerguide/
http-api-troubleshooting-lambda.html). The stage is `$default`, which puts no segment in the URL.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from harness.lambda_events import http_api_path_and_query
from local_stack.api_gateway.api_authorization import MISSING_TOKEN, Caller, Refused, SigV4Authorizer
from local_stack.api_gateway.rest_api import (
    Answer,
    Invoke,
    body_as_api_gateway_passes_it,
    json_answer,
    template_pattern,
)
from local_stack.aws.embedded_aws import ACCOUNT_ID
from local_stack.lambda_service.functions import Invocation
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

    def respond(self, method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str) -> Answer:
        """Status, headers and body for one HTTP request."""
        split = urlsplit(raw_path)
        try:
            path, query = http_api_path_and_query(split.path, split.query)
        except UnicodeDecodeError:
            # Not percent-encoded UTF-8: AWS does not document its answer; the local stack refuses the request.
            return json_answer(400, {"message": "Bad Request"})
        match = self._match(method, path)
        if match is None:
            return json_answer(404, {"message": NOT_FOUND})
        route, parameters = match
        caller = None
        if route.authorization == "AWS_IAM" and self._authorizer is not None:
            resource = f"{self._execution_arn}/{STAGE}/{method}{path}"
            try:
                caller = self._authorizer.authorize(method, raw_path, headers, body, resource)
            except Refused as refused:
                message = FORBIDDEN if str(refused) == MISSING_TOKEN else str(refused)
                return json_answer(403, {"message": message})
        event = self._event(route, method, path, query, headers, body, parameters, source_ip, caller)
        return format_2_0_response(self.invoke(route.function_arn, event))

    def _match(self, method: str, path: str) -> tuple[DeclaredRoute, dict[str, str]] | None:
        for compiled in self._routes:
            found = compiled.pattern.fullmatch(path)
            if found and compiled.route.method in (method, "ANY"):
                return compiled.route, found.groupdict()
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
            "rawPath": path,
            "rawQueryString": query,
            "headers": {name: value for name, value in lower.items() if name != "cookie"},
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": "local",
                "domainName": lower.get("host", ""),
                "domainPrefix": lower.get("host", "").split(".")[0],
                "http": {
                    "method": method,
                    "path": path,
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
        if query:  # duplicate names joined with commas, as 2.0 does
            pairs = parse_qs(query, keep_blank_values=True)
            event["queryStringParameters"] = {name: ",".join(values) for name, values in pairs.items()}
        if text is not None:
            event["body"] = text
        if caller is not None:  # what API Gateway tells the function about a signed caller
            event["requestContext"]["authorizer"] = {
                "iam": {"accessKey": caller.access_key, "accountId": caller.arn.split(":")[4], "userArn": caller.arn}
            }
        return event


def format_2_0_response(outcome: Invocation) -> Answer:
    """The function's answer as an HTTP API gives it to the client under payload format 2.0."""
    result = outcome.result
    if outcome.failed:
        logger.error("function error: %s", outcome.error)
        return json_answer(500, {"message": "Internal Server Error"})
    if not isinstance(result, dict) or "statusCode" not in result:
        # Any other valid JSON is the body of a 200 (the 2.0 rules); a string is sent as it is.
        body = result if isinstance(result, str) else json.dumps(result)
        return 200, [("Content-Type", "application/json")], body.encode()
    if not isinstance(result.get("statusCode"), int):
        logger.error("malformed proxy response: %s", result)
        return json_answer(500, {"message": "Internal Server Error"})
    headers = [(str(name), str(value)) for name, value in (result.get("headers") or {}).items()]
    # One header per cookie: a Set-Cookie value may itself hold a comma (in `Expires`), so cookies cannot be joined.
    headers += [("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or []]
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    return int(result["statusCode"]), headers, raw
