"""S3's object-created events, which the local stack dispatches itself (moto would invoke Lambda in Docker).

A write that creates an object (PutObject, CopyObject, CompleteMultipartUpload) is answered first; then each
listener gets the event record S3 would send (docs.aws.amazon.com/AmazonS3/latest/userguide/
notification-content-structure.html): the key URL-encoded, the new ETag and size, and a sequencer that grows
with each event. Requests are path-style, as botocore addresses an endpoint given by IP address.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote_plus

from moto.s3.models import s3_backends

from local_stack.aws.aws_requests import WsgiApp, service

ObjectCreatedListener = Callable[[dict[str, Any]], None]


class ObjectCreatedEvents:
    """WSGI middleware: after a successful object-creating request, calls every listener with its S3 record."""

    def __init__(self, app: WsgiApp, region: str, account: str) -> None:
        self._app = app
        self._region = region
        self._account = account
        self._listeners: list[ObjectCreatedListener] = []
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()

    def subscribe(self, listener: ObjectCreatedListener) -> None:
        self._listeners.append(listener)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        event_name = _object_created(environ) if service(environ) == "s3" else None
        if event_name is None:
            return self._app(environ, start_response)
        status: list[str] = []

        def recording(code: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *rest)

        body = list(self._app(environ, recording))  # the object is stored once the answer is made
        if status and status[0].startswith("200"):
            bucket, _, key = object_path(environ)
            record = self._record(bucket, key, event_name)
            if record is not None:
                for listener in self._listeners:
                    listener(record)
        return body

    def _record(self, bucket: str, key: str, event_name: str) -> dict[str, Any] | None:
        stored = s3_backends[self._account]["aws"].get_object(bucket, key)
        if stored is None:
            return None
        with self._lock:
            sequencer = f"{next(self._sequence):016X}"
        now = datetime.now(UTC)
        return {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": self._region,
            "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
            "eventName": f"ObjectCreated:{event_name}",
            "userIdentity": {"principalId": f"AWS:{self._account}"},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {"x-amz-request-id": sequencer, "x-amz-id-2": sequencer},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "local",
                "bucket": {
                    "name": bucket,
                    "ownerIdentity": {"principalId": self._account},
                    "arn": f"arn:aws:s3:::{bucket}",
                },
                "object": {
                    "key": quote_plus(key, safe="/"),
                    "size": stored.size,
                    "eTag": stored.etag.strip('"'),
                    "sequencer": sequencer,
                },
            },
        }


def _object_created(environ: dict[str, Any]) -> str | None:
    """The event a request would cause if it succeeds: Put, Copy or CompleteMultipartUpload (parts do not)."""
    method = environ.get("REQUEST_METHOD")
    query = parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
    if not object_path(environ)[2]:
        return None  # a bucket-level request
    if method == "PUT" and "partNumber" not in query and not query.keys() & {"tagging", "acl", "retention"}:
        return "Copy" if environ.get("HTTP_X_AMZ_COPY_SOURCE") else "Put"
    if method == "POST" and "uploadId" in query:
        return "CompleteMultipartUpload"
    return None


def object_path(environ: dict[str, Any]) -> tuple[str, str, str]:
    """(bucket, "/", key) of a path-style request; WSGI gives the decoded path as Latin-1, S3 keys are UTF-8."""
    path = str(environ.get("PATH_INFO", "")).encode("latin-1").decode("utf-8", "replace").lstrip("/")
    return path.partition("/")
