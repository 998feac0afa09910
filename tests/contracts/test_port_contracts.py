"""Every port's promises, asked of each of its adapters in the same words: an adapter that passes may replace
another without the domain noticing. The fakes of tests/fakes.py are held to the same contracts, since the
domain's own tests rely on them."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest
from botocore.exceptions import ClientError

from adapters.outbound.dynamodb_sent_alerts import DynamoDbSentAlerts
from adapters.outbound.dynamodb_stock_repository import DynamoDbStockRepository
from adapters.outbound.sns_low_stock_notifier import SnsLowStockNotifier
from adapters.outbound.sqs_rejected_input_store import SqsRejectedInputStore
from adapters.outbound.webhook_low_stock_notifier import WebhookLowStockNotifier, WebhookNotAccepted
from domain import ports
from domain.low_stock import LowStockAlert
from domain.ports import RejectedInput
from domain.stock import StockLevel
from local_stack.chat_webhook import ChatWebhook
from tests.fakes import FakeNotifier, FakeRejectedInputStore, FakeSentAlerts, FakeStockRepository

T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


@dataclass
class Harness:
    """An adapter, what it delivered so far, and a way to make its destination fail."""

    adapter: Any
    delivered: Callable[[], list[Any]] = lambda: []
    break_it: Callable[[], None] = lambda: None
    failure: type[Exception] = Exception  # what it raises once broken


@pytest.fixture
def chat() -> Iterator[ChatWebhook]:
    webhook = ChatWebhook(announce=lambda _: None)
    webhook.start()
    yield webhook
    webhook.stop()


def _sns(account: Any, chat: ChatWebhook) -> Harness:
    harness = Harness(SnsLowStockNotifier(account.sns, account.topic_arn), failure=ClientError)
    harness.delivered = lambda: [m["Body"] for m in account.drain(account.alert_inbox_url)]
    harness.break_it = lambda: setattr(harness, "adapter", SnsLowStockNotifier(account.sns, account.topic_arn + "-x"))
    return harness


def _webhook(account: Any, chat: ChatWebhook) -> Harness:
    notifier = WebhookLowStockNotifier(chat.url, 5.0, sleep=lambda _: None)
    return Harness(
        notifier, lambda: [post["text"] for post in chat.posts], lambda: chat.fail(503, seconds=60), WebhookNotAccepted
    )


def _fake_notifier(account: Any, chat: ChatWebhook) -> Harness:
    fake = FakeNotifier()
    harness = Harness(fake, lambda: [f"item {alert.stock_id} " for alert in fake.sent], failure=ConnectionError)
    harness.break_it = lambda: setattr(fake, "failures", 99)
    return harness


def _sqs_store(account: Any, chat: ChatWebhook) -> Harness:
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


def _fake_store(account: Any, chat: ChatWebhook) -> Harness:
    fake = FakeRejectedInputStore()
    return Harness(fake, lambda: [(r.source, r.content, r.reason) for r in fake.kept])


def _dynamodb_repository(account: Any, chat: ChatWebhook) -> Harness:
    return Harness(DynamoDbStockRepository(account.dynamodb, account.table_name))


def _dynamodb_sent_alerts(account: Any, chat: ChatWebhook) -> Harness:
    return Harness(DynamoDbSentAlerts(account.dynamodb, "sent-alerts", hold_seconds=60, keep_seconds=3600))


ADAPTERS: dict[type, dict[str, Callable[[Any, ChatWebhook], Harness]]] = {
    ports.StockRepository: {"dynamodb": _dynamodb_repository, "fake": lambda a, c: Harness(FakeStockRepository())},
    ports.LowStockNotifier: {"sns": _sns, "webhook": _webhook, "fake": _fake_notifier},
    ports.SentAlerts: {"dynamodb": _dynamodb_sent_alerts, "fake": lambda a, c: Harness(FakeSentAlerts())},
    ports.RejectedInputStore: {"sqs": _sqs_store, "fake": _fake_store},
}


def adapters_of(port: type) -> list[Any]:
    return [pytest.param(build, id=name) for name, build in ADAPTERS[port].items()]


def test_every_port_has_at_least_two_adapters_held_to_its_contract():
    declared = {obj for _, obj in inspect.getmembers(ports, inspect.isclass) if Protocol in obj.__mro__[1:]}
    assert declared == set(ADAPTERS)
    assert {port.__name__: len(adapters) for port, adapters in ADAPTERS.items() if len(adapters) < 2} == {}


# --- StockRepository


@pytest.mark.parametrize("build", adapters_of(ports.StockRepository))
def test_a_repository_keeps_the_latest_level_and_ignores_stale_ones(account, chat, build):
    repository = build(account, chat).adapter
    assert repository.get("A1") is None
    first = repository.save_if_newer(StockLevel("A1", 5, T0))
    assert (first.applied, first.previous) == (True, None)
    stale = repository.save_if_newer(StockLevel("A1", 9, T0))  # the same time is not newer
    assert (stale.applied, stale.previous) == (False, StockLevel("A1", 5, T0))
    newer = repository.save_if_newer(StockLevel("A1", 3, T0 + timedelta(seconds=1)))
    assert (newer.applied, newer.previous) == (True, StockLevel("A1", 5, T0))
    assert repository.get("A1") == StockLevel("A1", 3, T0 + timedelta(seconds=1))


@pytest.mark.parametrize("build", adapters_of(ports.StockRepository))
def test_a_repository_saves_many_each_as_one(account, chat, build):
    repository = build(account, chat).adapter
    repository.save_if_newer(StockLevel("B1", 1, T0 + timedelta(seconds=5)))
    outcomes = repository.save_all_if_newer([StockLevel("B1", 2, T0), StockLevel("B2", 7, T0)])
    assert [outcome.applied for outcome in outcomes] == [False, True]
    assert (repository.get("B1").level, repository.get("B2").level) == (1, 7)


# --- LowStockNotifier


@pytest.mark.parametrize("build", adapters_of(ports.LowStockNotifier))
def test_a_notifier_delivers_each_alert_once_naming_the_item(account, chat, build):
    harness = build(account, chat)
    harness.adapter.send(LowStockAlert("A000", 1, 2))
    [delivered] = harness.delivered()
    assert "item A000 " in delivered


@pytest.mark.parametrize("build", adapters_of(ports.LowStockNotifier))
def test_a_notifier_raises_when_its_channel_did_not_take_the_alert(account, chat, build):
    harness = build(account, chat)
    harness.break_it()
    with pytest.raises(harness.failure):
        harness.adapter.send(LowStockAlert("A000", 1, 2))
    assert harness.delivered() == []


# --- SentAlerts


@pytest.mark.parametrize("build", adapters_of(ports.SentAlerts))
def test_an_alert_marked_sent_is_never_claimed_again(account, chat, build):
    record = build(account, chat).adapter
    assert record.claim("change-1") is True
    record.mark_sent("change-1")
    assert record.claim("change-1") is False
    record.release("change-1")  # a release never forgets a sent alert
    assert record.claim("change-1") is False


@pytest.mark.parametrize("build", adapters_of(ports.SentAlerts))
def test_a_claim_held_elsewhere_raises_and_a_released_one_may_be_claimed_again(account, chat, build):
    record = build(account, chat).adapter
    assert record.claim("change-2") is True
    with pytest.raises(RuntimeError):
        record.claim("change-2")
    record.release("change-2")
    assert record.claim("change-2") is True


# --- RejectedInputStore


@pytest.mark.parametrize("build", adapters_of(ports.RejectedInputStore))
def test_a_store_keeps_every_rejected_input_with_its_source_and_reason(account, chat, build):
    harness = build(account, chat)
    rejected = [RejectedInput(f"file:{n}", f"A{n};x", f"line {n}: bad level") for n in range(1, 13)]
    harness.adapter.keep(rejected)
    assert sorted(harness.delivered()) == sorted((r.source, r.content, r.reason) for r in rejected)


def test_the_sqs_store_raises_rather_than_drop_input_it_could_not_keep(account, chat):
    harness = _sqs_store(account, chat)
    harness.break_it()
    with pytest.raises(harness.failure):
        harness.adapter.keep([RejectedInput("file:1", "A1;x", "line 1: bad level")])
