"""The low-stock rule: when a change of level calls for an alert."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InvalidStockInput
from domain.stock import validate_level, validate_stock_id

DEFAULT_THRESHOLD = 1


def parse_threshold(value: object) -> int:
    """Return a low-stock threshold: a whole number from 0 up, as an int or a string of digits."""
    try:
        return validate_level(value)
    except InvalidStockInput:
        raise InvalidStockInput(f"the low-stock threshold must be a whole number from 0 up, not {value!r}") from None


@dataclass(frozen=True)
class LevelChange:
    """An item's level moved from `previous` (None for a new item) to `new`."""

    stock_id: str
    previous: int | None
    new: int

    def __post_init__(self) -> None:
        validate_stock_id(self.stock_id)


@dataclass(frozen=True)
class LowStockAlert:
    """The news that an item has fallen to or below the threshold."""

    stock_id: str
    level: int
    threshold: int


def low_stock_alert(change: LevelChange, threshold: int = DEFAULT_THRESHOLD) -> LowStockAlert | None:
    """The alert due for this change, if any: once per crossing, so it fires again only after a restock."""
    is_low = change.new <= threshold
    was_low = change.previous is not None and change.previous <= threshold
    if is_low and not was_low:
        return LowStockAlert(change.stock_id, change.new, threshold)
    return None
