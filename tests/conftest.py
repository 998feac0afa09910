"""Shared fixtures: an emulated AWS account (moto) with the stock service's resources."""

from __future__ import annotations

import atexit
import functools
import gc
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import moto.kms.models as kms_models
import moto.kms.utils as kms_utils
import moto.sqs.models as sqs_models
import pytest
from hypothesis import settings
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber
from xdist.scheduler import LoadScopeScheduling

from local_stack.aws.sqs_visibility import count_visibility_from_receipt

REGION = "eu-west-3"

# Loaded whenever the suite runs, in CI and here alike: on a busy machine (2 cores, a local stack beside, a
# mutation run) one example can outlast Hypothesis's 200 ms deadline, a slowness the suite's time-out already
# bounds. A wrong answer still fails, with its example; loaded before the test modules, whose own settings
# inherit it.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

# A test process holds a large heap for its whole life (botocore's service models, moto's, the shared program runs),
# and each test makes and drops many objects that outlive a young collection: with Python's default thresholds, the
# whole heap was walked every few tests, a fifth of a worker's time. A full collection is looked for after 100
# collections of the middle generation instead of 10; the young ones, which free most cycles, run as often as ever.
gc.set_threshold(700, 10, 100)

# As a test process exits, the interpreter searches all it holds (moto's accounts, program runs, clients) for garbage
# before freeing it: a second or more that each xdist worker, and so the run, waits at its end. Frozen once the process
# is exiting, its objects are left to the operating system, not searched nor finalised (Python promises no finaliser of
# what is left at exit, and no test relies on one).
atexit.register(gc.freeze)

# Each function under test builds its clients from a botocore session of its own, as in an execution environment, and
# each new session would read and parse the services' JSON models again: most of a handler test's time. The tests
# share one loader per data path instead (botocore already shares a loader's parsed models among a session's
# clients, so nothing changes in what a client does).
botocore.session.create_loader = functools.lru_cache(maxsize=None)(botocore.loaders.create_loader)

# moto makes a new RSA key pair, a tenth of a second's work, for every KMS key, which only a key of an asymmetric spec
# uses (to sign, or to give its public key): the HMAC key that seals the API's cursors is made for each API test. The
# keys of the other specs, which MAC or encrypt with their own random key material, share one unused pair instead.
_unused_key_pair = functools.cache(lambda: kms_utils.generate_private_key("RSA_2048"))


def _key_pair(key_spec: str) -> kms_utils.AbstractPrivateKey:
    if key_spec == "SYMMETRIC_DEFAULT" or key_spec.startswith("HMAC"):
        return _unused_key_pair()
    return kms_utils.generate_private_key(key_spec)


kms_models.generate_private_key = _key_pair  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever a test does, boto3 must never find real credentials or reach a real endpoint.
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@dataclass
class Account:
    """Clients on an emulated account, and the resources the service needs."""

    dynamodb: Any
    sqs: Any
    sns: Any
    table_name: str
    dead_letter_queue_url: str
    topic_arn: str
    alert_inbox_url: str
    import_queue_url: str
    bucket: str = "stock-drops"

    @functools.cached_property
    def s3(self) -> Any:
        """An S3 client, the bucket made on first use."""
        client = account_client("s3")
        client.create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
        return client

    def stored(self, stock_id: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.dynamodb.get_item(
            TableName=self.table_name, Key={"stock_id": {"S": stock_id}}
        ).get("Item")
        return item

    def drain(self, queue_url: str) -> list[dict[str, Any]]:
        """Every message now on a queue, deleted as read."""
        messages: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages"):
            messages.extend(batch)
            for message in batch:
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return messages


def each_request_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the emulated account serve one request at a time. In-process moto applies an UpdateItem as read, change
    and put back, so two writes of one item from two threads can lose one of them, which DynamoDB never does; the
    functions save a message's lines 16 at once. The local stack serialises its DynamoDB for the same reason
    (local_stack.aws.atomic_dynamodb)."""
    whole = threading.RLock()
    process = BotocoreStubber.process_request

    def process_whole(self: BotocoreStubber, request: Any) -> Any:
        with whole:
            return process(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", process_whole)


@functools.cache
def account_client(service: str) -> Any:
    """A client on the emulated account, made once per service: making one costs more than the account. A client keeps
    no state of the account it reaches (every request goes to moto, which is emptied when a test's account ends), and
    a test that patches one of its methods has it put back as the test ends."""
    make: Any = boto3.client  # its type stubs have an overload per service name, not for a name in a variable
    return make(service, region_name=REGION)


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    # The local stack's SQS, not moto's: the 12 hours a message may stay hidden count from its receipt, as in SQS.
    count_visibility_from_receipt()
    each_request_whole(monkeypatch)
    with mock_aws():
        dynamodb, sqs, sns = (account_client(service) for service in ("dynamodb", "sqs", "sns"))
        dynamodb.create_table(
            TableName="stock-levels",
            KeySchema=[{"AttributeName": "stock_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "stock_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        dynamodb.create_table(
            TableName="sent-alerts",
            KeySchema=[{"AttributeName": "change_id", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "change_id", "AttributeType": "S"},
                {"AttributeName": "stock_id", "AttributeType": "S"},
                {"AttributeName": "claimed_at", "AttributeType": "N"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-item",
                    "KeySchema": [
                        {"AttributeName": "stock_id", "KeyType": "HASH"},
                        {"AttributeName": "claimed_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        dead_letters = sqs.create_queue(QueueName="stock-import-dlq")["QueueUrl"]
        inbox = sqs.create_queue(QueueName="alert-inbox")["QueueUrl"]
        topic_arn = sns.create_topic(Name="low-stock")["TopicArn"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
        import_queue = sqs.create_queue(QueueName="stock-import-queue")["QueueUrl"]
        yield Account(dynamodb, sqs, sns, "stock-levels", dead_letters, topic_arn, inbox, import_queue)


class SqsClock:
    """The time moto's SQS reads (its module's own functions), frozen at the real time until `advance`d."""

    def __init__(self) -> None:
        self.now = time.time()

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def seconds(self) -> float:
        return self.now

    def millis(self) -> float:
        return self.now * 1000


@pytest.fixture
def sqs_clock(monkeypatch: pytest.MonkeyPatch) -> SqsClock:
    """SQS's clock, in the emulated account and in the local stack's embedded AWS, which runs in this process."""
    clock = SqsClock()
    monkeypatch.setattr(sqs_models, "unix_time", clock.seconds)
    monkeypatch.setattr(sqs_models, "unix_time_millis", clock.millis)
    return clock


# `make test` runs the suite on both cores (pytest-xdist, `--dist loadscope`). Each group of tests runs whole on one
# worker, so that a module's or a session's stack is started once, by the worker that runs the group, never once per
# test: a test file is a group, and so is a directory whose tests share session-scoped stacks. Any other `--dist`
# (`make check`'s, test by test) is xdist's own.
SHARED_SESSION_STACKS = ("tests/scenarios/", "tests/reliability/")
# The groups that take longest, each a few stacks started in one test: sent first, so that neither worker is left
# running one of them alone at the end.
LONGEST_GROUPS = (
    "tests/test_benchmarks.py",
    "tests/tools/test_rehearsal.py",
    "tests/scenarios/",
    "tests/reliability/",
)


def xdist_group_of(nodeid: str) -> str:
    """The group of the test `nodeid`: its file, or the directory of shared session stacks it is in."""
    path = nodeid.split("::", 1)[0]
    return next((directory for directory in SHARED_SESSION_STACKS if path.startswith(directory)), path)


class StackGroupScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist is untyped
    """xdist's scheduling by scope, with `xdist_group_of` for scope (the hook xdist's own subclasses override), in
    the order the tests were collected."""

    def _split_scope(self, nodeid: str) -> str:
        return xdist_group_of(nodeid)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> StackGroupScheduling | None:
    if config.getoption("dist") != "loadscope":
        return None
    config.option.loadscopereorder = False  # xdist would send the groups of most tests first, not the longest
    return StackGroupScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest groups first, then those that start stacks, then the others, each in the order collected."""
    starts_stacks = {xdist_group_of(item.nodeid) for item in items if item.get_closest_marker("local_stack")}

    def rank(item: pytest.Item) -> int:
        group = xdist_group_of(item.nodeid)
        if group in LONGEST_GROUPS:
            return LONGEST_GROUPS.index(group)
        return len(LONGEST_GROUPS) + (group not in starts_stacks)

    items.sort(key=rank)


# `make check` (-m "not local_stack") deselects every test of a file marked local_stack as a whole, after importing it:
# such files, and directories of nothing else, are not collected at all, which spares each worker their imports.
_WHOLE_FILE_LOCAL_STACK = re.compile(r"^pytestmark = pytest\.mark\.local_stack\b", re.MULTILINE)
_FILE_MARK = re.compile(r"^pytestmark\b", re.MULTILINE)


def only_local_stack_tests(path: Path) -> bool:
    """Whether every test under `path` (a test file, or a directory of them) is marked local_stack by its file."""
    files = sorted(path.rglob("test_*.py")) if path.is_dir() else [path]
    return bool(files) and all(_marked_local_stack_alone(file.read_text()) for file in files)


def _marked_local_stack_alone(source: str) -> bool:
    return len(_FILE_MARK.findall(source)) == 1 and _WHOLE_FILE_LOCAL_STACK.search(source) is not None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if config.option.markexpr.strip() != "not local_stack":
        return None
    if collection_path.is_dir() or (collection_path.name.startswith("test_") and collection_path.suffix == ".py"):
        return only_local_stack_tests(collection_path) or None
    return None
