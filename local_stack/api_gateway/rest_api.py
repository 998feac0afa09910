"""The REST API on loopback: each HTTP request becomes an API Gateway proxy event (payload format 1.0)."""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local_stack.api_gateway.api_authorization import MISSING_TOKEN, Refused, SigV4Authorizer
from local_stack.aws.embedded_aws import ACCOUNT_ID
from local_stack.lambda_service.functions import Invocation
from local_stack.local_cloud import DeclaredRoute

logger = logging.getLogger("local_stack.api")
Invoke = Callable[[str, dict[str, Any]], Invocation]
# Response headers in the order they are sent: a list, not a dict, because a name may be sent once per value, as
# an HTTP API sends `Set-Cookie`.
Headers = list[tuple[str, str]]
Answer = tuple[int, Headers, bytes]


@dataclass(frozen=True)
class _CompiledRoute:
    route: DeclaredRoute
    pattern: re.Pattern[str]


class LocalRestApi:
    """Routes requests as the deployed API would; methods the program did not declare get API Gateway's 403,
    and so do requests to an AWS_IAM method that are not signed by a caller allowed to invoke it."""

    def __init__(
        self,
        routes: list[DeclaredRoute],
        stage: str,
        invoke: Invoke,
        authorizer: SigV4Authorizer | None = None,
        execution_arn: str = "",
    ) -> None:
        self.stage = stage
        self.invoke = invoke
        self._routes = [_CompiledRoute(route, template_pattern(route.path)) for route in routes]
        self._authorizer = authorizer
        self._execution_arn = execution_arn

    def respond(self, method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str) -> Answer:
        """Status, headers and body for one HTTP request."""
        split = urlsplit(raw_path)
        path = split.path
        if path == f"/{self.stage}" or path.startswith(f"/{self.stage}/"):
            path = path[len(self.stage) + 1 :] or "/"
        match = self._match(method, path)
        if match is None:
            return json_answer(403, {"message": MISSING_TOKEN})
        route, parameters = match
        caller = None
        if route.authorization == "AWS_IAM" and self._authorizer is not None:
            resource = f"{self._execution_arn}/{self.stage}/{method}{path}"
            try:
                caller = self._authorizer.authorize(method, raw_path, headers, body, resource)
            except Refused as refused:
                return json_answer(403, {"message": str(refused)})
        event = self._event(route, method, path, split.query, headers, body, parameters, source_ip)
        if caller is not None:  # what API Gateway tells the function about a signed caller
            event["requestContext"]["identity"] |= {
                "accessKey": caller.access_key,
                "caller": caller.arn,
                "user": caller.arn,
                "userArn": caller.arn,
                "accountId": caller.arn.split(":")[4],
            }
        outcome = self.invoke(route.function_arn, event)
        return http_response(outcome)

    def _match(self, method: str, path: str) -> tuple[DeclaredRoute, dict[str, str]] | None:
        for compiled in self._routes:
            found = compiled.pattern.fullmatch(path)
            if found and compiled.route.method == method:
                # A REST API passes path parameters on still percent-encoded, as they came in the request line
                # (payload 1.0); only query strings are decoded. The function decodes them itself.
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
    ) -> dict[str, Any]:
        multi_query = parse_qs(query, keep_blank_values=True)
        text, is_base64 = body_as_api_gateway_passes_it(body, headers.get("Content-Type", ""))
        now = time.time()
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": headers or None,
            "multiValueHeaders": {name: [value] for name, value in headers.items()} or None,
            "queryStringParameters": {name: values[-1] for name, values in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": parameters or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": "local",
                "httpMethod": method,
                "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent")},
                "path": f"/{self.stage}{path}",
                "protocol": "HTTP/1.1",
                "requestId": str(uuid.uuid4()),
                "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "requestTimeEpoch": int(now * 1000),
                "resourcePath": route.path,
                "stage": self.stage,
            },
            "body": text,
            "isBase64Encoded": is_base64,
        }


def template_pattern(template: str) -> re.Pattern[str]:
    """A path template (`/stocks/{stock_id}`) as a pattern naming each parameter's segment."""
    parts = [
        f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") and part.endswith("}") else re.escape(part)
        for part in template.strip("/").split("/")
    ]
    return re.compile("/" + "/".join(parts))


def body_as_api_gateway_passes_it(body: bytes, content_type: str) -> tuple[str | None, bool]:
    """API Gateway passes text bodies as they are and anything else base64-encoded."""
    if not body:
        return None, False
    textual = not content_type or content_type.startswith(("text/", "application/json", "application/x-www-form"))
    if textual:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def http_response(outcome: Invocation) -> Answer:
    """The proxy response as HTTP; a function error or a malformed response is API Gateway's 502."""
    result = outcome.result
    if outcome.failed or not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        logger.error("function error or malformed proxy response: %s", outcome.error or result)
        return json_answer(502, {"message": "Internal server error"})
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(name)] = ", ".join(str(value) for value in values)
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    return int(result["statusCode"]), list(headers.items()), raw


def json_answer(status: int, document: dict[str, Any]) -> Answer:
    return status, [("Content-Type", "application/json")], json.dumps(document).encode()


Respond = Callable[[str, str, dict[str, str], bytes, str], Answer]


def bind(host: str, port: int, respond: Respond) -> ThreadingHTTPServer:
    """An HTTP server bound now (port 0 picks a free one) and not yet serving, answering with `respond`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = respond(
                self.command, self.path, dict(self.headers.items()), body, self.client_address[0]
            )
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

        def __getattr__(self, name: str) -> Any:
            # Any other method (TRACE, QUERY, a made-up one) is a method no route declares, which API Gateway
            # answers itself in JSON; http.server's own answer would be an HTML 501 page that no API Gateway sends.
            if name.startswith("do_"):
                return self._handle
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            logger.info("%s %s", self.address_string(), format % args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
