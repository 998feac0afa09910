"""The low-stock rule: when an item is low, which reorder point says so, and when a change calls for an alert."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InvalidStockInput
from domain.item import Source, StockItem
from domain.stock import validate_level

# The stack's default reorder point when its settings give none: the talk's one number.
DEFAULT_REORDER_POINT = 1
DEFAULT_THRESHOLD = DEFAULT_REORDER_POINT  # the name the stack's setting (lowStockThreshold) still has


def parse_threshold(value: object) -> int:
    """Return the stack's default reorder point: a whole number from 0 up, as an int or a string of digits."""
    try:
        return validate_level(value)
    except InvalidStockInput:
        raise InvalidStockInput(f"the low-stock threshold must be a whole number from 0 up, not {value!r}") from None


@dataclass(frozen=True)
class ReorderPoint:
    """The reorder point in force for an item, and whether it is the item's own or the stack's default."""

    value: int
    source: Source


def reorder_point_in_force(item: StockItem, stack_default: int) -> ReorderPoint:
    """The item's own reorder point if it has one, else the default written with it, else `stack_default` (the
    default of the stack reading it, for an item stored before items carried theirs)."""
    own = item.reorder_point.value if item.reorder_point is not None else None
    if own is not None:
        return ReorderPoint(own, Source.ITEM)
    default = item.default_reorder_point
    return ReorderPoint(stack_default if default is None else default, Source.DEFAULT)


def is_low(item: StockItem | None, stack_default: int) -> bool:
    """Low: the item's alerts are on, it has a level, and the level is at or below its reorder point in force."""
    if item is None or item.level is None or not item.alerts_on:
        return False
    return item.level.value <= reorder_point_in_force(item, stack_default).value


@dataclass(frozen=True)
class LowStockAlert:
    """The news that an item has become low: its level, and the reorder point that made it so (`source`: the
    item's own or the stack's default)."""

    stock_id: str
    level: int
    reorder_point: int
    source: Source = Source.DEFAULT


def low_stock_alert(previous: StockItem | None, current: StockItem, stack_default: int) -> LowStockAlert | None:
    """The alert due when an item goes from `previous` (None: new) to `current`: once per crossing, whatever made
    it low (its level falling, its reorder point raised above it, its alerts turned back on while low); none while
    it stays low, and none when it stops being low."""
    if current.level is None or not is_low(current, stack_default) or is_low(previous, stack_default):
        return None
    point = reorder_point_in_force(current, stack_default)
    return LowStockAlert(current.stock_id, current.level.value, point.value, point.source)
