"""The words of a low-stock alert, the same on every channel."""

from __future__ import annotations

from domain.low_stock import LowStockAlert


def alert_text(alert: LowStockAlert) -> str:
    """Short enough for one SMS."""
    return f"Low stock: item {alert.stock_id} is down to {alert.level} (alert threshold {alert.threshold}). Restock it."
