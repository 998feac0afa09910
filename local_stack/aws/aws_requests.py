"""What the embedded AWS's layers read from a request: who signed it, for which service, calling what."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]  # what each layer wraps
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
