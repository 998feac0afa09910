"""Which stack the scenarios run against: STACK_OUTPUTS names a running one's outputs, else a local one starts.

Either way the scenarios reach it as any AWS client reaches AWS, through the environment's standard AWS
configuration: with STACK_OUTPUTS, whatever the environment holds (a deployed stack's role, or the variables
`make run` prints for a local one); for the local stack they start, those variables, set for each scenario.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from handlers.settings import Channel
from tests.running_stack import start_stack, stop_stack
from tests.scenarios.alerts import AlertChannel, AlertChannels, ChatInbox, TopicInbox
from tests.scenarios.target import Target
from tests.scenarios.webhook_receiver import WebhookReceiver
from tools.local_rehearsal import LoopbackReceiver
from tools.stack_outputs import api_kind_of, local_stack_environment
from tools.test_aws import RECEIVER_OUTPUTS_VARIABLE

# Every scenario runs against a local stack of each API kind: the same requests get the same answers.
API_KINDS = ("rest", "http")
SCENARIO_STACK_DEFAULT = 3


def api_kinds_to_run(environ: Mapping[str, str]) -> tuple[str, ...]:
    """A local stack of each kind, or the one kind of the stack STACK_OUTPUTS names, read from its outputs, so
    that each scenario's id (`[http]`, `[rest]`) says which kind of API it ran against."""
    outputs = environ.get("STACK_OUTPUTS")
    return (api_kind_of(json.loads(Path(outputs).read_text())),) if outputs else API_KINDS


@pytest.fixture(scope="session", params=api_kinds_to_run(os.environ))
def started_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | None]:
    """The work dir of the local stack the scenarios started, with the API kind of this run, or None when
    STACK_OUTPUTS names a stack (whose kind is its own: the scenarios run once)."""
    if os.environ.get("STACK_OUTPUTS"):
        yield None
        return
    work_dir = tmp_path_factory.mktemp(f"scenarios-{request.param}-stack")
    # A default reorder point other than the project's: the scenarios read the stack's, as they must in AWS, where
    # the base stack's settings choose it (the rehearsal of `make test-aws` runs them at the project's).
    config = {"apiKind": request.param, "lowStockThreshold": SCENARIO_STACK_DEFAULT, **chat_channel_settings(request)}
    stack = start_stack(work_dir, config)
    try:
        yield work_dir
    finally:
        stop_stack(stack)


@pytest.fixture(autouse=True)
def _no_real_aws(started_stack: Path | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """In place of the suite's guard, which sets test keys: a scenario signs with the environment's own, or, for
    the stack it started, with only the three variables that lead to it."""
    if started_stack is not None:
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            monkeypatch.delenv(name)
        for name, value in local_stack_environment(started_stack, {}).items():
            monkeypatch.setenv(name, value)


@pytest.fixture
def target(started_stack: Path | None, _no_real_aws: None) -> Target:
    """Made in each scenario's environment: a boto3 session reads the AWS configuration files when it is made."""
    return Target.from_outputs_file(
        started_stack / "outputs.json" if started_stack else Path(os.environ["STACK_OUTPUTS"])
    )


@pytest.fixture
def unique() -> str:
    """A prefix for this test's items, so runs against a shared stack never meet."""
    return f"SC-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def loopback_receiver() -> Iterator[dict[str, Any] | None]:
    """The outputs of the webhook receiver the local stacks the scenarios start post to, on this machine; None when
    STACK_OUTPUTS names a stack, whose receiver (if any) WEBHOOK_RECEIVER_OUTPUTS describes."""
    if os.environ.get("STACK_OUTPUTS"):
        yield None
        return
    receiver = LoopbackReceiver()
    outputs = {key: output.value for key, output in receiver.up().outputs.items()}
    try:
        yield outputs
    finally:
        receiver.destroy()


def chat_channel_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A local stack's settings for a chat channel that posts to the loopback receiver (a loopback URL, which the
    local stack takes as a secret), beside SNS, as `make test-aws` sets the ephemeral stack's."""
    receiver: dict[str, Any] = request.getfixturevalue("loopback_receiver")
    return {"alertChannels": ["sns", "webhook"], "alertWebhookUrl": receiver["url"]}


def chat_receiver(target: Target, loopback_receiver: dict[str, Any] | None) -> WebhookReceiver | None:
    """The webhook receiver the stack's chat channel posts to, if the run knows one."""
    if loopback_receiver is not None:
        return WebhookReceiver(loopback_receiver, target)
    described = os.environ.get(RECEIVER_OUTPUTS_VARIABLE)
    return WebhookReceiver(json.loads(Path(described).read_text()), target) if described else None


@pytest.fixture
def chat(target: Target, loopback_receiver: dict[str, Any] | None) -> WebhookReceiver:
    """The webhook receiver the stack's chat channel posts to."""
    receiver = chat_receiver(target, loopback_receiver)
    if receiver is None:
        pytest.skip(f"{RECEIVER_OUTPUTS_VARIABLE} names no webhook receiver to read (make test-aws sets it)")
    return receiver


@pytest.fixture
def alert_channels(target: Target, unique: str, loopback_receiver: dict[str, Any] | None) -> Iterator[AlertChannels]:
    """Every alert channel of the stack this run can read: the topic, through a queue subscribed for the test, and
    the chat channel, if the stack has one and the run knows its receiver. Handed over once a first alert has
    reached each, so that the subscription is in force and earlier tests' alerts are out of the way."""
    inbox = TopicInbox(target, f"{unique}-inbox")
    channels: list[AlertChannel] = [inbox]
    receiver = chat_receiver(target, loopback_receiver)
    if Channel.WEBHOOK in (target.outputs.get("alert_dead_letter_queue_urls") or {}) and receiver is not None:
        channels.append(ChatInbox(receiver))
    try:
        reader = AlertChannels(target, channels)
        reader.settle()
        yield reader
    finally:
        inbox.close()
