"""Every port's promises, asked of each of its adapters in the same words: an adapter that passes may replace
another without the domain noticing. The fakes of harness/port_fakes.py are held to the same contracts, since the
domain's own tests rely on them."""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

import pytest
from botocore.exceptions import ClientError

from adapters.outbound.alert_wording import alert_text
from adapters.outbound.dynamodb_sent_alerts import DynamoDbSentAlerts
from adapters.outbound.dynamodb_stock_repository import DynamoDbStockRepository
from adapters.outbound.sns_low_stock_notifier import SnsLowStockNotifier
from adapters.outbound.sqs_alert_deliveries import SqsAlertDeliveries
from adapters.outbound.sqs_rejected_input_store import SqsRejectedInputStore
from adapters.outbound.webhook_low_stock_notifier import WebhookLowStockNotifier, WebhookNotAccepted
from domain import ports
from domain.low_stock import LowStockAlert
from domain.ports import AlertDelivery, RejectedInput
from domain.stock import StockLevel
from harness.port_fakes import (
    FakeAlertDeliveries,
    FakeNotifier,
    FakeRejectedInputStore,
    FakeSentAlerts,
    FakeStockRepository,
)
from local_stack.chat_webhook import ChatWebhook

T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


@dataclass
class Harness:
    """An adapter, what it delivered so far, and a way to make its destination fail."""

    adapter: Any
    delivered: Callable[[], list[Any]] = lambda: []
    break_it: Callable[[], None] = lambda: None
    failure: type[Exception] = Exception  # what it raises once broken


@dataclass
class AlertQueueHarness(Harness):
    """A channel's deliveries, with a way to have its queue deliver an alert, and the alerts it delivers again now."""

    receive: Callable[[str, dict[str, dict[str, str]]], AlertDelivery] = lambda body, attributes: AlertDelivery(
        "", body, attributes
    )
    comes_back: Callable[[], list[str]] = lambda: []
    refusal: type[Exception] = Exception  # what it raises for a wait the queue would not take


@pytest.fixture
def chat() -> Iterator[ChatWebhook]:
    webhook = ChatWebhook(announce=lambda _: None)
    webhook.start()
    yield webhook
    webhook.stop()


class Needs:
    """The emulated account and the chat webhook, each built only for the adapters that use it."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request

    @property
    def account(self) -> Any:
        return self._request.getfixturevalue("account")

    @property
    def chat(self) -> ChatWebhook:
        return cast(ChatWebhook, self._request.getfixturevalue("chat"))


@pytest.fixture
def needs(request: pytest.FixtureRequest) -> Needs:
    return Needs(request)


def _sns(needs: Needs) -> Harness:
    account = needs.account
    harness = Harness(SnsLowStockNotifier(account.sns, account.topic_arn), failure=ClientError)
    harness.delivered = lambda: [m["Body"] for m in account.drain(account.alert_inbox_url)]
    harness.break_it = lambda: setattr(harness, "adapter", SnsLowStockNotifier(account.sns, account.topic_arn + "-x"))
    return harness


def _webhook(needs: Needs) -> Harness:
    chat = needs.chat
    notifier = WebhookLowStockNotifier(chat.url, 5.0)
    return Harness(
        notifier, lambda: [post["text"] for post in chat.posts], lambda: chat.fail(503, seconds=60), WebhookNotAccepted
    )


def _fake_notifier(needs: Needs) -> Harness:
    fake = FakeNotifier()
    harness = Harness(fake, lambda: [alert_text(alert) for alert in fake.sent], failure=ConnectionError)
    harness.break_it = lambda: setattr(fake, "failures", 99)
    return harness


def _sqs_store(needs: Needs) -> Harness:
    account = needs.account

    def kept() -> list[Any]:
        return [
            (
                m["MessageAttributes"]["source"]["StringValue"],
                m["Body"],
                m["MessageAttributes"]["reason"]["StringValue"],
            )
            for m in account.drain(account.dead_letter_queue_url)
        ]

    harness = Harness(SqsRejectedInputStore(account.sqs, account.dead_letter_queue_url), kept, failure=ClientError)
    harness.break_it = lambda: setattr(harness, "adapter", SqsRejectedInputStore(account.sqs, "https://gone"))
    return harness


def _fake_store(needs: Needs) -> Harness:
    fake = FakeRejectedInputStore()
    return Harness(fake, lambda: [(r.source, r.content, r.reason) for r in fake.kept])


def _dynamodb_repository(needs: Needs) -> Harness:
    return Harness(DynamoDbStockRepository(needs.account.dynamodb, needs.account.table_name))


def _dynamodb_sent_alerts(needs: Needs) -> Harness:
    return Harness(DynamoDbSentAlerts(needs.account.dynamodb, "sent-alerts", hold_seconds=60, keep_seconds=3600))


def _sqs_deliveries(needs: Needs) -> AlertQueueHarness:
    account = needs.account
    queue, dead_letters = account.alert_inbox_url, account.dead_letter_queue_url

    def receive(body: str, attributes: dict[str, dict[str, str]]) -> AlertDelivery:
        account.sqs.send_message(QueueUrl=queue, MessageBody=body, MessageAttributes=attributes)
        [message] = account.sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"], VisibilityTimeout=30)[
            "Messages"
        ]
        kept = {name: {"DataType": v["DataType"], "StringValue": v["StringValue"]} for name, v in attributes.items()}
        assert message["MessageAttributes"] == kept
        return AlertDelivery(message["ReceiptHandle"], message["Body"], kept)

    def kept() -> list[Any]:
        return [
            (m["Body"], {name: value["StringValue"] for name, value in m["MessageAttributes"].items()})
            for m in account.drain(dead_letters)
        ]

    harness = AlertQueueHarness(
        SqsAlertDeliveries(account.sqs, queue, dead_letters, "webhook"), kept, failure=ClientError, refusal=ClientError
    )
    harness.break_it = lambda: setattr(
        harness, "adapter", SqsAlertDeliveries(account.sqs, f"{queue}-gone", f"{dead_letters}-gone", "webhook")
    )
    harness.receive = receive
    harness.comes_back = lambda: [m["Body"] for m in account.drain(queue)]
    return harness


def _fake_deliveries(needs: Needs) -> AlertQueueHarness:
    fake = FakeAlertDeliveries("webhook")
    receipts = itertools.count()
    harness = AlertQueueHarness(fake, lambda: list(fake.dead_letters), failure=ConnectionError, refusal=ValueError)
    harness.break_it = lambda: setattr(fake, "unreachable", True)
    harness.receive = lambda body, attributes: AlertDelivery(f"receipt-{next(receipts)}", body, attributes)
    harness.comes_back = lambda: [alert.body for alert, wait in fake.tried_again if wait == 0]
    return harness


ADAPTERS: dict[type, dict[str, Callable[[Needs], Harness]]] = {
    ports.StockRepository: {"dynamodb": _dynamodb_repository, "fake": lambda _: Harness(FakeStockRepository())},
    ports.LowStockNotifier: {"sns": _sns, "webhook": _webhook, "fake": _fake_notifier},
    ports.SentAlerts: {"dynamodb": _dynamodb_sent_alerts, "fake": lambda _: Harness(FakeSentAlerts())},
    ports.RejectedInputStore: {"sqs": _sqs_store, "fake": _fake_store},
    ports.AlertDeliveries: {"sqs": _sqs_deliveries, "fake": _fake_deliveries},
}


def adapters_of(port: type) -> list[Any]:
    return [pytest.param(build, id=name) for name, build in ADAPTERS[port].items()]


def test_every_port_has_at_least_two_adapters_held_to_its_contract():
    declared = {obj for _, obj in inspect.getmembers(ports, inspect.isclass) if Protocol in obj.__mro__[1:]}
    assert declared == set(ADAPTERS)
    assert {port.__name__: len(adapters) for port, adapters in ADAPTERS.items() if len(adapters) < 2} == {}


# --- StockRepository


@pytest.mark.parametrize("build", adapters_of(ports.StockRepository))
def test_a_repository_keeps_the_latest_level_and_ignores_stale_ones(needs, build):
    repository = build(needs).adapter
    assert repository.get("A1") is None
    first = repository.save_if_newer(StockLevel("A1", 5, T0))
    assert (first.applied, first.previous) == (True, None)
    stale = repository.save_if_newer(StockLevel("A1", 9, T0))  # the same time is not newer
    assert (stale.applied, stale.previous) == (False, StockLevel("A1", 5, T0))
    newer = repository.save_if_newer(StockLevel("A1", 3, T0 + timedelta(seconds=1)))
    assert (newer.applied, newer.previous) == (True, StockLevel("A1", 5, T0))
    assert repository.get("A1") == StockLevel("A1", 3, T0 + timedelta(seconds=1))


@pytest.mark.parametrize("build", adapters_of(ports.StockRepository))
def test_a_repository_saves_many_each_as_one(needs, build):
    repository = build(needs).adapter
    repository.save_if_newer(StockLevel("B1", 1, T0 + timedelta(seconds=5)))
    outcomes = repository.save_all_if_newer([StockLevel("B1", 2, T0), StockLevel("B2", 7, T0)])
    assert [outcome.applied for outcome in outcomes] == [False, True]
    assert (repository.get("B1").level, repository.get("B2").level) == (1, 7)


# --- LowStockNotifier


@pytest.mark.parametrize("build", adapters_of(ports.LowStockNotifier))
def test_a_notifier_delivers_each_alert_once_naming_the_item(needs, build):
    harness = build(needs)
    harness.adapter.send(LowStockAlert("A000", 1, 2))
    [delivered] = harness.delivered()
    assert "item A000 " in delivered


@pytest.mark.parametrize("build", adapters_of(ports.LowStockNotifier))
def test_a_notifier_raises_when_its_channel_did_not_take_the_alert(needs, build):
    harness = build(needs)
    harness.break_it()
    with pytest.raises(harness.failure):
        harness.adapter.send(LowStockAlert("A000", 1, 2))
    assert harness.delivered() == []


# --- SentAlerts


@pytest.mark.parametrize("build", adapters_of(ports.SentAlerts))
def test_an_alert_marked_sent_is_never_claimed_again(needs, build):
    record = build(needs).adapter
    assert record.claim("change-1") is True
    record.mark_sent("change-1")
    assert record.claim("change-1") is False
    record.release("change-1")  # a release never forgets a sent alert
    assert record.claim("change-1") is False


@pytest.mark.parametrize("build", adapters_of(ports.SentAlerts))
def test_a_claim_held_elsewhere_raises_and_a_released_one_may_be_claimed_again(needs, build):
    record = build(needs).adapter
    assert record.claim("change-2") is True
    with pytest.raises(RuntimeError):
        record.claim("change-2")
    record.release("change-2")
    assert record.claim("change-2") is True


# --- RejectedInputStore


@pytest.mark.parametrize("build", adapters_of(ports.RejectedInputStore))
def test_a_store_keeps_every_rejected_input_with_its_source_and_reason(needs, build):
    harness = build(needs)
    rejected = [RejectedInput(f"file:{n}", f"A{n};x", f"line {n}: bad level") for n in range(1, 13)]
    harness.adapter.keep(rejected)
    assert sorted(harness.delivered()) == sorted((r.source, r.content, r.reason) for r in rejected)


def test_the_sqs_store_raises_rather_than_drop_input_it_could_not_keep(needs):
    harness = _sqs_store(needs)
    harness.break_it()
    with pytest.raises(harness.failure):
        harness.adapter.keep([RejectedInput("file:1", "A1;x", "line 1: bad level")])


# --- AlertDeliveries

ALERT_TEXT = "Low stock: item A1 is down to 1 (alert threshold 1). Restock it."
ALERT = {
    "alert_id": {"DataType": "String", "StringValue": "A1-1-9-1"},
    "stock_id": {"DataType": "String", "StringValue": "A1"},
    "stock_level": {"DataType": "Number", "StringValue": "1"},
}
ALERT_VALUES = {"alert_id": "A1-1-9-1", "stock_id": "A1", "stock_level": "1"}


@pytest.mark.parametrize("build", adapters_of(ports.AlertDeliveries))
def test_an_alert_tried_again_at_once_comes_back_at_once_and_one_asked_to_wait_does_not(needs, build):
    harness = cast(AlertQueueHarness, build(needs))
    now, later = harness.receive("now", ALERT), harness.receive("later", ALERT)
    harness.adapter.try_again_in(now, 0)
    harness.adapter.try_again_in(later, 60)
    assert harness.comes_back() == ["now"]
    assert harness.delivered() == []


@pytest.mark.parametrize("build", adapters_of(ports.AlertDeliveries))
def test_an_alert_given_up_on_is_kept_whole_naming_the_channel_the_status_and_the_reason(needs, build):
    harness = cast(AlertQueueHarness, build(needs))
    harness.adapter.give_up(harness.receive(ALERT_TEXT, ALERT), 404, "HTTP 404 no such channel")
    assert harness.delivered() == [
        (ALERT_TEXT, ALERT_VALUES | {"channel": "webhook", "status": "404", "reason": "HTTP 404 no such channel"})
    ]


@pytest.mark.parametrize("build", adapters_of(ports.AlertDeliveries))
def test_a_redriven_alert_given_up_on_again_names_its_new_failure_alone(needs, build):
    harness = cast(AlertQueueHarness, build(needs))
    earlier = {
        "channel": {"DataType": "String", "StringValue": "webhook"},
        "status": {"DataType": "Number", "StringValue": "404"},
        "reason": {"DataType": "String", "StringValue": "HTTP 404 no such channel"},
    }
    harness.adapter.give_up(harness.receive(ALERT_TEXT, ALERT | earlier), None, "no answer")
    assert harness.delivered() == [(ALERT_TEXT, ALERT_VALUES | {"channel": "webhook", "reason": "no answer"})]


@pytest.mark.parametrize("build", adapters_of(ports.AlertDeliveries))
def test_deliveries_raise_rather_than_lose_an_alert_when_the_queue_cannot_be_reached(needs, build):
    harness = cast(AlertQueueHarness, build(needs))
    alert = harness.receive(ALERT_TEXT, ALERT)
    harness.break_it()
    with pytest.raises(harness.failure):
        harness.adapter.try_again_in(alert, 0)
    with pytest.raises(harness.failure):
        harness.adapter.give_up(alert, 404, "HTTP 404")
    assert harness.delivered() == []


@pytest.mark.parametrize("build", adapters_of(ports.AlertDeliveries))
def test_a_wait_past_the_12_hours_a_queue_allows_is_refused_not_shortened(needs, build):
    harness = cast(AlertQueueHarness, build(needs))
    alert = harness.receive(ALERT_TEXT, ALERT)
    with pytest.raises(harness.refusal):
        harness.adapter.try_again_in(alert, 12 * 3600 + 0.5)  # rounded up: one second over
    harness.adapter.try_again_in(alert, 0)  # and the alert still waits to be tried again
    assert harness.comes_back() == [ALERT_TEXT]
