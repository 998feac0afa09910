"""In-memory implementations of the domain ports, with the same promises as the real adapters."""

from __future__ import annotations

import math
from collections.abc import Sequence

from domain.low_stock import LowStockAlert
from domain.ports import AlertDelivery, RejectedInput, SaveOutcome
from domain.stock import StockLevel

LONGEST_WAIT_SECONDS = 12 * 3600  # SQS's longest visibility timeout


class FakeStockRepository:
    """Keeps levels in a dict and applies the same newer-than-stored condition as the table."""

    def __init__(self, levels: list[StockLevel] | None = None) -> None:
        self.levels = {level.stock_id: level for level in levels or []}
        self.saves = 0

    def save_if_newer(self, level: StockLevel) -> SaveOutcome:
        self.saves += 1
        stored = self.levels.get(level.stock_id)
        if stored is not None and stored.as_of >= level.as_of:
            return SaveOutcome(applied=False, previous=stored)
        self.levels[level.stock_id] = level
        return SaveOutcome(applied=True, previous=stored)

    def save_all_if_newer(self, levels: Sequence[StockLevel]) -> list[SaveOutcome]:
        return [self.save_if_newer(level) for level in reversed(levels)][::-1]  # any order must do

    def get(self, stock_id: str) -> StockLevel | None:
        return self.levels.get(stock_id)


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

    def claim(self, change_id: str) -> bool:
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
