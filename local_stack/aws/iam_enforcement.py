"""IAM in front of the embedded AWS: a function's requests are allowed only as its role's policies allow them.

Each function calls the embedded AWS with credentials of its own role. This WSGI layer names the action and
the resource of each such request from the request itself (moto's own enforcement checks DynamoDB and SNS
requests against "*"), evaluates the role's policies (local_stack.aws.iam_policies), and answers a refused call
with the service's own access-denied error, in its wire format, as AWS does. Publishing to a KMS-encrypted
topic also needs kms:GenerateDataKey and kms:Decrypt on its key
(docs.aws.amazon.com/sns/latest/dg/sns-key-management.html). A KMS call is authorised on the ARN of the key it
names, by ARN or by id (an alias is not resolved here). Requests with any other credentials act as the local
account's administrator, so the developer's `aws --endpoint-url ...` keeps working.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from moto.s3.models import s3_backends

from local_stack.aws import aws_requests
from local_stack.aws.aws_requests import WsgiApp, access_key_id, object_path, operation, read_body
from local_stack.aws.iam_policies import Identity, denial_message

logger = logging.getLogger("local_stack.iam")

# An IAM action is named by the operation, except batch operations, which are authorised as the single one
# (docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html).
_BATCH_ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
_TARGET_PREFIXES = {
    "DynamoDB_20120810": "dynamodb",
    "DynamoDBStreams_20120810": "dynamodb",
    "AmazonSQS": "sqs",
    "TrentService": "kms",
}


@dataclass(frozen=True)
class Refusal:
    """A call refused: by whom, what, on which resource."""

    identity: Identity
    action: str
    resource: str

    @property
    def message(self) -> str:
        return denial_message(self.identity, self.action, self.resource)


class IamEnforcer:
    """Request layer: IAM's authorisation of each call, for requests signed with a registered function's key,
    against its role's policies; a refused call gets the service's own access-denied error."""

    def __init__(self, region: str, account: str) -> None:
        self._region = region
        self._account = account
        self._identities: dict[str, Identity] = {}
        self._topic_keys: dict[str, str] = {}

    def register(self, access_key: str, identity: Identity) -> None:
        """Requests signed with `access_key` come from `identity` and are checked against its policies."""
        self._identities[access_key] = identity

    def encrypt_topic(self, topic_arn: str, key_arn: str) -> None:
        """Publishing to this topic also needs the key's data-key grants."""
        self._topic_keys[topic_arn] = key_arn

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any], forward: WsgiApp
    ) -> Iterable[bytes]:
        identity = self._identities.get(access_key_id(environ))
        if identity is None:
            return forward(environ, start_response)
        for action, resource in self.requirements(environ):
            if not identity.allows(action, resource):
                return self._refuse(environ, Refusal(identity, action, resource), start_response)
        if self._hides_a_missing_object(environ, identity):
            return _s3_access_denied(
                "AccessDenied: without s3:ListBucket, a missing object reads as denied", start_response
            )
        return forward(environ, start_response)

    def _hides_a_missing_object(self, environ: dict[str, Any], identity: Identity) -> bool:
        """S3 answers a read of a missing object with 403, not 404, to a caller without s3:ListBucket on the
        bucket (docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions")."""
        if aws_requests.service(environ) != "s3" or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return False
        bucket, _, key = object_path(environ)
        if not key or identity.allows("s3:ListBucket", f"arn:aws:s3:::{bucket}"):
            return False
        return s3_backends[self._account]["aws"].get_object(bucket, key) is None

    def requirements(self, environ: dict[str, Any]) -> list[tuple[str, str]]:
        """The (action, resource) pairs IAM checks for this request."""
        if aws_requests.service(environ) == "s3":
            return _s3_requirements(environ)
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        name = operation(environ)
        if target:
            service = _TARGET_PREFIXES.get(target.split(".", 1)[0], target.split(".", 1)[0].lower())
            body = json.loads(read_body(environ) or b"{}")
        else:  # the query protocol: SNS
            service, body = "sns", _form(read_body(environ))
        action = f"{service}:{_BATCH_ACTIONS.get(name, name)}"
        resources = self._resources(service, body)
        needed = [(action, resource) for resource in resources]
        if action == "sns:Publish" and resources[0] in self._topic_keys:
            key = self._topic_keys[resources[0]]
            needed += [("kms:GenerateDataKey", key), ("kms:Decrypt", key)]
        return needed

    def _resources(self, service: str, body: dict[str, Any]) -> list[str]:
        """The resources a request is authorised on: the one it names, or each table of a DynamoDB batch
        (BatchGetItem and BatchWriteItem name their tables in RequestItems, and IAM checks the action on each:
        docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html)."""
        if service == "dynamodb" and isinstance(body.get("RequestItems"), dict) and body["RequestItems"]:
            prefix = f"arn:aws:{service}:{self._region}:{self._account}"
            return [f"{prefix}:table/{table}" for table in body["RequestItems"]]
        return [self._resource(service, body)]

    def _resource(self, service: str, body: dict[str, Any]) -> str:
        prefix = f"arn:aws:{service}:{self._region}:{self._account}"
        if service == "dynamodb":
            if "StreamArn" in body:
                return str(body["StreamArn"])
            table = f"{prefix}:table/{body.get('TableName', '*')}"
            # A Query or Scan of an index is authorised on the index's ARN alone (`table/NAME/index/INDEX`), so a
            # policy that names only the table does not allow it (resource type `index` of dynamodb:Query and
            # dynamodb:Scan: docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html).
            return f"{table}/index/{body['IndexName']}" if "IndexName" in body else table
        if service == "sqs" and "QueueUrl" in body:
            return f"{prefix}:{str(body['QueueUrl']).rstrip('/').rsplit('/', 1)[-1]}"
        if service == "sns":
            return str(body.get("TopicArn") or body.get("TargetArn") or "*")
        if service == "secretsmanager":
            secret = str(body.get("SecretId", "*"))
            return secret if secret.startswith("arn:") else f"{prefix}:secret:{secret}"
        if service == "kms" and "KeyId" in body:
            key = str(body["KeyId"])
            return key if key.startswith("arn:") else f"{prefix}:key/{key}"
        return "*"

    def _refuse(self, environ: dict[str, Any], refusal: Refusal, start_response: Callable[..., Any]) -> list[bytes]:
        logger.warning(
            "refused: %s may not %s on %s (role %s)",
            refusal.identity.session_name,
            refusal.action,
            refusal.resource,
            refusal.identity.role_arn,
        )
        return _access_denied(environ, refusal, start_response)


def _s3_requirements(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """S3's REST requests: the action by method and path, on the bucket or the object
    (docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html)."""
    bucket, _, key = object_path(environ)
    method = environ.get("REQUEST_METHOD")
    if not key:
        return [("s3:ListBucket", f"arn:aws:s3:::{bucket}")] if method == "GET" else [(f"s3:{method}Bucket", "*")]
    resource = f"arn:aws:s3:::{bucket}/{key}"
    if method in ("GET", "HEAD"):
        return [("s3:GetObject", resource)]
    if method == "DELETE":
        return [("s3:DeleteObject", resource)]
    needed = [("s3:PutObject", resource)]  # PUT, and POST for multipart uploads
    copied = str(environ.get("HTTP_X_AMZ_COPY_SOURCE", ""))
    if copied:
        needed.append(("s3:GetObject", f"arn:aws:s3:::{copied.lstrip('/').split('?')[0]}"))
    return needed


def _s3_access_denied(message: str, start_response: Callable[..., Any]) -> list[bytes]:
    start_response("403 Forbidden", [("Content-Type", "application/xml")])
    body = f"<Error><Code>AccessDenied</Code><Message>{escape(message)}</Message><RequestId>local</RequestId></Error>"
    return [body.encode()]


def _form(body: bytes) -> dict[str, Any]:
    return {key: values[-1] for key, values in parse_qs(body.decode("utf-8", "replace")).items()}


def _access_denied(environ: dict[str, Any], refusal: Refusal, start_response: Callable[..., Any]) -> list[bytes]:
    """The error each service answers, as its SDK parses it: DynamoDB's AccessDeniedException, a 400
    (docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html); SQS's JSON protocol
    carrying the query-era code in x-amzn-query-error (docs.aws.amazon.com/AWSSimpleQueueService/latest/
    SQSDeveloperGuide/sqs-json-faqs.html); SNS Publish's AuthorizationError (403) and KMSAccessDenied (400)
    (docs.aws.amazon.com/sns/latest/api/API_Publish.html)."""
    if aws_requests.service(environ) == "s3":
        return _s3_access_denied(refusal.message, start_response)
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target.startswith("AmazonSQS."):  # SQS's JSON protocol keeps its query-era error code in a header
        start_response(
            "403 Forbidden",
            [
                ("Content-Type", "application/x-amz-json-1.0"),
                ("x-amzn-query-error", "AccessDenied;Sender"),
            ],
        )
        document = {"__type": "com.amazon.coral.service#AccessDeniedException", "message": refusal.message}
        return [json.dumps(document).encode()]
    if target:  # DynamoDB, DynamoDB Streams and Secrets Manager
        start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0")])
        document = {"__type": "com.amazon.coral.service#AccessDeniedException", "Message": refusal.message}
        return [json.dumps(document).encode()]
    # SNS: AuthorizationError for the topic, KMSAccessDenied for the key behind it.
    code, status = (
        ("KMSAccessDenied", "400 Bad Request")
        if refusal.action.startswith("kms:")
        else (
            "AuthorizationError",
            "403 Forbidden",
        )
    )
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(refusal.message)}</Message>"
        "</Error><RequestId>local</RequestId></ErrorResponse>"
    )
    start_response(status, [("Content-Type", "text/xml")])
    return [body.encode()]
