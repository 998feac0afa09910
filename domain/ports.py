"""The ports: what the use cases need from the outside world, as small typed interfaces."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.low_stock import LowStockAlert
from domain.stock import StockLevel


@dataclass(frozen=True)
class SaveOutcome:
    """What a conditional save did: `applied`, and the level stored before it (None if there was none)."""

    applied: bool
    previous: StockLevel | None


class StockRepository(Protocol):
    """Where stock levels are kept."""

    def save_if_newer(self, level: StockLevel) -> SaveOutcome:
        """Store `level` only if no level with the same or a later `as_of` is stored; never raise for stale."""
        ...

    def save_all_if_newer(self, levels: Sequence[StockLevel]) -> list[SaveOutcome]:
        """Save each level as `save_if_newer` does, in any order; raise the first error after trying them all."""
        ...

    def get(self, stock_id: str) -> StockLevel | None:
        """Return the stored level of an item, or None if the item has never been set."""
        ...


class LowStockNotifier(Protocol):
    """Who hears about low stock."""

    def send(self, alert: LowStockAlert) -> None:
        """Deliver the alert, or raise so that the caller retries it; return only once it is accepted."""
        ...


class SentAlerts(Protocol):
    """The record of alerts already sent, so that a change delivered again is not announced again."""

    def claim(self, change_id: str) -> bool:
        """Hold the alert of this change for sending and return True; False if it was sent already.
        Raise if another attempt holds it still: the caller retries once that hold has expired."""
        ...

    def mark_sent(self, change_id: str) -> None:
        """Record that the alert of this change was accepted: it is never sent again."""
        ...

    def release(self, change_id: str) -> None:
        """Let go of a claim whose alert was not sent, so that a retry sends it."""
        ...


@dataclass(frozen=True)
class RejectedInput:
    """A piece of input that can never be applied, where it came from and why it was refused."""

    source: str
    content: str
    reason: str


class RejectedInputStore(Protocol):
    """Where refused input is kept for a person to read and resend."""

    def keep(self, rejected: list[RejectedInput]) -> None:
        """Keep every rejected input durably, or raise so that the caller retries; never drop one."""
        ...


@dataclass(frozen=True)
class AlertDelivery:
    """One delivery of an alert by a channel's queue: `receipt` names this delivery to the queue; `body` and
    `attributes` (each a DataType and a StringValue) are the alert's message as it was sent."""

    receipt: str
    body: str
    attributes: Mapping[str, Mapping[str, str]]


class AlertDeliveries(Protocol):
    """A channel's queue of the alerts it has not delivered yet, and its dead letters, each naming its last failure."""

    def try_again_in(self, alert: AlertDelivery, seconds: float) -> None:
        """Have the queue deliver the alert again after `seconds`, rounded up to whole seconds; raise if it cannot,
        or if it would not wait that long (never a shorter wait in its place)."""
        ...

    def give_up(self, alert: AlertDelivery, status: int | None, reason: str) -> None:
        """Keep the alert whole as a dead letter naming the channel, `status` and `reason`, or raise if it cannot."""
        ...
