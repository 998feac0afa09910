"""A bucket function: a private, encrypted S3 bucket whose object-created events invoke a Lambda.

S3 invokes the function asynchronously (docs.aws.amazon.com/lambda/latest/dg/with-s3.html): Lambda retries a
failed invocation up to twice, then hands the event to the on-failure destination, kept here on a queue with
an alarm, so no dropped file goes unprocessed without someone hearing of it
(docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws

from components.holding_queues import falling_behind_alarm, holding_queue, queue_not_empty_alarm
from components.iam import allow
from components.lambda_function import LambdaFunction, LambdaFunctionArgs
from handlers.settings import DropFolders

# Lambda's limits for asynchronous invocations (API reference, PutFunctionEventInvokeConfig).
MAXIMUM_ASYNC_RETRIES = 2
MINIMUM_EVENT_AGE_SECONDS, MAXIMUM_EVENT_AGE_SECONDS = 60, 6 * 3600


@dataclass
class BucketFunctionArgs:
    """The function, where files are dropped and where it writes, and how long each is kept."""

    function: LambdaFunctionArgs
    input_prefix: str = "incoming/"
    output_prefix: str = "reports/"
    input_expiration_days: int = 30
    output_expiration_days: int = 90
    maximum_retry_attempts: int = MAXIMUM_ASYNC_RETRIES
    maximum_event_age_seconds: int = MAXIMUM_EVENT_AGE_SECONDS
    event_age_alarm_ms: int = 5 * 60_000
    failure_retention_seconds: int = 14 * 24 * 3600
    force_destroy: bool = False
    alarm_actions: Sequence[pulumi.Input[str]] = ()

    def __post_init__(self) -> None:
        # The output must lie outside the input: a report written where files trigger the function would
        # trigger it again, and so on without end.
        for prefix in (self.input_prefix, self.output_prefix):
            if not prefix.endswith("/") or prefix == "/":
                raise ValueError(f"a bucket prefix must be a folder ending in '/', not {prefix!r}")
        if self.input_prefix.startswith(self.output_prefix) or self.output_prefix.startswith(self.input_prefix):
            raise ValueError(f"the output prefix {self.output_prefix!r} must not overlap the input prefix")
        if not 0 <= self.maximum_retry_attempts <= MAXIMUM_ASYNC_RETRIES:
            raise ValueError(f"asynchronous retries must be from 0 to {MAXIMUM_ASYNC_RETRIES}")
        if not MINIMUM_EVENT_AGE_SECONDS <= self.maximum_event_age_seconds <= MAXIMUM_EVENT_AGE_SECONDS:
            raise ValueError(
                f"maximum event age must be from {MINIMUM_EVENT_AGE_SECONDS} s to {MAXIMUM_EVENT_AGE_SECONDS} s"
            )


class BucketFunction(pulumi.ComponentResource):
    """Bucket -> Lambda on every object created under the input prefix; what still fails lands on a queue."""

    bucket: aws.s3.Bucket
    failure_queue: aws.sqs.Queue
    lambda_function: LambdaFunction
    permission: aws.lambda_.Permission
    notification: aws.s3.BucketNotification
    invoke_config: aws.lambda_.FunctionEventInvokeConfig

    def __init__(self, name: str, args: BucketFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless:bucket:BucketFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(f"{name}-bucket", force_destroy=args.force_destroy, opts=child)
        self._secure_bucket(name, args)
        self.failure_queue = holding_queue(f"{name}-failures", args.failure_retention_seconds, parent=self)
        self.lambda_function = LambdaFunction(name, self._function_args(args), opts=child)
        function = self.lambda_function.function
        self.invoke_config = aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-async",
            function_name=function.name,
            maximum_retry_attempts=args.maximum_retry_attempts,
            maximum_event_age_in_seconds=args.maximum_event_age_seconds,
            destination_config={"on_failure": {"destination": self.failure_queue.arn}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.lambda_function.policy]),
        )
        # S3 names no account in a bucket ARN, so the account is a condition too (confused deputy): a bucket of
        # that name in another account may not invoke the function (docs.aws.amazon.com/lambda/latest/dg/
        # with-s3.html; the provider's `source_account` is AddPermission's SourceAccount).
        self.permission = aws.lambda_.Permission(
            f"{name}-s3-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="s3.amazonaws.com",
            source_arn=self.bucket.arn,
            source_account=aws.get_caller_identity_output().account_id,
            opts=child,
        )
        # S3 checks that it may invoke the function when the configuration is saved, so the permission first.
        self.notification = aws.s3.BucketNotification(
            f"{name}-notification",
            bucket=self.bucket.id,
            lambda_functions=[
                {
                    "lambda_function_arn": function.arn,
                    "events": ["s3:ObjectCreated:*"],
                    "filter_prefix": args.input_prefix,
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.permission, self.invoke_config]),
        )
        self._alarms(name, args)
        self.register_outputs({"bucket_name": self.bucket.bucket, "failure_queue_url": self.failure_queue.url})

    def _secure_bucket(self, name: str, args: BucketFunctionArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=self.bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only", bucket=self.bucket.id, policy=tls_only_policy(self.bucket.arn), opts=child
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[
                _expire("processed-files", args.input_prefix, args.input_expiration_days),
                _expire("reports", args.output_prefix, args.output_expiration_days),
                {
                    "id": "abandoned-uploads",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                },
            ],
            opts=child,
        )

    def _function_args(self, args: BucketFunctionArgs) -> LambdaFunctionArgs:
        objects = pulumi.Output.concat(self.bucket.arn, "/")
        statements = [
            *args.function.statements,
            allow(["s3:GetObject"], [pulumi.Output.concat(objects, args.input_prefix, "*")]),
            # Reading the report tells a redelivered event from a new file. Without ListBucket, S3 answers a
            # missing object with 403 rather than 404 (docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html,
            # "Permissions"), which would read as a refusal, not as "no report yet".
            allow(["s3:GetObject", "s3:PutObject"], [pulumi.Output.concat(objects, args.output_prefix, "*")]),
            allow(["s3:ListBucket"], [self.bucket.arn]),
            # Lambda sends the record of a failed asynchronous invocation with the function's own role.
            allow(["sqs:SendMessage"], [self.failure_queue.arn]),
        ]
        folders = DropFolders(input_prefix=args.input_prefix, output_prefix=args.output_prefix)
        environment = {**args.function.environment, **folders.environment()}
        return replace(args.function, statements=statements, environment=environment)

    def _alarms(self, name: str, args: BucketFunctionArgs) -> None:
        falling_behind_alarm(
            f"{name}-falling-behind",
            self.lambda_function.function,
            "AsyncEventAge",
            args.event_age_alarm_ms,
            f"Dropped files wait longer than they should before {name} processes them.",
            args.alarm_actions,
            parent=self,
        )
        queue_not_empty_alarm(
            f"{name}-failures-not-empty",
            self.failure_queue,
            f"{name} gave up on dropped files: their events wait on the failure queue.",
            args.alarm_actions,
            parent=self,
        )


def _expire(rule_id: str, prefix: str, days: int) -> aws.s3.BucketLifecycleConfigurationRuleArgsDict:
    return {"id": rule_id, "status": "Enabled", "filter": {"prefix": prefix}, "expiration": {"days": days}}


def tls_only_policy(bucket_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """Refuse every request made without TLS, whoever makes it
    (docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html)."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "RefuseRequestsWithoutTls",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )
