"""What every handler shares: settings from the environment and AWS clients built once per cold start."""

from __future__ import annotations

import functools
import logging
import os
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

# botocore's INFO lines (credentials found, endpoints chosen) would be billed as log volume on every cold start.
logging.getLogger("botocore").setLevel(logging.WARNING)

# How many saves of one message run at once; the client keeps a connection for each.
WRITE_CONCURRENCY = 16

# Standard retry mode backs off on throttling; short timeouts leave room for a retry within the function's own.
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=WRITE_CONCURRENCY,
)


def setting(name: str, default: str | None = None) -> str:
    """An environment variable the function was deployed with; a missing one is a deployment error."""
    value = os.environ.get(name, default)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set; the function was deployed without it")
    return value


@functools.cache
def _session() -> botocore.session.Session:
    # botocore directly: `import boto3` would also load s3transfer, a third of the cold start, for nothing.
    return botocore.session.get_session()


def _client(service: str) -> Any:
    return _session().create_client(service, config=_CLIENT_CONFIG)


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
