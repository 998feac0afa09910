"""Every port's promises, asked of each of its adapters in the same words: an adapter that passes may replace
another without the domain noticing. The fakes of harness/port_fakes.py are held to the same contracts, since the
domain's own tests rely on them."""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

import pytest
from botocore.exceptions import ClientError

from adapters.outbound.alert_wording import alert_text
from adapters.outbound.dynamodb_low_stock_list import DynamoDbLowStockList
from adapters.outbound.dynamodb_sent_alerts import DynamoDbSentAlerts
from adapters.outbound.dynamodb_stock_repository import DynamoDbStockRepository
from adapters.outbound.sns_low_stock_notifier import SnsLowStockNotifier
from adapters.outbound.sqs_alert_deliveries import SqsAlertDeliveries
from adapters.outbound.sqs_rejected_input_store import SqsRejectedInputStore
from adapters.outbound.webhook_low_stock_notifier import WebhookLowStockNotifier, WebhookNotAccepted
from domain import ports
from domain.item import StockItem, Versioned, apply_update
from domain.low_stock import LowStockAlert
from domain.ports import AlertDelivery, ApplyOutcome, LowItemsPage, RejectedInput
from domain.stock import Field, StockUpdate
from harness.port_fakes import (
    FakeAlertDeliveries,
    FakeLowStockList,
    FakeNotifier,
    FakeRejectedInputStore,
    FakeSentAlerts,
    FakeStockRepository,
)
from local_stack.chat_webhook import ChatWebhook
from tests.stock_table import add_low_items_index

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


@dataclass
class LowListHarness(Harness):
    """A list of low items, and the repository of the items it lists."""

    repository: Any = None


def _dynamodb_low_list(needs: Needs) -> LowListHarness:
    account = needs.account
    add_low_items_index(account.dynamodb, account.table_name)
    return LowListHarness(
        DynamoDbLowStockList(account.dynamodb, account.table_name),
        repository=DynamoDbStockRepository(account.dynamodb, account.table_name),
    )


def _fake_low_list(needs: Needs) -> LowListHarness:
    repository = FakeStockRepository()
    return LowListHarness(FakeLowStockList(repository), repository=repository)


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
    ports.LowStockList: {"dynamodb": _dynamodb_low_list, "fake": _fake_low_list},
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

DEFAULT = 2  # the stack's default reorder point the tests write with
LEVEL, REORDER_POINT, ALERTS = Field.LEVEL, Field.REORDER_POINT, Field.ALERTS


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def update(stock_id: str, seconds: float, **fields: Any) -> StockUpdate:
    return StockUpdate(stock_id, as_of=at(seconds), **fields)


@pytest.mark.parametrize("build", adapters_of(ports.StockRepository))
def test_a_repository_keeps_the_latest_level_and_ignores_stale_ones(needs, build):
    repository = build(needs).adapter
    assert repository.get("A1") is None
    first = repository.apply(update("A1", 0, level=5), DEFAULT)
    assert first == ApplyOutcome(frozenset({LEVEL}), frozenset(), None)
    stored = StockItem("A1", level=Versioned(5, T0), default_reorder_point=DEFAULT)
    assert repository.get("A1") == stored
    same_time = repository.apply(update("A1", 0, level=9), DEFAULT)  # the same time is not newer
    assert same_time == ApplyOutcome(frozenset(), frozenset({LEVEL}), stored)
    newer = repository.apply(update("A1", 1, level=3), DEFAULT)
    assert newer == ApplyOutcome(frozenset({LEVEL}), frozenset(), stored)
    assert repository.get("A1") == StockItem("A1", level=Versioned(3, at(1)), default_reorder_point=DEFAULT)


# Updates of one item, each field versioned on its own: whatever their order, the item ends with each field's newest.
UPDATES_OF_ONE_ITEM: list[dict[str, Any]] = [
    {"seconds": 1, "level": 5},
    {"seconds": 3, "level": 4, "reorder_point": 10},
    {"seconds": 2, "reorder_point": 7, "low_stock_alerts": False},
    {"seconds": 4, "low_stock_alerts": True},
    {"seconds": 0, "level": 1, "reorder_point": None, "low_stock_alerts": False},
]


@pytest.mark.parametrize("build", adapters_of(ports.StockRepository))
def test_each_field_keeps_its_newest_value_whatever_order_the_updates_come_in(needs, build):
    repository = build(needs).adapter
    for n, order in enumerate(itertools.permutations(UPDATES_OF_ONE_ITEM)):
        stock_id = f"O{n}"
        for fields in order:
            outcome = repository.apply(update(stock_id, **fields), DEFAULT)
            expected = apply_update(outcome.previous, update(stock_id, **fields), DEFAULT)
            assert (outcome.applied, outcome.stale) == (expected.applied, expected.stale)
        assert repository.get(stock_id) == StockItem(
            stock_id,
            level=Versioned(4, at(3)),
            reorder_point=Versioned(10, at(3)),
            low_stock_alerts=Versioned(True, at(4)),
            default_reorder_point=DEFAULT,
        )


@pytest.mark.parametrize("build", adapters_of(ports.StockRepository))
def test_the_newer_fields_of_an_update_are_applied_and_its_stale_ones_reported(needs, build):
    repository = build(needs).adapter
    repository.apply(update("C1", 5, reorder_point=8), DEFAULT)
    outcome = repository.apply(update("C1", 4, level=3, reorder_point=1, low_stock_alerts=False), DEFAULT + 1)
    assert outcome == ApplyOutcome(
        frozenset({LEVEL, ALERTS}),
        frozenset({REORDER_POINT}),
        StockItem("C1", reorder_point=Versioned(8, at(5)), default_reorder_point=DEFAULT),
    )
    assert repository.get("C1") == StockItem(
        "C1",
        level=Versioned(3, at(4)),
        reorder_point=Versioned(8, at(5)),
        low_stock_alerts=Versioned(False, at(4)),
        default_reorder_point=DEFAULT + 1,
    )


@pytest.mark.parametrize("build", adapters_of(ports.StockRepository))
def test_an_update_whose_every_field_is_stale_changes_nothing_not_even_the_default(needs, build):
    repository = build(needs).adapter
    repository.apply(update("D1", 5, level=2, low_stock_alerts=True), DEFAULT)
    stored = repository.get("D1")
    outcome = repository.apply(update("D1", 5, level=9, low_stock_alerts=False), DEFAULT + 5)
    assert outcome == ApplyOutcome(frozenset(), frozenset({LEVEL, ALERTS}), stored)
    assert repository.get("D1") == stored


@pytest.mark.parametrize("build", adapters_of(ports.StockRepository))
def test_every_write_records_the_stacks_default_in_force(needs, build):
    repository = build(needs).adapter
    repository.apply(update("G1", 0, level=2), DEFAULT)
    outcome = repository.apply(update("G1", 1, low_stock_alerts=True), 7)
    assert outcome.previous == StockItem("G1", level=Versioned(2, T0), default_reorder_point=DEFAULT)
    assert repository.get("G1") == StockItem(
        "G1", level=Versioned(2, T0), low_stock_alerts=Versioned(True, at(1)), default_reorder_point=7
    )


@pytest.mark.parametrize("build", adapters_of(ports.StockRepository))
def test_a_reorder_point_set_back_to_the_default_keeps_its_time_so_an_older_one_cannot_return(needs, build):
    repository = build(needs).adapter
    repository.apply(update("E1", 0, level=3, reorder_point=5), DEFAULT)
    back = repository.apply(update("E1", 2, reorder_point=None), DEFAULT)
    assert back.applied == {REORDER_POINT}
    after_it = StockItem(
        "E1", level=Versioned(3, T0), reorder_point=Versioned(None, at(2)), default_reorder_point=DEFAULT
    )
    assert repository.get("E1") == after_it
    older = repository.apply(update("E1", 1, reorder_point=9), DEFAULT)
    assert older == ApplyOutcome(frozenset(), frozenset({REORDER_POINT}), after_it)
    assert repository.get("E1") == after_it


@pytest.mark.parametrize("build", adapters_of(ports.StockRepository))
def test_an_item_may_have_a_reorder_point_before_any_level(needs, build):
    repository = build(needs).adapter
    outcome = repository.apply(update("F1", 0, reorder_point=4), DEFAULT)
    assert outcome == ApplyOutcome(frozenset({REORDER_POINT}), frozenset(), None)
    only_a_reorder_point = StockItem("F1", reorder_point=Versioned(4, T0), default_reorder_point=DEFAULT)
    assert repository.get("F1") == only_a_reorder_point
    # A level older than the reorder point is still the first level: each field is versioned on its own.
    level = repository.apply(update("F1", -1, level=0), DEFAULT)
    assert level == ApplyOutcome(frozenset({LEVEL}), frozenset(), only_a_reorder_point)
    assert repository.get("F1") == StockItem(
        "F1", level=Versioned(0, at(-1)), reorder_point=Versioned(4, T0), default_reorder_point=DEFAULT
    )


@pytest.mark.parametrize("build", adapters_of(ports.StockRepository))
def test_a_repository_applies_many_each_as_one(needs, build):
    repository = build(needs).adapter
    repository.apply(update("B1", 5, level=1), DEFAULT)
    outcomes = repository.apply_all([update("B1", 0, level=2), update("B2", 0, level=7)], DEFAULT)
    assert [(outcome.applied, outcome.stale) for outcome in outcomes] == [(set(), {LEVEL}), ({LEVEL}, set())]
    assert (repository.get("B1").level.value, repository.get("B2").level.value) == (1, 7)


# --- LowStockList


def low_list_of(needs: Needs, build: Callable[[Needs], Harness]) -> tuple[Any, Any]:
    """The list and the repository of the items it lists."""
    harness = cast(LowListHarness, build(needs))
    return harness.adapter, harness.repository


def listed_low(low_list: Any, repository: Any, *stock_ids: str) -> None:
    """Each item stored at level 0 and listed as low, as the stream's function does on hearing of it."""
    for stock_id in stock_ids:
        repository.apply(update(stock_id, 0, level=0), DEFAULT)
        low_list.list_as_low(repository.get(stock_id), True)


def every_page(low_list: Any, limit: int, after: str | None = None) -> list[LowItemsPage]:
    pages = [low_list.page(after, limit)]
    while pages[-1].next_position is not None:
        pages.append(low_list.page(pages[-1].next_position, limit))
    return pages


def ids_of(*pages: LowItemsPage) -> list[str]:
    return [item.stock_id for page in pages for item in page.items]


@pytest.mark.parametrize("build", adapters_of(ports.LowStockList))
def test_an_item_listed_as_low_is_on_the_list_as_stored_until_it_is_taken_off(needs, build):
    low_list, repository = low_list_of(needs, build)
    repository.apply(update("L2", 0, level=9), DEFAULT)
    assert low_list.page(None, 10) == LowItemsPage([], None)
    listed_low(low_list, repository, "L1")
    listed = repository.get("L1")
    assert listed.listed_low
    assert low_list.page(None, 10) == LowItemsPage([listed], None)
    low_list.list_as_low(listed, False)
    assert repository.get("L1") == replace(listed, listed_low=False)
    assert low_list.page(None, 10) == LowItemsPage([], None)


@pytest.mark.parametrize("change", [{"level": 50}, {"reorder_point": 0}, {"low_stock_alerts": False}])
@pytest.mark.parametrize("build", adapters_of(ports.LowStockList))
def test_a_listing_of_an_item_changed_since_it_was_read_is_left_to_that_change(needs, build, change):
    low_list, repository = low_list_of(needs, build)
    repository.apply(update("S1", 0, level=0), DEFAULT)
    listed_low(low_list, repository, "S2")
    read_before = {stock_id: repository.get(stock_id) for stock_id in ("S1", "S2")}
    for stock_id in read_before:
        repository.apply(update(stock_id, 1, **change), DEFAULT)
    low_list.list_as_low(read_before["S1"], True)
    low_list.list_as_low(read_before["S2"], False)
    assert (repository.get("S1").listed_low, repository.get("S2").listed_low) == (False, True)
    assert ids_of(low_list.page(None, 10)) == ["S2"]


@pytest.mark.parametrize("build", adapters_of(ports.LowStockList))
def test_a_listing_of_an_item_never_stored_makes_no_item(needs, build):
    low_list, repository = low_list_of(needs, build)
    low_list.list_as_low(StockItem("ghost", level=Versioned(0, T0), default_reorder_point=DEFAULT), True)
    assert repository.get("ghost") is None
    assert low_list.page(None, 10) == LowItemsPage([], None)


@pytest.mark.parametrize("build", adapters_of(ports.LowStockList))
def test_pages_go_through_every_listed_item_once_in_an_order_that_holds(needs, build):
    low_list, repository = low_list_of(needs, build)
    stock_ids = [f"P{n:02d}" for n in range(25)]
    listed_low(low_list, repository, *stock_ids)
    repository.apply(update("not-low", 0, level=9), DEFAULT)
    pages = every_page(low_list, 10)
    assert [len(page.items) for page in pages] == [10, 10, 5]
    assert sorted(ids_of(*pages)) == stock_ids
    assert [item for page in pages for item in page.items] == [repository.get(s) for s in ids_of(*pages)]
    assert every_page(low_list, 10) == pages  # read again, page by page, from the same positions
    assert low_list.page(pages[1].next_position, 10) == pages[2]


@pytest.mark.parametrize("build", adapters_of(ports.LowStockList))
def test_an_item_taken_off_the_list_between_pages_does_not_lose_the_reader_its_place(needs, build):
    low_list, repository = low_list_of(needs, build)
    stock_ids = [f"U{n:02d}" for n in range(12)]
    listed_low(low_list, repository, *stock_ids)
    first = low_list.page(None, 5)
    for taken_off in (first.items[-1], first.items[0]):  # the item the position names, and one before it
        low_list.list_as_low(taken_off, False)
    rest = every_page(low_list, 5, first.next_position)
    assert sorted(ids_of(first, *rest)) == stock_ids


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
