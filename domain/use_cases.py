"""The use cases: set a level, read a level, react to a change of level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.errors import InvalidStockInput
from domain.low_stock import LevelChange, LowStockAlert, low_stock_alert
from domain.ports import LowStockNotifier, SaveOutcome, SentAlerts, StockRepository
from domain.stock import DEFAULT_MAX_AHEAD, StockLevel, StockUpdate, ensure_not_ahead, validate_stock_id


def receive_update(update: StockUpdate, received_at: datetime, max_ahead: timedelta = DEFAULT_MAX_AHEAD) -> StockLevel:
    """The level an update asks to store: as of its own time, or of `received_at` if it gave none. InvalidStockInput
    if its own time is more than `max_ahead` after `received_at`: stored, it would make every later update of the
    item stale until then."""
    level = update.stamped(received_at)
    ensure_not_ahead(level.as_of, received_at, max_ahead)
    return level


def set_stock_level(
    update: StockUpdate, received_at: datetime, repository: StockRepository, max_ahead: timedelta = DEFAULT_MAX_AHEAD
) -> SaveOutcome:
    """Store the update unless a newer level is stored (InvalidStockInput, nothing stored, if it is dated too far
    ahead: `receive_update`)."""
    return repository.save_if_newer(receive_update(update, received_at, max_ahead))


@dataclass(frozen=True)
class BatchOutcome:
    """What became of updates received together: the saves made, and the updates refused, by their position in
    the batch, with the reason."""

    saved: list[SaveOutcome]
    refused: dict[int, str] = field(default_factory=dict)


def set_stock_levels(
    updates: Sequence[StockUpdate],
    received_at: datetime,
    repository: StockRepository,
    max_ahead: timedelta = DEFAULT_MAX_AHEAD,
) -> BatchOutcome:
    """Store updates received together; of several for one item at the same time, the last one given wins. An
    update dated too far ahead (`receive_update`) is refused, and the others are stored.

    The order of the saves does not matter: each is conditional on its own time, so the latest wins anyway.
    """
    latest: dict[tuple[str, datetime], StockLevel] = {}
    refused: dict[int, str] = {}
    for position, update in enumerate(updates):
        try:
            level = receive_update(update, received_at, max_ahead)
        except InvalidStockInput as error:
            refused[position] = str(error)
            continue
        latest[(level.stock_id, level.as_of)] = level
    return BatchOutcome(repository.save_all_if_newer(list(latest.values())), refused)


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
