"""What the embedded AWS's request layers are, and what they read from a request: who signed it, for which
service, calling what, on which S3 object."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import parse_qs

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]  # moto's server, or the layers before it


class RequestLayer(Protocol):
    """One layer of the request path in front of moto (local_stack.aws.embedded_aws lists them in order)."""

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any], forward: WsgiApp
    ) -> Iterable[bytes]:
        """Answer the request itself, or pass it on with `forward` (the next layers, then moto)."""
        ...


_SERVICE_IN_CREDENTIAL = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")
_ACCESS_KEY_IN_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def service(environ: dict[str, Any]) -> str:
    """The service a request is signed for (its credential scope), "" if unsigned."""
    found = _SERVICE_IN_CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    return found.group(1) if found else ""


def access_key_id(environ: dict[str, Any]) -> str:
    """The access key a request is signed with ("" if unsigned)."""
    found = _ACCESS_KEY_IN_CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    return found.group(1) if found else ""


def operation(environ: dict[str, Any]) -> str:
    """The API operation a request calls: from X-Amz-Target (JSON protocols) or the form's Action (query)."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:  # JSON protocols: DynamoDB_20120810.UpdateItem
        return str(target).rsplit(".", 1)[-1]
    body = read_body(environ)  # query protocol (SNS): Action=Publish in the form
    return parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body, put back so the application behind can read it too."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def object_path(environ: dict[str, Any]) -> tuple[str, str, str]:
    """(bucket, "/", key) of a path-style S3 request, as botocore addresses an endpoint given by IP address; WSGI
    gives the decoded path as Latin-1, S3 keys are UTF-8."""
    path = str(environ.get("PATH_INFO", "")).encode("latin-1").decode("utf-8", "replace").lstrip("/")
    return path.partition("/")
