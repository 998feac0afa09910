"""Random histories of one item: updates of its fields delivered in any order, their changes delivered again, sends
that fail; the item ends as its latest updates say and every channel hears of each crossing once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings, target
from hypothesis import strategies as st

from domain.item import Source, StockItem
from domain.low_stock import LowStockAlert
from domain.stock import UNSET, Field, StockUpdate
from domain.use_cases import StockRules, react_to_item_change, set_stock_level
from harness.port_fakes import FakeLowStockList, FakeNotifier, FakeSentAlerts, FakeStockRepository

NOON = datetime(2024, 5, 1, 12, tzinfo=UTC)
RECEIVED = NOON + timedelta(hours=1)
TIMES = [NOON + timedelta(minutes=minute) for minute in range(10)]  # few enough that updates often share one
STACK = 5  # the stream function's default: never in force here, every write carries the default in force
DEFAULTS = [1, 3]  # the stack's default at each write: raising it may make the item low


@st.composite
def updates(draw: st.DrawFn) -> StockUpdate:
    fields = draw(st.sets(st.sampled_from(list(Field)), min_size=1))
    return StockUpdate(
        "A1",
        level=draw(st.integers(0, 6)) if Field.LEVEL in fields else None,
        as_of=draw(st.sampled_from(TIMES)),
        reorder_point=draw(st.none() | st.integers(0, 6)) if Field.REORDER_POINT in fields else UNSET,
        low_stock_alerts=draw(st.booleans()) if Field.ALERTS in fields else None,
    )


def _value(update: StockUpdate, of: Field) -> Any:
    return {
        Field.LEVEL: update.level,
        Field.REORDER_POINT: update.reorder_point,
        Field.ALERTS: update.low_stock_alerts,
    }[of]


def _fields(item: StockItem) -> dict[Field, tuple[Any, datetime]]:
    stored = {Field.LEVEL: item.level, Field.REORDER_POINT: item.reorder_point, Field.ALERTS: item.low_stock_alerts}
    return {name: (version.value, version.as_of) for name, version in stored.items() if version is not None}


def _latest(delivered: list[StockUpdate]) -> dict[Field, tuple[Any, datetime]]:
    """Each field as the update with the latest time for it set it; of several at that time, the first delivered."""
    latest: dict[Field, tuple[Any, datetime]] = {}
    for name in Field:
        setting = [update for update in delivered if name in update.fields]
        if setting:
            update = max(setting, key=lambda update: update.as_of or NOON)  # max keeps the first of equals
            latest[name] = (_value(update, name), update.as_of or NOON)
    return latest


def _reorder_point(item: StockItem) -> tuple[int, Source]:
    own = None if item.reorder_point is None else item.reorder_point.value
    if own is not None:
        return own, Source.ITEM
    assert item.default_reorder_point is not None  # every write here carries it
    return item.default_reorder_point, Source.DEFAULT


def _low(item: StockItem | None) -> bool:
    if item is None or item.level is None or (item.low_stock_alerts is not None and not item.low_stock_alerts.value):
        return False
    return item.level.value <= _reorder_point(item)[0]


@dataclass
class Channel:
    """One channel of the fan-out: its notifier, failing its first sends, and its record of alerts sent."""

    notifier: FakeNotifier
    sent: FakeSentAlerts = field(default_factory=FakeSentAlerts)


@dataclass
class Stream:
    """The table's stream as the item's function sees it: every write of the item is a change with its own id,
    delivered in order, and again when the function fails or at random."""

    repository: FakeStockRepository
    channels: list[Channel]
    changes: list[tuple[StockItem | None, StockItem]] = field(default_factory=list)
    seen: StockItem | None = None

    def record_writes(self) -> None:
        """A change for the write made since the last one seen, if any (a field's update or the list's mark)."""
        now = self.repository.get("A1")
        if now is not None and now != self.seen:
            self.changes.append((self.seen, now))
            self.seen = now

    def deliver(self, change_id: int) -> None:
        previous, current = self.changes[change_id]
        for channel in self.channels:
            while True:
                try:
                    react_to_item_change(
                        previous,
                        current,
                        str(change_id),
                        STACK,
                        channel.notifier,
                        channel.sent,
                        FakeLowStockList(self.repository),
                    )
                    break
                except ConnectionError:
                    continue  # the stream delivers the change again until it is handled


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(st.lists(st.tuples(updates(), st.sampled_from(DEFAULTS)), min_size=3, max_size=12), st.data())
def test_an_item_ends_as_its_latest_updates_say_and_each_channel_hears_of_each_crossing_once(
    made: list[tuple[StockUpdate, int]], data: st.DataObject
) -> None:
    repository = FakeStockRepository()
    channels = [Channel(FakeNotifier(failures=data.draw(st.integers(0, 2), label="failed sends"))) for _ in range(2)]
    stream = Stream(repository, channels)
    delivered: list[StockUpdate] = []
    default_in_force: int | None = None
    for update, default in data.draw(st.permutations(made), label="delivery order"):
        written = len(stream.changes)
        set_stock_level(update, RECEIVED, repository, StockRules(default_reorder_point=default))
        latest = _latest(delivered)
        if any(name not in latest or latest[name][1] < (update.as_of or NOON) for name in update.fields):
            default_in_force = default
        delivered.append(update)
        stream.record_writes()
        # The write's change, then the list's mark it may make, each delivered in turn; some delivered again.
        while written < len(stream.changes):
            stream.deliver(written)
            stream.record_writes()
            written += 1
            for again in data.draw(st.lists(st.integers(0, written - 1), max_size=2), label="delivered again"):
                stream.deliver(again)
                stream.record_writes()
        item = repository.get("A1")
        assert item is not None
        assert _fields(item) == _latest(delivered)

    crossings = [
        (str(change_id), LowStockAlert("A1", after.level.value, *_reorder_point(after)))
        for change_id, (before, after) in enumerate(stream.changes)
        if _low(after) and not _low(before) and after.level is not None
    ]
    target(float(len(crossings)), label="crossings")  # steers the search to histories that cross again and again
    for channel in channels:
        assert channel.notifier.sent == [alert for _, alert in crossings]
        assert channel.sent.sent == {change_id for change_id, _ in crossings}
    final = repository.get("A1")
    assert final is not None
    assert final.default_reorder_point == default_in_force
    assert final.listed_low is _low(final)
    assert FakeLowStockList(repository).page(None, 10).items == ([final] if _low(final) else [])
