"""In-memory implementations of the domain ports, with the same promises as the real adapters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from domain.item import StockItem, apply_update
from domain.low_stock import LowStockAlert
from domain.ports import AlertDelivery, ApplyOutcome, LowItemsPage, RejectedInput
from domain.stock import StockUpdate

LONGEST_WAIT_SECONDS = 12 * 3600  # SQS's longest visibility timeout


class FakeStockRepository:
    """Keeps items in a dict and applies updates field by field as the table's conditional write does."""

    def __init__(self, items: list[StockItem] | None = None) -> None:
        self.items = {item.stock_id: item for item in items or []}
        self.saves = 0

    def apply(self, update: StockUpdate, default_reorder_point: int) -> ApplyOutcome:
        self.saves += 1
        stored = self.items.get(update.stock_id)
        applied = apply_update(stored, update, default_reorder_point)
        if applied.applied:
            self.items[update.stock_id] = applied.item
        return ApplyOutcome(applied.applied, applied.stale, stored)

    def apply_all(self, updates: Sequence[StockUpdate], default_reorder_point: int) -> list[ApplyOutcome]:
        return [self.apply(update, default_reorder_point) for update in reversed(updates)][::-1]  # any order must do

    def get(self, stock_id: str) -> StockItem | None:
        return self.items.get(stock_id)


class FakeLowStockList:
    """The list of low items over a FakeStockRepository's items: listed in id order, a position being the last id
    of a page; `list_as_low` applies only to the item in the state it was read, as the table's conditional write."""

    def __init__(self, repository: FakeStockRepository) -> None:
        self._repository = repository
        self.writes = 0

    def list_as_low(self, item: StockItem, low: bool) -> None:
        self.writes += 1
        stored = self._repository.items.get(item.stock_id)
        if stored is not None and replace(stored, listed_low=False) == replace(item, listed_low=False):
            self._repository.items[item.stock_id] = replace(stored, listed_low=low)

    def page(self, after: str | None, limit: int) -> LowItemsPage:
        listed = sorted(
            (
                item
                for item in self._repository.items.values()
                if item.listed_low and (after is None or item.stock_id > after)
            ),
            key=lambda item: item.stock_id,
        )
        page = listed[:limit]
        return LowItemsPage(page, page[-1].stock_id if len(listed) > limit else None)


class FakeNotifier:
    """Records the alerts it accepts; fails the first `failures` sends, as an unavailable topic would."""

    def __init__(self, failures: int = 0) -> None:
        self.sent: list[LowStockAlert] = []
        self.failures = failures

    def send(self, alert: LowStockAlert) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("topic unavailable")
        self.sent.append(alert)


class FakeRejectedInputStore:
    """Keeps rejected input in a list."""

    def __init__(self) -> None:
        self.kept: list[RejectedInput] = []

    def keep(self, rejected: list[RejectedInput]) -> None:
        self.kept.extend(rejected)


class FakeSentAlerts:
    """Claims, sent marks and releases in sets; `held` are claims another attempt still holds."""

    def __init__(self, held: frozenset[str] = frozenset()) -> None:
        self.claimed: set[str] = set(held)
        self.sent: set[str] = set()

    def claim(self, change_id: str, stock_id: str = "") -> bool:
        if change_id in self.sent:
            return False
        if change_id in self.claimed:
            raise RuntimeError(f"the alert of {change_id} is being sent by another attempt")
        self.claimed.add(change_id)
        return True

    def mark_sent(self, change_id: str) -> None:
        self.claimed.discard(change_id)
        self.sent.add(change_id)

    def release(self, change_id: str) -> None:
        if change_id not in self.sent:
            self.claimed.discard(change_id)


class FakeAlertDeliveries:
    """A channel's queue in lists: each alert tried again with its wait in whole seconds, and each dead letter as its
    body and attributes' values; every call raises once `unreachable`, as an unreachable queue does, and a wait over
    12 hours is refused (ValueError), as SQS refuses one past 12 hours from the delivery."""

    def __init__(self, channel: str = "webhook") -> None:
        self.channel = channel
        self.tried_again: list[tuple[AlertDelivery, int]] = []
        self.dead_letters: list[tuple[str, dict[str, str]]] = []
        self.unreachable = False

    def try_again_in(self, alert: AlertDelivery, seconds: float) -> None:
        self._reach()
        if math.ceil(seconds) > LONGEST_WAIT_SECONDS:
            raise ValueError(f"a wait of {math.ceil(seconds)} s is over the {LONGEST_WAIT_SECONDS} s a queue allows")
        self.tried_again.append((alert, math.ceil(seconds)))

    def give_up(self, alert: AlertDelivery, status: int | None, reason: str) -> None:
        self._reach()
        kept = {
            name: value["StringValue"]
            for name, value in alert.attributes.items()
            if name not in ("channel", "status", "reason")  # an earlier failure's, on a redriven alert
        }
        failure = {"channel": self.channel, "reason": reason} | ({} if status is None else {"status": str(status)})
        self.dead_letters.append((alert.body or reason, kept | failure))

    def _reach(self) -> None:
        if self.unreachable:
            raise ConnectionError("queue unavailable")
