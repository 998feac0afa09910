"""S3's event notifications to Lambda, which the local stack delivers itself (moto would invoke Lambda in Docker).

Saving: S3 accepts a bucket's notification configuration only if each function's resource policy lets
s3.amazonaws.com invoke it for that bucket; PutBucketNotificationConfiguration fails otherwise
(docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html). The configurations the
program declared are checked so at start-up (`BucketNotifications`).

Producing: a write that creates an object (PutObject, CopyObject, CompleteMultipartUpload) is answered first; then
each listener gets the record S3 would send (docs.aws.amazon.com/AmazonS3/latest/userguide/
notification-content-structure.html): the key URL-encoded, the new ETag and size, and a sequencer that grows with
each event (`ObjectCreatedEvents`, a request layer of the embedded AWS).

Delivering: a record goes to every function whose notification names its event type and whose key prefix and
suffix filters its decoded key matches (docs.aws.amazon.com/AmazonS3/latest/userguide/
notification-how-to-filtering.html), one record per event, as an asynchronous invocation
(docs.aws.amazon.com/lambda/latest/dg/with-s3.html).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote_plus, unquote_plus

from moto.s3.models import s3_backends

from local_stack.aws.aws_requests import WsgiApp, object_path, service

ObjectCreatedListener = Callable[[dict[str, Any]], None]
Deliver = Callable[[dict[str, Any]], None]  # hands one event to a function, as Lambda's asynchronous Invoke


class NotificationRefused(RuntimeError):
    """A bucket notification configuration S3 would not save."""


class ObjectCreatedEvents:
    """Request layer: after a successful object-creating request, calls every listener with its S3 record."""

    def __init__(self, region: str, account: str) -> None:
        self._region = region
        self._account = account
        self._listeners: list[ObjectCreatedListener] = []
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()

    def subscribe(self, listener: ObjectCreatedListener) -> None:
        self._listeners.append(listener)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any], forward: WsgiApp
    ) -> Iterable[bytes]:
        event_name = _object_created(environ) if service(environ) == "s3" else None
        if event_name is None:
            return forward(environ, start_response)
        status: list[str] = []

        def recording(code: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *rest)

        body = list(forward(environ, recording))  # the object is stored once the answer is made
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


class BucketNotifications:
    """The buckets' notification configurations, checked as S3 checks them when they are saved; called with each
    object-created record, it delivers the record to every function whose notification matches it."""

    def __init__(
        self,
        configurations: Mapping[str, Sequence[Mapping[str, Any]]],
        function_names: Mapping[str, str],
        permissions: Sequence[Mapping[str, Any]],
        deliver_to: Callable[[str], Deliver],
        announce: Callable[[str], None],
    ) -> None:
        """`configurations`: each bucket's Lambda notifications, as the program declared them; `function_names` by
        ARN; `permissions`: the functions' resource-policy statements; `deliver_to(function_arn)`: what hands an
        event to that function, asked once per function. Raises NotificationRefused as S3 would refuse."""
        self._announce = announce
        self._targets: list[tuple[str, Mapping[str, Any], Deliver]] = []
        delivering: dict[str, Deliver] = {}
        for bucket, notifications in configurations.items():
            for notification in notifications:
                arn = notification["lambdaFunctionArn"]
                check_s3_may_invoke(bucket, function_names[arn], arn, permissions)
                if arn not in delivering:
                    delivering[arn] = deliver_to(arn)
                self._targets.append((bucket, notification, delivering[arn]))

    def __call__(self, record: dict[str, Any]) -> None:
        for bucket, notification, deliver in self._targets:
            if bucket == record["s3"]["bucket"]["name"] and notifies(notification, record):
                self._announce(f"file dropped: s3://{bucket}/{unquote_plus(record['s3']['object']['key'])}")
                deliver({"Records": [record]})


def check_s3_may_invoke(
    bucket: str, function_name: str, function_arn: str, permissions: Sequence[Mapping[str, Any]]
) -> None:
    """Raise NotificationRefused unless a permission lets s3.amazonaws.com invoke the function for this bucket."""
    bucket_arn = f"arn:aws:s3:::{bucket}"
    for permission in permissions:
        if (
            permission.get("function") in (function_name, function_arn)
            and permission.get("principal") == "s3.amazonaws.com"
            and permission.get("action") == "lambda:InvokeFunction"
            and permission.get("sourceArn") in (None, "", bucket_arn)
        ):
            return
    raise NotificationRefused(
        "InvalidArgument: Unable to validate the following destination configurations "
        f"(bucket {bucket}: no permission lets s3.amazonaws.com invoke {function_name} for {bucket_arn})"
    )


def notifies(notification: Mapping[str, Any], record: dict[str, Any]) -> bool:
    """Whether an S3 event record matches a notification's events and its key prefix and suffix filters."""
    event = f"s3:{record['eventName']}"
    if not any(
        event == wanted or (wanted.endswith(":*") and event.startswith(wanted[:-1]))
        for wanted in notification["events"]
    ):
        return False
    key = unquote_plus(record["s3"]["object"]["key"])
    return key.startswith(notification.get("filterPrefix") or "") and key.endswith(
        notification.get("filterSuffix") or ""
    )
