import itertools

import pytest

from domain.errors import InvalidStockInput
from domain.low_stock import LevelChange, LowStockAlert, low_stock_alert, parse_threshold


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
    alert = low_stock_alert(LevelChange("A1", previous, new), threshold)
    assert (alert == LowStockAlert("A1", new, threshold)) if due else alert is None


def test_item_alerts_again_after_a_restock():
    levels = [5, 1, 0, 8, 1]
    alerts = [low_stock_alert(LevelChange("A1", before, after)) for before, after in itertools.pairwise(levels)]
    assert [alert.level if alert else None for alert in alerts] == [1, None, None, 1]


def test_default_threshold_is_one():
    assert low_stock_alert(LevelChange("A1", 2, 1)) is not None
    assert low_stock_alert(LevelChange("A1", 3, 2)) is None


@pytest.mark.parametrize(("raw", "threshold"), [("1", 1), ("0", 0), (5, 5)])
def test_threshold_is_read_from_text_or_int(raw, threshold):
    assert parse_threshold(raw) == threshold


@pytest.mark.parametrize("raw", ["-1", "one", "", 1.5])
def test_bad_threshold_is_refused_by_name(raw):
    with pytest.raises(InvalidStockInput, match="low-stock threshold"):
        parse_threshold(raw)
