"""What every handler shares: settings from the environment and AWS clients built once per cold start."""

from __future__ import annotations

import functools
import logging
import os
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from botocore.config import Config

from handlers.settings import FunctionLimits
from handlers.time_budget import attempt_timeouts, refuse_attempts_that_cannot_finish

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

# botocore's INFO lines (credentials found, endpoints chosen) would be billed as log volume on every cold start.
logging.getLogger("botocore").setLevel(logging.WARNING)

# How many saves of one message run at once; the client keeps a connection for each.
WRITE_CONCURRENCY = 16


def function_timeout_seconds() -> float | None:
    """This function's time-out, as the program passed it (None where it did not: a test, a script)."""
    return FunctionLimits.from_environment(os.environ).timeout_seconds


@functools.cache
def _attempt_timeouts() -> tuple[float, float]:
    return attempt_timeouts(function_timeout_seconds())


def attempt_seconds() -> float:
    """The longest one attempt of a call may take (connect plus read), sized to the function's time-out."""
    return sum(_attempt_timeouts())


@functools.cache
def _session() -> botocore.session.Session:
    # botocore directly: `import boto3` would also load s3transfer, a third of the cold start, for nothing.
    session = botocore.session.get_session()
    # First among the `before-send` handlers: the check precedes anything that would send the request.
    session.get_component("event_emitter").register_first(
        "before-send", refuse_attempts_that_cannot_finish(sum(_attempt_timeouts()))
    )
    return session


def _client(service: str) -> Any:
    # Standard retry mode backs off on throttling and retries time-outs: 3 retries, 4 attempts. With fixed 2 s + 5 s
    # attempts that is over 28 s in the worst case, past a 10 s time-out: so attempts are sized to the
    # function's time-out, and one that might not end within the invocation is not started (time_budget).
    connect, read = _attempt_timeouts()
    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=connect,
        read_timeout=read,
        max_pool_connections=WRITE_CONCURRENCY,
    )
    return _session().create_client(service, config=config)


@functools.cache
def dynamodb() -> DynamoDBClient:
    """The DynamoDB client of this execution environment."""
    return cast("DynamoDBClient", _client("dynamodb"))


@functools.cache
def sqs() -> SQSClient:
    """The SQS client of this execution environment."""
    return cast("SQSClient", _client("sqs"))


@functools.cache
def sns() -> SNSClient:
    """The SNS client of this execution environment."""
    return cast("SNSClient", _client("sns"))


@functools.cache
def s3() -> S3Client:
    """The S3 client of this execution environment."""
    return cast("S3Client", _client("s3"))


@functools.cache
def secrets_manager() -> SecretsManagerClient:
    """The Secrets Manager client of this execution environment."""
    return cast("SecretsManagerClient", _client("secretsmanager"))
