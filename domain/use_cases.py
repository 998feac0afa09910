"""The use cases: set an item's level and alert settings, read an item, list the low ones, react to a change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from domain.errors import InvalidStockInput
from domain.item import StockItem
from domain.low_stock import DEFAULT_REORDER_POINT, LowStockAlert, ReorderPoint, is_low, low_stock_alert
from domain.low_stock import reorder_point_in_force as _in_force
from domain.ports import ApplyOutcome, LowItemsPage, LowStockList, LowStockNotifier, SentAlerts, StockRepository
from domain.stock import DEFAULT_MAX_AHEAD, UNSET, Field, StockUpdate, ensure_not_ahead, validate_stock_id

MAX_PAGE = 1000


@dataclass(frozen=True)
class StockRules:
    """The stack's choices the rules take: the default reorder point, and how far past its receipt an update's own
    time may be."""

    default_reorder_point: int = DEFAULT_REORDER_POINT
    max_ahead: timedelta = DEFAULT_MAX_AHEAD


def receive_update(update: StockUpdate, received_at: datetime, rules: StockRules = StockRules()) -> StockUpdate:
    """The update stamped with its time: its own, or `received_at` if it gave none. InvalidStockInput if its own
    time is more than `rules.max_ahead` after `received_at`: stored, it would make every later update of the item
    stale until then."""
    as_of = (update.as_of or received_at).astimezone(UTC)
    ensure_not_ahead(as_of, received_at, rules.max_ahead)
    return replace(update, as_of=as_of)


def set_stock_level(
    update: StockUpdate, received_at: datetime, repository: StockRepository, rules: StockRules = StockRules()
) -> ApplyOutcome:
    """Store each field of the update unless a newer version of it is stored (InvalidStockInput, nothing stored,
    if it is dated too far ahead: `receive_update`)."""
    return repository.apply(receive_update(update, received_at, rules), rules.default_reorder_point)


@dataclass(frozen=True)
class BatchOutcome:
    """What became of updates received together: the writes made, and the updates refused, by their position in
    the batch, with the reason."""

    saved: list[ApplyOutcome]
    refused: dict[int, str] = field(default_factory=dict)


def set_stock_levels(
    updates: Sequence[StockUpdate], received_at: datetime, repository: StockRepository, rules: StockRules = StockRules()
) -> BatchOutcome:
    """Store updates received together. Of several for one item at the same time, the last one to set a field
    wins for that field (one write per item and time); an update dated too far ahead (`receive_update`) is
    refused, and the others are stored.

    The order of the writes does not matter: each field is conditional on its own time, so the latest wins anyway.
    """
    merged: dict[tuple[str, datetime | None], StockUpdate] = {}
    refused: dict[int, str] = {}
    for position, update in enumerate(updates):
        try:
            stamped = receive_update(update, received_at, rules)
        except InvalidStockInput as error:
            refused[position] = str(error)
            continue
        key = (stamped.stock_id, stamped.as_of)
        merged[key] = _merge(merged[key], stamped) if key in merged else stamped
    return BatchOutcome(repository.apply_all(list(merged.values()), rules.default_reorder_point), refused)


def _merge(earlier: StockUpdate, later: StockUpdate) -> StockUpdate:
    """`earlier` with every field `later` sets replaced by `later`'s."""
    return replace(
        earlier,
        level=later.level if Field.LEVEL in later.fields else earlier.level,
        reorder_point=later.reorder_point if later.reorder_point is not UNSET else earlier.reorder_point,
        low_stock_alerts=later.low_stock_alerts if Field.ALERTS in later.fields else earlier.low_stock_alerts,
    )


@dataclass(frozen=True)
class ItemStatus:
    """An item as a reader sees it: as stored, its reorder point in force and whether it is low now."""

    item: StockItem
    reorder_point: ReorderPoint
    low: bool


def status_of(item: StockItem, rules: StockRules = StockRules()) -> ItemStatus:
    """The item with what the rule says of it now."""
    point = _in_force(item, rules.default_reorder_point)
    return ItemStatus(item, point, is_low(item, rules.default_reorder_point))


def get_stock_item(stock_id: str, repository: StockRepository, rules: StockRules = StockRules()) -> ItemStatus | None:
    """Read an item (None if it was never set); the id is validated first so a bad id never reaches the store."""
    item = repository.get(validate_stock_id(stock_id))
    return None if item is None else status_of(item, rules)


@dataclass(frozen=True)
class LowStatusPage:
    """A page of the items low now, and where the next starts (None: no more)."""

    items: list[ItemStatus]
    next_position: str | None


def list_low_items(
    after: str | None, limit: int, low_list: LowStockList, rules: StockRules = StockRules()
) -> LowStatusPage:
    """Up to `limit` (1 to MAX_PAGE) items that are low now, after `after`. An item listed but no longer low as
    stored (its change not handled yet) is left out: a page may hold fewer than `limit` and still have a next."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidStockInput(f"limit must be a whole number from 1 to {MAX_PAGE}, not {limit}")
    page: LowItemsPage = low_list.page(after, limit)
    statuses = [status_of(item, rules) for item in page.items]
    return LowStatusPage([status for status in statuses if status.low], page.next_position)


def deliver_alert(alert: LowStockAlert, alert_id: str, notifier: LowStockNotifier, sent_alerts: SentAlerts) -> bool:
    """Send the alert once however often it is asked for under the same `alert_id`; True if it was sent now.

    The alert is claimed before it is sent and marked sent once accepted: an alert asked for again after a crash
    is skipped, and one whose send failed is released and sent on the retry, so no alert is lost."""
    if not sent_alerts.claim(alert_id, alert.stock_id):
        return False
    try:
        notifier.send(alert)
    except Exception:
        sent_alerts.release(alert_id)
        raise
    sent_alerts.mark_sent(alert_id)
    return True


def react_to_item_change(
    previous: StockItem | None,
    current: StockItem,
    change_id: str,
    stack_default: int,
    notifier: LowStockNotifier,
    sent_alerts: SentAlerts,
    low_list: LowStockList,
) -> LowStockAlert | None:
    """Alert, once per `change_id`, if the item became low with this change, and set its place in the list of low
    items right; return the alert sent now, if any. Raises if either fails: the change is delivered again."""
    alert = low_stock_alert(previous, current, stack_default)
    sent_now = alert is not None and deliver_alert(alert, change_id, notifier, sent_alerts)
    low = is_low(current, stack_default)
    if low != current.listed_low:
        low_list.list_as_low(current, low)
    return alert if sent_now else None
