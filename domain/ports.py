"""The ports: what the use cases need from the outside world, as small typed interfaces."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.item import StockItem
from domain.low_stock import LowStockAlert
from domain.stock import Field, StockUpdate


@dataclass(frozen=True)
class ApplyOutcome:
    """What a conditional write of an update did: the fields it `applied` and those it found `stale` (a newer or
    same-time version stored), and the item as stored before it (None if there was none)."""

    applied: frozenset[Field]
    stale: frozenset[Field]
    previous: StockItem | None

    @property
    def saved(self) -> bool:
        """Whether anything was written."""
        return bool(self.applied)


class StockRepository(Protocol):
    """Where items are kept."""

    def apply(self, update: StockUpdate, default_reorder_point: int) -> ApplyOutcome:
        """Apply a stamped update as `domain.item.apply_update` does, in one atomic write: each field it sets only
        if no version of that field as of the same or a later time is stored, with the stack's default written
        along; never raise for stale."""
        ...

    def apply_all(self, updates: Sequence[StockUpdate], default_reorder_point: int) -> list[ApplyOutcome]:
        """Apply each update as `apply` does, in any order; raise the first error after trying them all."""
        ...

    def get(self, stock_id: str) -> StockItem | None:
        """Return the stored item, or None if it has never been set."""
        ...


@dataclass(frozen=True)
class LowItemsPage:
    """Items of the list of low items, in its order, and where the next page starts (None: this was the last)."""

    items: list[StockItem]
    next_position: str | None


class LowStockList(Protocol):
    """The items listed as low, kept in line with each item's changes by the table's stream."""

    def list_as_low(self, item: StockItem, low: bool) -> None:
        """Put the item in the list (`low`) or take it out, unless it changed since this state of it was read (the
        change that came after sets the list right in its turn); raise if the write fails, so it is retried."""
        ...

    def page(self, after: str | None, limit: int) -> LowItemsPage:
        """Up to `limit` listed items as they are stored now, after the position a previous page gave (None: from
        the start), in an order that does not change between pages; an item listed stays on its page."""
        ...


class LowStockNotifier(Protocol):
    """Who hears about low stock."""

    def send(self, alert: LowStockAlert) -> None:
        """Deliver the alert, or raise so that the caller retries it; return only once it is accepted."""
        ...


class SentAlerts(Protocol):
    """The record of alerts already sent, so that a change delivered again is not announced again."""

    def claim(self, change_id: str, stock_id: str) -> bool:
        """Hold the alert of this change (of item `stock_id`, kept with the record so that an item's alerts can be
        found) for sending and return True; False if it was sent already.
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
