import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.errors import InvalidStockInput
from domain.item import Source, StockItem, Versioned
from domain.low_stock import (
    DEFAULT_REORDER_POINT,
    LowStockAlert,
    ReorderPoint,
    is_low,
    low_stock_alert,
    parse_threshold,
    reorder_point_in_force,
)

NOON = datetime(2024, 5, 1, 12, tzinfo=UTC)
_NOT_SET = object()


def item(
    level: int | None = None,
    own: Any = _NOT_SET,
    default: int | None = None,
    alerts: bool | None = None,
    stock_id: str = "A1",
) -> StockItem:
    """An item as stored: `own` its own reorder point (None: set back to the stack's default; left out: never set),
    `default` the stack's default written with it (None: stored before items carried it)."""
    return StockItem(
        stock_id,
        level=None if level is None else Versioned(level, NOON),
        reorder_point=None if own is _NOT_SET else Versioned(own, NOON),
        low_stock_alerts=None if alerts is None else Versioned(alerts, NOON),
        default_reorder_point=default,
    )


@pytest.mark.parametrize(
    ("previous", "new", "threshold", "due"),
    [
        (None, 1, 1, True),  # a new item that starts low
        (None, 0, 1, True),
        (None, 2, 1, False),
        (5, 1, 1, True),  # falls to the threshold
        (5, 0, 1, True),  # falls below it
        (2, 2, 1, False),
        (1, 0, 1, False),  # already low: no second alert
        (1, 1, 1, False),
        (0, 5, 1, False),  # restocked: nothing to say
        (10, 3, 3, True),
        (4, 3, 3, True),
        (3, 3, 3, False),
        (1, 0, 0, True),
    ],
)
def test_alert_is_due_once_per_crossing(previous, new, threshold, due):
    before = None if previous is None else item(previous)
    alert = low_stock_alert(before, item(new), threshold)
    assert (alert == LowStockAlert("A1", new, threshold, Source.DEFAULT)) if due else alert is None


def test_item_alerts_again_after_a_restock():
    levels = [5, 1, 0, 8, 1]
    alerts = [low_stock_alert(item(before), item(after), 1) for before, after in itertools.pairwise(levels)]
    assert [alert.level if alert else None for alert in alerts] == [1, None, None, 1]


def test_default_threshold_is_one():
    assert DEFAULT_REORDER_POINT == 1
    assert low_stock_alert(item(2), item(1), DEFAULT_REORDER_POINT) is not None
    assert low_stock_alert(item(3), item(2), DEFAULT_REORDER_POINT) is None


@pytest.mark.parametrize(("raw", "threshold"), [("1", 1), ("0", 0), (5, 5)])
def test_threshold_is_read_from_text_or_int(raw, threshold):
    assert parse_threshold(raw) == threshold


@pytest.mark.parametrize("raw", ["-1", "one", "", 1.5])
def test_bad_threshold_is_refused_by_name(raw):
    with pytest.raises(InvalidStockInput, match="low-stock threshold"):
        parse_threshold(raw)


STACK = 7  # the default of the function reading the item


@pytest.mark.parametrize(
    ("stored", "in_force"),
    [
        pytest.param(item(own=5, default=3), ReorderPoint(5, Source.ITEM), id="own over written default"),
        pytest.param(item(own=5), ReorderPoint(5, Source.ITEM), id="own over stack default"),
        pytest.param(item(own=0, default=3), ReorderPoint(0, Source.ITEM), id="own zero is a reorder point"),
        pytest.param(item(own=9, default=3), ReorderPoint(9, Source.ITEM), id="own above the default"),
        pytest.param(item(own=None, default=3), ReorderPoint(3, Source.DEFAULT), id="own set back: written default"),
        pytest.param(item(default=3), ReorderPoint(3, Source.DEFAULT), id="no own: written default"),
        pytest.param(item(default=0), ReorderPoint(0, Source.DEFAULT), id="written default zero is a default"),
        pytest.param(item(default=9), ReorderPoint(9, Source.DEFAULT), id="written default above the stack's"),
        pytest.param(item(), ReorderPoint(STACK, Source.DEFAULT), id="no own, none written: stack default"),
        pytest.param(item(own=None), ReorderPoint(STACK, Source.DEFAULT), id="own set back, none written: stack"),
    ],
)
def test_the_reorder_point_in_force_is_the_items_own_else_the_default_written_else_the_stacks(stored, in_force):
    assert reorder_point_in_force(stored, STACK) == in_force


@pytest.mark.parametrize(
    ("stored", "low"),
    [
        pytest.param(None, False, id="no item"),
        pytest.param(item(own=5, default=3), False, id="no level"),
        pytest.param(item(5, own=5), True, id="at its own"),
        pytest.param(item(4, own=5), True, id="below its own"),
        pytest.param(item(6, own=5, default=9), False, id="above its own, below the default"),
        pytest.param(item(0, own=0), True, id="zero at an own zero"),
        pytest.param(item(3, default=3), True, id="at the written default"),
        pytest.param(item(4, default=3), False, id="above the written default"),
        pytest.param(item(7), True, id="at the stack default"),
        pytest.param(item(8), False, id="above the stack default"),
        pytest.param(item(0, own=5, alerts=False), False, id="alerts off"),
        pytest.param(item(0, own=5, alerts=True), True, id="alerts on"),
    ],
)
def test_an_item_is_low_when_its_alerts_are_on_and_it_has_a_level_at_or_below_its_reorder_point(stored, low):
    assert is_low(stored, STACK) is low


def _alert(level: int, reorder_point: int, source: Source) -> LowStockAlert:
    return LowStockAlert("A1", level, reorder_point, source)


@pytest.mark.parametrize(
    ("previous", "current", "alert"),
    [
        # What makes an item low, each once:
        pytest.param(item(5, own=3), item(3, own=3), _alert(3, 3, Source.ITEM), id="level falls to its own"),
        pytest.param(item(5, own=3), item(0, own=3), _alert(0, 3, Source.ITEM), id="level falls below its own"),
        pytest.param(None, item(2, own=3), _alert(2, 3, Source.ITEM), id="a new item starts low"),
        pytest.param(item(4, own=3), item(4, own=5), _alert(4, 5, Source.ITEM), id="reorder point raised above"),
        pytest.param(
            item(4, default=1), item(4, own=4, default=1), _alert(4, 4, Source.ITEM), id="own set at the level"
        ),
        pytest.param(
            item(0, own=3, alerts=False), item(0, own=3, alerts=True), _alert(0, 3, Source.ITEM), id="alerts back on"
        ),
        pytest.param(item(2, default=1), item(2, default=3), _alert(2, 3, Source.DEFAULT), id="default raised"),
        pytest.param(
            item(2, own=1, default=5), item(2, own=None, default=5), _alert(2, 5, Source.DEFAULT), id="own set back"
        ),
        pytest.param(item(9), item(7), _alert(7, STACK, Source.DEFAULT), id="stack default, none written"),
        pytest.param(item(5, own=3), item(5, own=3, alerts=True), None, id="alerts on, not low"),
        # Staying low, or ceasing to be: nothing to say.
        pytest.param(item(2, own=3), item(1, own=3), None, id="stays low as the level falls"),
        pytest.param(item(2, own=3), item(2, own=4), None, id="stays low as the reorder point rises"),
        pytest.param(item(2, own=3, alerts=False), item(2, own=3, alerts=False), None, id="stays off while low"),
        pytest.param(item(2, own=3), item(4, own=3), None, id="becomes not low: restocked"),
        pytest.param(item(2, own=3), item(2, own=1), None, id="becomes not low: reorder point lowered"),
        pytest.param(item(2, own=3), item(2, own=3, alerts=False), None, id="becomes not low: alerts off"),
        # Alerts off, or no level: never.
        pytest.param(item(5, own=3, alerts=False), item(0, own=3, alerts=False), None, id="alerts off: level falls"),
        pytest.param(item(4, own=3, alerts=False), item(4, own=5, alerts=False), None, id="alerts off: point raised"),
        pytest.param(None, item(0, own=3, alerts=False), None, id="alerts off: new item"),
        pytest.param(None, item(own=5), None, id="no level: new item"),
        pytest.param(item(own=3), item(own=5), None, id="no level: reorder point raised"),
        pytest.param(item(default=1), item(default=9), None, id="no level: default raised"),
    ],
)
def test_an_alert_is_due_each_time_an_item_becomes_low_whatever_made_it_so(previous, current, alert):
    assert low_stock_alert(previous, current, STACK) == alert
