"""The words of a low-stock alert, the same on every channel."""

from __future__ import annotations

from domain.item import Source
from domain.low_stock import LowStockAlert


def alert_text(alert: LowStockAlert) -> str:
    """Short enough for one SMS; says whose reorder point the level reached: the item's own, or the stack's
    default."""
    whose = "its reorder point" if alert.source == Source.ITEM else "the default reorder point"
    return f"Low stock: item {alert.stock_id} is down to {alert.level} ({whose} is {alert.reorder_point}). Restock it."
