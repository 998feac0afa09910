"""An item as it is stored: its level and its alert settings, each field with the time it was set, and how an update
changes it. Every field is versioned on its own: an update of one never overwrites or undoes another, and an older
update of a field never wins over a newer one, whatever order they arrive in."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from domain.stock import Field, StockUpdate

T = TypeVar("T")


@dataclass(frozen=True)
class Versioned(Generic[T]):
    """A field's value and the time it holds from (the `as_of` of the update that set it)."""

    value: T
    as_of: datetime


class Source(StrEnum):
    """Where the reorder point in force comes from."""

    ITEM = "item"
    DEFAULT = "default"


@dataclass(frozen=True)
class StockItem:
    """One item as stored. `reorder_point` is the item's own (its value None once set back to the stack's default,
    the time kept so that an older update cannot bring it back); `default_reorder_point` the stack's default as last
    written with the item (None for an item stored before items had their own: the stack's current default then
    applies); `listed_low` whether the item is in the list of low items now (the stream keeps it in line)."""

    stock_id: str
    level: Versioned[int] | None = None
    reorder_point: Versioned[int | None] | None = None
    low_stock_alerts: Versioned[bool] | None = None
    default_reorder_point: int | None = None
    listed_low: bool = False

    def version(self, field: Field) -> datetime | None:
        """The time the field was last set, None if it never was."""
        stored = {Field.LEVEL: self.level, Field.REORDER_POINT: self.reorder_point, Field.ALERTS: self.low_stock_alerts}
        version = stored[field]
        return None if version is None else version.as_of

    @property
    def alerts_on(self) -> bool:
        """Alerts are on unless the item turned them off (items stored before the setting existed have them on)."""
        return self.low_stock_alerts is None or self.low_stock_alerts.value


@dataclass(frozen=True)
class Applied:
    """What an update did to an item: the item after it, and the fields applied and found stale."""

    item: StockItem
    applied: frozenset[Field]
    stale: frozenset[Field]


def apply_update(stored: StockItem | None, update: StockUpdate, default_reorder_point: int) -> Applied:
    """The item after `update` (stamped: its `as_of` set), field by field: a field is applied when the item has no
    version of it or an older one, else it is stale and left as stored. When any field applies, the stack's
    default in force is written with it. The stores hold to this rule in one atomic write."""
    if update.as_of is None:
        raise ValueError("an update must be stamped with its time before it is applied")
    item = stored or StockItem(update.stock_id)
    fresh = frozenset(
        field for field in update.fields if (version := item.version(field)) is None or version < update.as_of
    )
    stale = update.fields - fresh
    if not fresh:
        return Applied(item, fresh, stale)
    changes: dict[str, object] = {"default_reorder_point": default_reorder_point}
    if Field.LEVEL in fresh:
        changes["level"] = Versioned(update.level, update.as_of)
    if Field.REORDER_POINT in fresh:
        changes["reorder_point"] = Versioned(update.own_reorder_point, update.as_of)
    if Field.ALERTS in fresh:
        changes["low_stock_alerts"] = Versioned(update.low_stock_alerts, update.as_of)
    return Applied(replace(item, **changes), fresh, stale)  # type: ignore[arg-type]
