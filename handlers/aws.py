"""What every handler shares: the entry point Lambda calls, which builds the function once per execution environment
from the settings it was deployed with, and the AWS clients it builds it with."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import botocore.session
from botocore.config import Config

from handlers.settings import CommonSettings, FunctionLimits, SettingError
from handlers.time_budget import attempt_timeouts, refuse_attempts_that_cannot_finish

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

# botocore's INFO lines (credentials found, endpoints chosen) would be billed as log volume on every cold start.
logging.getLogger("botocore").setLevel(logging.WARNING)
logger = logging.getLogger(__name__)

# How many saves of one message run at once; the client keeps a connection for each.
WRITE_CONCURRENCY = 16

# What Lambda calls with an event and its context, and what it gets back.
Handler = Callable[[dict[str, Any], object], dict[str, Any]]
S = TypeVar("S", bound=CommonSettings[Any])
_NO_TIME_OUT_GIVEN = FunctionLimits()  # a test's, a script's


class AwsClients:
    """The AWS clients of one execution environment, each built when first asked for. An attempt of any call is
    sized to the function's time-out and is not started if it might not end within the invocation (time_budget)."""

    def __init__(self, limits: FunctionLimits = _NO_TIME_OUT_GIVEN) -> None:
        self._attempt_timeouts = attempt_timeouts(limits.timeout_seconds)

    @property
    def attempt_seconds(self) -> float:
        """The longest one attempt of a call may take (connect plus read), sized to the function's time-out."""
        return sum(self._attempt_timeouts)

    @functools.cached_property
    def _session(self) -> botocore.session.Session:
        # botocore directly: `import boto3` would also load s3transfer, a third of the cold start, for nothing.
        session = botocore.session.get_session()
        # First among the `before-send` handlers: the check precedes anything that would send the request.
        session.get_component("event_emitter").register_first(
            "before-send", refuse_attempts_that_cannot_finish(self.attempt_seconds)
        )
        return session

    def _client(self, service: str) -> Any:
        # Built on first use, not when an adapter is given it: the bucket function's SQS clients, say, cost a cold
        # start nothing until a file has lines to send.
        return _OnFirstUse(functools.partial(self._create_client, service))

    def _create_client(self, service: str) -> Any:
        # Standard retry mode backs off on throttling and retries time-outs: 3 retries, 4 attempts. With fixed 2 s +
        # 5 s attempts that is over 28 s in the worst case, past a 10 s time-out: so attempts are sized to the
        # function's time-out, and one that might not end within the invocation is not started (time_budget).
        connect, read = self._attempt_timeouts
        config = Config(
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=connect,
            read_timeout=read,
            max_pool_connections=WRITE_CONCURRENCY,
        )
        return self._session.create_client(service, config=config)

    @functools.cached_property
    def dynamodb(self) -> DynamoDBClient:
        return cast("DynamoDBClient", self._client("dynamodb"))

    @functools.cached_property
    def sqs(self) -> SQSClient:
        return cast("SQSClient", self._client("sqs"))

    @functools.cached_property
    def sns(self) -> SNSClient:
        return cast("SNSClient", self._client("sns"))

    @functools.cached_property
    def s3(self) -> S3Client:
        return cast("S3Client", self._client("s3"))

    @functools.cached_property
    def secrets_manager(self) -> SecretsManagerClient:
        return cast("SecretsManagerClient", self._client("secretsmanager"))

    @functools.cached_property
    def kms(self) -> Any:  # no typed KMS client among the stubs the project pins
        return self._client("kms")


class _OnFirstUse:
    """Stands in for a client until something of it is asked for, then makes it, once, and forwards to it."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._made: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._made is None:
            self._made = self._make()
        return getattr(self._made, name)


class EntryPoint(Generic[S]):
    """The handler Lambda calls: on the first invocation of an execution environment it reads the function's settings
    from the environment and builds the function with them (nothing is built, nothing called, at import); every
    invocation then goes to what it built."""

    def __init__(self, build: Callable[[S, AwsClients], Handler], settings: type[S]) -> None:
        self._build = build
        self._settings = settings
        self._built: Handler | None = None
        self.clients: AwsClients | None = None  # those of the function built, once it is

    @property
    def settings(self) -> type[S]:
        """The class this function's settings are read with."""
        return self._settings

    def __call__(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        return self.built()(event, context)

    def built(self) -> Handler:
        """The function of this execution environment, built on first use; SettingError if it was deployed wrong."""
        if self._built is None:
            try:
                settings = self._settings.from_environment(os.environ)
            except SettingError:
                # Fails every invocation, and so the whole batch or request (API Gateway's 5xx): a function deployed
                # without its settings can do nothing right, and its log says what is missing at once.
                logger.critical("the function cannot start: its settings are incomplete", exc_info=True)
                raise
            self.clients = AwsClients(settings.limits)
            self._built = self._build(settings, self.clients)
        return self._built
