"""The use cases: set a level, read a level, react to a change of level."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain.low_stock import LevelChange, LowStockAlert, low_stock_alert
from domain.ports import LowStockNotifier, SaveOutcome, SentAlerts, StockRepository
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


def react_to_level_change(
    change: LevelChange, change_id: str, threshold: int, notifier: LowStockNotifier, sent_alerts: SentAlerts
) -> LowStockAlert | None:
    """Send a low-stock alert if this change crosses the threshold, once, however often the change is delivered;
    return the alert sent now, if any.

    The alert is claimed before it is sent and marked sent once accepted: a change delivered again after a
    crash is skipped, and one whose send failed is released and sent on the retry, so no alert is lost."""
    alert = low_stock_alert(change, threshold)
    if alert is None or not sent_alerts.claim(change_id):
        return None
    try:
        notifier.send(alert)
    except Exception:
        sent_alerts.release(change_id)
        raise
    sent_alerts.mark_sent(change_id)
    return alert
