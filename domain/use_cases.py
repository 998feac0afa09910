"""The use cases: set a level, read a level, react to a change of level."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain.low_stock import LevelChange, LowStockAlert, low_stock_alert
from domain.ports import LowStockNotifier, SaveOutcome, StockRepository
from domain.stock import StockLevel, StockUpdate, validate_stock_id


def set_stock_level(update: StockUpdate, received_at: datetime, repository: StockRepository) -> SaveOutcome:
    """Store the update unless a newer level is stored; an update without a time is stamped `received_at`."""
    return repository.save_if_newer(update.stamped(received_at))


def set_stock_levels(
    updates: Sequence[StockUpdate], received_at: datetime, repository: StockRepository
) -> list[SaveOutcome]:
    """Store updates received together; of several for one item at the same time, the last one given wins.

    The order of the saves does not matter: each is conditional on its own time, so the latest wins anyway.
    """
    latest: dict[tuple[str, datetime], StockLevel] = {}
    for update in updates:
        level = update.stamped(received_at)
        latest[(level.stock_id, level.as_of)] = level
    return repository.save_all_if_newer(list(latest.values()))


def get_stock_level(stock_id: str, repository: StockRepository) -> StockLevel | None:
    """Read an item's level; the id is validated first so a bad id never reaches the store."""
    return repository.get(validate_stock_id(stock_id))


def react_to_level_change(change: LevelChange, threshold: int, notifier: LowStockNotifier) -> LowStockAlert | None:
    """Send a low-stock alert if this change crosses the threshold; return the alert sent, if any."""
    alert = low_stock_alert(change, threshold)
    if alert is not None:
        notifier.send(alert)
    return alert
