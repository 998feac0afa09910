"""Our code's own cost per unit of work: each handler with in-memory fakes behind the ports, no AWS at all.

Every round starts from fresh fakes, so each repeat does the same work (new items, alerts not yet sent), and is
checked: every API answer a 200, no batch failure, every line stored, every alert due sent, nothing logged at
WARNING or above. Only the handler call is timed."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from adapters.inbound.dynamodb_stream import parse_stream_records
from adapters.inbound.stock_api import ListCursors
from adapters.outbound.sns_low_stock_notifier import SnsLowStockNotifier
from benchmarks.checks import LoggedProblems, check
from benchmarks.sizes import Sizes
from domain.item import Source
from domain.low_stock import DEFAULT_REORDER_POINT, LowStockAlert, is_low, low_stock_alert
from domain.use_cases import StockRules
from handlers import http_api, low_stock_notifier, queue_import, webhook_alerts
from harness.cursor_seal import FakeCursorSeal
from harness.lambda_events import api_event, sqs_event, sqs_record, stream_event
from harness.port_fakes import (
    FakeAlertDeliveries,
    FakeLowStockList,
    FakeNotifier,
    FakeRejectedInputStore,
    FakeSentAlerts,
    FakeStockRepository,
)

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

UNITS = ("API request", "queue line", "stream record", "alert message")


class FakeTopic:
    """The alerts topic as the stream function uses it, a notifier per change: `sent` holds each alert it
    accepted with the id of the change it was sent for."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, LowStockAlert]] = []

    def for_change(self, alert_id: str) -> _NamedNotifier:
        return _NamedNotifier(self, alert_id)


class _NamedNotifier:
    def __init__(self, topic: FakeTopic, alert_id: str) -> None:
        self._topic = topic
        self._alert_id = alert_id

    def send(self, alert: LowStockAlert) -> None:
        self._topic.sent.append((self._alert_id, alert))


class _Fakes:
    """The ports behind the handlers, replaced with fresh ones before each round, and the handlers built on them."""

    def __init__(self) -> None:
        self.fresh()

    def fresh(self) -> None:
        self.repository = FakeStockRepository()
        self.rejected = FakeRejectedInputStore()
        self.topic = FakeTopic()
        self.webhook = FakeNotifier()
        self.sent_alerts = FakeSentAlerts()
        self.api = http_api.ApiFunction(
            self.repository,
            FakeLowStockList(self.repository),
            ListCursors(FakeCursorSeal(), "stock-levels"),
            StockRules(),
        )
        self.importer = queue_import.ImportFunction(self.repository, self.rejected)
        self.low_list = FakeLowStockList(FakeStockRepository())
        self.notifier = low_stock_notifier.NotifierFunction(
            self.topic.for_change, self.sent_alerts, self.low_list, DEFAULT_REORDER_POINT
        )
        self.deliveries = FakeAlertDeliveries()
        self.alerts = webhook_alerts.WebhookAlertFunction(
            self.webhook, self.sent_alerts, self.deliveries, 2, retention_seconds=4 * 24 * 3600
        )


def _median_micros(
    rounds: int, units: int, fakes: _Fakes, call: Callable[[], Any], checked: Callable[[Any], None]
) -> float:
    """Median microseconds per unit over `rounds` timed calls, each on fresh fakes and checked after."""
    timings = []
    for _ in range(rounds):
        fakes.fresh()
        started = time.perf_counter()
        result = call()
        timings.append(time.perf_counter() - started)
        checked(result)
    return 1e6 * statistics.median(timings) / units


def measure(sizes: Sizes) -> dict[str, float]:
    """Microseconds per API request, per queue line, per stream record and per alert message."""
    fakes = _Fakes()
    with LoggedProblems("handler overhead", "handlers", "adapters", "domain"):
        return {
            "API request": _api_requests(sizes, fakes),
            "queue line": _queue_lines(sizes, fakes),
            "stream record": _stream_records(sizes, fakes),
            "alert message": _alert_messages(sizes, fakes),
        }


def _api_requests(sizes: Sizes, fakes: _Fakes) -> float:
    requests = [
        api_event("PUT", f"/stocks/ITEM{n}", {"stock_level": n % 9}, request_time_ms=1714564800000 + n)
        for n in range(sizes.api_requests)
    ]

    def call() -> list[int]:
        return [fakes.api(event, None)["statusCode"] for event in requests]

    def checked(statuses: list[int]) -> None:
        wrong = [status for status in statuses if status != 200]
        check(not wrong, f"handler overhead: {len(wrong)} of {len(statuses)} API requests answered {wrong[:1]}")
        check(len(fakes.repository.items) == len(requests), "handler overhead: not every API update was stored")

    return _median_micros(sizes.repeats, len(requests), fakes, call, checked)


def _queue_lines(sizes: Sizes, fakes: _Fakes) -> float:
    per_message = sizes.lines_per_message
    bodies = [
        "\n".join(f"ITEM{m * per_message + n};{n % 9}" for n in range(per_message)) for m in range(sizes.queue_messages)
    ]
    batch, lines = sqs_event(*bodies), per_message * sizes.queue_messages

    def checked(result: dict[str, Any]) -> None:
        check(not result["batchItemFailures"], f"handler overhead: queue batch failures {result['batchItemFailures']}")
        check(not fakes.rejected.kept, f"handler overhead: lines rejected: {fakes.rejected.kept[:1]}")
        stored = len(fakes.repository.items)
        check(stored == lines, f"handler overhead: {stored} of {lines} queue lines stored")

    return _median_micros(sizes.repeats, lines, fakes, lambda: fakes.importer(batch, None), checked)


def _stream_records(sizes: Sizes, fakes: _Fakes) -> float:
    records = stream_event(*[(f"ITEM{n}", 5, n % 3) for n in range(sizes.stream_records)])
    # By the domain's rules, over each change's items as the stream's adapter reads them: the alerts due, and the
    # items to list (low now, not listed yet).
    changes = [record.change for record in parse_stream_records(records) if record.change is not None]
    default = DEFAULT_REORDER_POINT
    due = sum(low_stock_alert(change.previous, change.current, default) is not None for change in changes)
    to_list = sum(is_low(change.current, default) != change.current.listed_low for change in changes)
    check(due > 0, "handler overhead: the stream records carry no alert to send")

    def checked(result: dict[str, Any]) -> None:
        check(not result["batchItemFailures"], f"handler overhead: stream batch failures {result['batchItemFailures']}")
        sent = len(fakes.topic.sent)
        check(sent == due, f"handler overhead: {sent} of the {due} alerts due were sent")
        named = {alert_id for alert_id, _ in fakes.topic.sent if alert_id}
        check(len(named) == due, f"handler overhead: {due - len(named)} alerts were not sent by their change's id")
        marks = fakes.low_list.writes
        check(marks == to_list, f"handler overhead: {marks} list marks for the {to_list} items to list")

    return _median_micros(sizes.repeats, len(changes), fakes, lambda: fakes.notifier(records, None), checked)


class _PublishedMessages:
    """Stands in for the SNS client: keeps what each Publish asked for, as the topic would deliver it."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **request: Any) -> dict[str, str]:
        self.published.append(request)
        return {"MessageId": f"msg-{len(self.published)}"}


def _alert_messages(sizes: Sizes, fakes: _Fakes) -> float:
    """One batch of the chat webhook's queue: alerts as the topic delivers them with raw message delivery, each
    message made by our notifier on the topic (every other alert for an item's own reorder point)."""
    points = [(DEFAULT_REORDER_POINT, Source.DEFAULT), (DEFAULT_REORDER_POINT + 2, Source.ITEM)]
    alerts = [
        LowStockAlert(f"ITEM{n}", n % (point + 1), point, source)
        for n in range(sizes.alert_messages)
        for point, source in [points[n % 2]]
    ]
    client = _PublishedMessages()
    topic = SnsLowStockNotifier(cast("SNSClient", client), "arn:aws:sns:eu-west-3:123456789012:alerts")
    for n, alert in enumerate(alerts):
        topic.for_change(f"change-{n}").send(alert)
    messages = [
        {
            "MessageId": f"msg-{n}",
            "ReceiptHandle": f"receipt-{n}",
            "Body": published["Message"],
            "Attributes": {"ApproximateReceiveCount": "1"},
            "MessageAttributes": published["MessageAttributes"],
        }
        for n, published in enumerate(client.published)
    ]
    batch = {
        "Records": [
            sqs_record(message, "arn:aws:sqs:eu-west-3:123456789012:alerts", "eu-west-3") for message in messages
        ]
    }

    def checked(result: dict[str, Any]) -> None:
        check(not result["batchItemFailures"], f"handler overhead: alert batch failures {result['batchItemFailures']}")
        posted = fakes.webhook.sent
        check(posted == alerts, f"handler overhead: {len(posted)} of the {len(alerts)} alerts were posted as sent")

    return _median_micros(sizes.repeats, len(messages), fakes, lambda: fakes.alerts(batch, None), checked)
