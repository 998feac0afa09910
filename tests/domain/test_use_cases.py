from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidStockInput
from domain.low_stock import LevelChange, LowStockAlert
from domain.stock import StockLevel, StockUpdate
from domain.use_cases import (
    get_stock_level,
    react_to_level_change,
    receive_update,
    set_stock_level,
    set_stock_levels,
)
from harness.port_fakes import FakeNotifier, FakeSentAlerts, FakeStockRepository

NOON = datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_setting_a_level_stores_it_stamped_with_the_receive_time():
    repository = FakeStockRepository()
    outcome = set_stock_level(StockUpdate("A1", 4), NOON, repository)
    assert outcome.applied
    assert outcome.previous is None
    assert repository.get("A1") == StockLevel("A1", 4, NOON)


def test_a_newer_update_replaces_the_level_and_reports_the_previous_one():
    repository = FakeStockRepository([StockLevel("A1", 4, NOON)])
    outcome = set_stock_level(StockUpdate("A1", 2), NOON + timedelta(seconds=1), repository)
    assert outcome.applied
    assert outcome.previous == StockLevel("A1", 4, NOON)
    assert repository.get("A1") == StockLevel("A1", 2, NOON + timedelta(seconds=1))


def test_stale_update_is_reported_and_changes_nothing():
    stored = StockLevel("A1", 4, NOON)
    repository = FakeStockRepository([stored])
    outcome = set_stock_level(StockUpdate("A1", 9, NOON - timedelta(hours=1)), NOON + timedelta(hours=1), repository)
    assert not outcome.applied
    assert outcome.previous == stored
    assert repository.get("A1") == stored


def test_reapplying_the_same_update_changes_nothing():
    repository = FakeStockRepository()
    set_stock_level(StockUpdate("A1", 4), NOON, repository)
    again = set_stock_level(StockUpdate("A1", 4), NOON, repository)
    assert not again.applied
    assert repository.get("A1") == StockLevel("A1", 4, NOON)


def test_of_updates_received_together_the_last_one_for_an_item_wins():
    repository = FakeStockRepository()
    outcome = set_stock_levels([StockUpdate("A1", 5), StockUpdate("B2", 1), StockUpdate("A1", 3)], NOON, repository)
    assert repository.get("A1") == StockLevel("A1", 3, NOON)
    assert repository.get("B2") == StockLevel("B2", 1, NOON)
    assert [saved.applied for saved in outcome.saved] == [True, True]
    assert outcome.refused == {}
    assert repository.saves == 2


def test_of_updates_received_together_an_explicit_later_time_still_wins():
    repository = FakeStockRepository()
    later = NOON + timedelta(minutes=5)  # as far past the receipt as an update's own time may be
    set_stock_levels([StockUpdate("A1", 5, later), StockUpdate("A1", 3)], NOON, repository)
    assert repository.get("A1") == StockLevel("A1", 5, later)


def test_reading_a_level_returns_what_is_stored_or_none():
    repository = FakeStockRepository([StockLevel("A1", 4, NOON)])
    assert get_stock_level("A1", repository) == StockLevel("A1", 4, NOON)
    assert get_stock_level("B2", repository) is None


def test_reading_with_an_invalid_id_never_reaches_the_store(mocker):
    repository = mocker.Mock()
    with pytest.raises(InvalidStockInput):
        get_stock_level("bad id", repository)
    repository.get.assert_not_called()


def test_a_crossing_sends_one_alert(mocker):
    notifier = mocker.Mock()
    alert = react_to_level_change(LevelChange("A1", 3, 1), "change-1", 1, notifier, FakeSentAlerts())
    notifier.send.assert_called_once_with(LowStockAlert("A1", 1, 1))
    assert alert == LowStockAlert("A1", 1, 1)


def test_no_crossing_sends_nothing_and_claims_nothing(mocker):
    notifier, sent_alerts = mocker.Mock(), FakeSentAlerts()
    assert react_to_level_change(LevelChange("A1", 1, 0), "change-1", 1, notifier, sent_alerts) is None
    notifier.send.assert_not_called()
    assert sent_alerts.claimed == set()


def test_a_failed_send_is_released_and_sent_on_the_retry():
    notifier, sent_alerts = FakeNotifier(failures=1), FakeSentAlerts()
    with pytest.raises(ConnectionError):
        react_to_level_change(LevelChange("A1", 3, 1), "change-1", 1, notifier, sent_alerts)
    assert sent_alerts.claimed == set()
    react_to_level_change(LevelChange("A1", 3, 1), "change-1", 1, notifier, sent_alerts)
    assert notifier.sent == [LowStockAlert("A1", 1, 1)]
    assert sent_alerts.sent == {"change-1"}


def test_a_change_delivered_again_after_its_alert_was_sent_is_not_announced_again():
    notifier, sent_alerts = FakeNotifier(), FakeSentAlerts()
    first = react_to_level_change(LevelChange("A1", 3, 1), "change-1", 1, notifier, sent_alerts)
    again = react_to_level_change(LevelChange("A1", 3, 1), "change-1", 1, notifier, sent_alerts)
    assert (first, again) == (LowStockAlert("A1", 1, 1), None)
    assert notifier.sent == [LowStockAlert("A1", 1, 1)]


def test_a_change_another_attempt_holds_is_left_for_the_retry(mocker):
    notifier = mocker.Mock()
    with pytest.raises(RuntimeError, match="another attempt"):
        react_to_level_change(LevelChange("A1", 3, 1), "change-1", 1, notifier, FakeSentAlerts(frozenset({"change-1"})))
    notifier.send.assert_not_called()


def test_the_alert_is_judged_against_the_threshold_given_not_the_default():
    notifier, sent_alerts = FakeNotifier(), FakeSentAlerts()
    alert = react_to_level_change(LevelChange("A1", 9, 4), "change-1", 5, notifier, sent_alerts)
    assert alert == LowStockAlert("A1", 4, 5)
    assert notifier.sent == [LowStockAlert("A1", 4, 5)]


@pytest.mark.parametrize(
    "as_of",
    [
        NOON + timedelta(minutes=5, microseconds=1),
        NOON + timedelta(days=1),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_an_update_dated_further_ahead_of_its_receipt_than_allowed_is_refused_and_nothing_is_stored(as_of):
    repository = FakeStockRepository([StockLevel("A1", 4, NOON - timedelta(hours=1))])
    update = StockUpdate("A1", 9, as_of)
    with pytest.raises(InvalidStockInput) as refused:
        set_stock_level(update, NOON, repository)
    assert "is more than 5 minutes after the update was received (2024-05-01T12:00:00.000000Z)" in str(refused.value)
    assert repository.get("A1") == StockLevel("A1", 4, NOON - timedelta(hours=1))
    assert repository.saves == 0


def test_an_update_dated_up_to_the_allowed_span_ahead_is_stored():
    repository = FakeStockRepository()
    set_stock_level(StockUpdate("A1", 9, NOON + timedelta(seconds=30)), NOON, repository, timedelta(seconds=30))
    assert repository.get("A1") == StockLevel("A1", 9, NOON + timedelta(seconds=30))


def test_the_allowed_span_is_named_in_the_refusal():
    with pytest.raises(InvalidStockInput, match=r"^as_of 2024-05-01T12:00:31.000000Z is more than 30 seconds after "):
        receive_update(StockUpdate("A1", 9, NOON + timedelta(seconds=31)), NOON, timedelta(seconds=30))
    with pytest.raises(InvalidStockInput, match="more than 1 second after"):
        receive_update(StockUpdate("A1", 9, NOON + timedelta(seconds=2)), NOON, timedelta(seconds=1))
    with pytest.raises(InvalidStockInput, match="more than 1 minute after"):
        receive_update(StockUpdate("A1", 9, NOON + timedelta(seconds=61)), NOON, timedelta(minutes=1))
    with pytest.raises(InvalidStockInput, match="more than 0 seconds after"):
        receive_update(StockUpdate("A1", 9, NOON + timedelta(microseconds=1)), NOON, timedelta(0))


def test_of_updates_received_together_those_dated_too_far_ahead_are_refused_by_position_and_the_rest_stored():
    repository = FakeStockRepository()
    updates = [StockUpdate("A1", 5), StockUpdate("B2", 1, NOON + timedelta(days=1)), StockUpdate("C3", 2)]
    outcome = set_stock_levels(updates, NOON, repository)
    assert list(outcome.refused) == [1]
    assert "as_of 2024-05-02T12:00:00.000000Z is more than 5 minutes after" in outcome.refused[1]
    assert repository.get("B2") is None
    assert [repository.get(stock_id) is not None for stock_id in ("A1", "C3")] == [True, True]
