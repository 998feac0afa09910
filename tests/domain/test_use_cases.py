from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.errors import InvalidStockInput
from domain.item import Source, StockItem, Versioned
from domain.low_stock import LowStockAlert, ReorderPoint
from domain.ports import ApplyOutcome, LowItemsPage
from domain.stock import Field, StockUpdate
from domain.use_cases import (
    ItemStatus,
    LowStatusPage,
    StockRules,
    deliver_alert,
    get_stock_item,
    list_low_items,
    react_to_item_change,
    receive_update,
    set_stock_level,
    set_stock_levels,
    status_of,
)
from harness.port_fakes import FakeLowStockList, FakeNotifier, FakeSentAlerts, FakeStockRepository

NOON = datetime(2024, 5, 1, 12, tzinfo=UTC)
DEFAULT = 1  # the stack's default reorder point when its settings give none


def stored(stock_id: str, level: int | None, as_of: datetime = NOON, **fields: Any) -> StockItem:
    """An item as a write of the use cases leaves it: with its level (if any) and the default in force."""
    return StockItem(
        stock_id,
        level=None if level is None else Versioned(level, as_of),
        default_reorder_point=DEFAULT,
        **fields,
    )


def test_setting_a_level_stores_it_stamped_with_the_receive_time():
    repository = FakeStockRepository()
    outcome = set_stock_level(StockUpdate("A1", 4), NOON, repository)
    assert outcome == ApplyOutcome(frozenset({Field.LEVEL}), frozenset(), None)
    assert outcome.saved
    assert repository.get("A1") == stored("A1", 4)


def test_a_newer_update_replaces_the_level_and_reports_the_previous_one():
    repository = FakeStockRepository([stored("A1", 4)])
    outcome = set_stock_level(StockUpdate("A1", 2), NOON + timedelta(seconds=1), repository)
    assert outcome.applied == {Field.LEVEL}
    assert outcome.previous == stored("A1", 4)
    assert repository.get("A1") == stored("A1", 2, NOON + timedelta(seconds=1))


def test_stale_update_is_reported_and_changes_nothing():
    item = stored("A1", 4)
    repository = FakeStockRepository([item])
    outcome = set_stock_level(StockUpdate("A1", 9, NOON - timedelta(hours=1)), NOON + timedelta(hours=1), repository)
    assert outcome == ApplyOutcome(frozenset(), frozenset({Field.LEVEL}), item)
    assert not outcome.saved
    assert repository.get("A1") == item


def test_reapplying_the_same_update_changes_nothing():
    repository = FakeStockRepository()
    set_stock_level(StockUpdate("A1", 4), NOON, repository)
    again = set_stock_level(StockUpdate("A1", 4), NOON, repository)
    assert not again.applied
    assert again.stale == {Field.LEVEL}
    assert repository.get("A1") == stored("A1", 4)


def test_a_new_level_keeps_the_items_own_reorder_point_and_alert_setting():
    settings: dict[str, Any] = {"reorder_point": Versioned(5, NOON), "low_stock_alerts": Versioned(True, NOON)}
    repository = FakeStockRepository([stored("A1", 9, **settings)])
    set_stock_level(StockUpdate("A1", 4), NOON + timedelta(seconds=1), repository)
    assert get_stock_item("A1", repository) == ItemStatus(
        stored("A1", 4, NOON + timedelta(seconds=1), **settings), ReorderPoint(5, Source.ITEM), True
    )


def test_an_update_of_the_alert_settings_leaves_the_level_and_writes_the_stacks_default():
    repository = FakeStockRepository([StockItem("A1", level=Versioned(4, NOON))])  # stored before items had settings
    rules = StockRules(default_reorder_point=3)
    outcome = set_stock_level(StockUpdate("A1", reorder_point=6, low_stock_alerts=False), NOON, repository, rules)
    assert outcome.applied == {Field.REORDER_POINT, Field.ALERTS}
    assert repository.get("A1") == StockItem(
        "A1",
        level=Versioned(4, NOON),
        reorder_point=Versioned(6, NOON),
        low_stock_alerts=Versioned(False, NOON),
        default_reorder_point=3,
    )


def test_an_update_with_some_fields_stale_applies_the_newer_ones_in_one_write_and_names_the_stale():
    repository = FakeStockRepository([stored("A1", 4, NOON + timedelta(minutes=1))])
    outcome = set_stock_level(StockUpdate("A1", 0, reorder_point=2), NOON, repository)
    assert (outcome.applied, outcome.stale, outcome.saved) == (
        frozenset({Field.REORDER_POINT}),
        frozenset({Field.LEVEL}),
        True,
    )
    assert repository.saves == 1
    assert repository.get("A1") == stored("A1", 4, NOON + timedelta(minutes=1), reorder_point=Versioned(2, NOON))


def test_of_updates_received_together_the_last_one_for_an_item_wins():
    repository = FakeStockRepository()
    outcome = set_stock_levels([StockUpdate("A1", 5), StockUpdate("B2", 1), StockUpdate("A1", 3)], NOON, repository)
    assert repository.get("A1") == stored("A1", 3)
    assert repository.get("B2") == stored("B2", 1)
    assert [saved.applied for saved in outcome.saved] == [{Field.LEVEL}, {Field.LEVEL}]
    assert outcome.refused == {}
    assert repository.saves == 2


def test_of_updates_received_together_an_explicit_later_time_still_wins():
    repository = FakeStockRepository()
    later = NOON + timedelta(minutes=5)  # as far past the receipt as an update's own time may be
    set_stock_levels([StockUpdate("A1", 5, later), StockUpdate("A1", 3)], NOON, repository)
    assert repository.get("A1") == stored("A1", 5, later)


def test_lines_for_one_item_at_one_time_setting_different_fields_are_merged_into_one_write():
    repository = FakeStockRepository()
    outcome = set_stock_levels([StockUpdate("A1", 3), StockUpdate("A1", reorder_point=5)], NOON, repository)
    assert repository.saves == 1
    assert [saved.applied for saved in outcome.saved] == [{Field.LEVEL, Field.REORDER_POINT}]
    assert repository.get("A1") == stored("A1", 3, reorder_point=Versioned(5, NOON))


@pytest.mark.parametrize(
    ("updates", "item"),
    [
        pytest.param(
            [StockUpdate("A1", 3, reorder_point=2), StockUpdate("A1", 5)],
            stored("A1", 5, reorder_point=Versioned(2, NOON)),
            id="a later line's level, an earlier line's reorder point",
        ),
        pytest.param(
            [StockUpdate("A1", reorder_point=2), StockUpdate("A1", reorder_point=None)],
            stored("A1", None, reorder_point=Versioned(None, NOON)),
            id="back to the default is a value that wins too",
        ),
        pytest.param(
            [StockUpdate("A1", reorder_point=None), StockUpdate("A1", 1), StockUpdate("A1", low_stock_alerts=True)],
            stored("A1", 1, reorder_point=Versioned(None, NOON), low_stock_alerts=Versioned(True, NOON)),
            id="each line keeps what the others do not set",
        ),
        pytest.param(
            [StockUpdate("A1", low_stock_alerts=True), StockUpdate("A1", 2, low_stock_alerts=False)],
            stored("A1", 2, low_stock_alerts=Versioned(False, NOON)),
            id="alerts turned off by the last",
        ),
        pytest.param(
            [StockUpdate("A1", low_stock_alerts=False), StockUpdate("A1", 2), StockUpdate("A1", 0)],
            stored("A1", 0, low_stock_alerts=Versioned(False, NOON)),
            id="alerts off kept under later levels",
        ),
    ],
)
def test_of_lines_for_one_item_at_one_time_the_last_to_set_each_field_wins_for_that_field(updates, item):
    repository = FakeStockRepository()
    set_stock_levels(updates, NOON, repository)
    assert repository.saves == 1
    assert repository.get("A1") == item


def test_lines_for_one_item_at_different_times_are_written_each_in_its_own_write():
    repository = FakeStockRepository()
    earlier = NOON - timedelta(minutes=1)
    outcome = set_stock_levels([StockUpdate("A1", 3), StockUpdate("A1", 9, earlier, reorder_point=4)], NOON, repository)
    assert repository.saves == 2
    assert [saved.applied for saved in outcome.saved] == [{Field.LEVEL}, {Field.LEVEL, Field.REORDER_POINT}]
    assert repository.get("A1") == stored("A1", 3, reorder_point=Versioned(4, earlier))


def test_updates_received_together_write_the_stacks_default_in_force():
    repository = FakeStockRepository()
    set_stock_levels([StockUpdate("A1", 3)], NOON, repository, StockRules(default_reorder_point=8))
    item = repository.get("A1")
    assert item is not None
    assert item.default_reorder_point == 8


def test_reading_an_item_returns_it_with_its_reorder_point_in_force_and_whether_it_is_low_or_none():
    repository = FakeStockRepository([stored("A1", 4), stored("B2", 1, reorder_point=Versioned(5, NOON))])
    assert get_stock_item("A1", repository) == ItemStatus(stored("A1", 4), ReorderPoint(1, Source.DEFAULT), False)
    assert get_stock_item("B2", repository) == ItemStatus(
        stored("B2", 1, reorder_point=Versioned(5, NOON)), ReorderPoint(5, Source.ITEM), True
    )
    assert get_stock_item("C3", repository) is None


def test_an_item_read_is_judged_by_the_stacks_default_when_none_was_written_with_it():
    item = StockItem("A1", level=Versioned(4, NOON))
    status = get_stock_item("A1", FakeStockRepository([item]), StockRules(default_reorder_point=4))
    assert status == ItemStatus(item, ReorderPoint(4, Source.DEFAULT), True)


def test_an_item_with_a_reorder_point_and_no_level_yet_is_not_low():
    item = stored("A1", None, reorder_point=Versioned(5, NOON))
    assert status_of(item) == ItemStatus(item, ReorderPoint(5, Source.ITEM), False)


def test_reading_with_an_invalid_id_never_reaches_the_store(mocker):
    repository = mocker.Mock()
    with pytest.raises(InvalidStockInput):
        get_stock_item("bad id", repository)
    repository.get.assert_not_called()


def _listed(stock_id: str, level: int, **fields: Any) -> StockItem:
    return stored(stock_id, level, listed_low=True, **fields)


@pytest.mark.parametrize("limit", [0, -1, 1001, 10**6])
def test_a_page_size_outside_1_to_1000_is_refused_before_the_list_is_read(mocker, limit):
    low_list = mocker.Mock()
    with pytest.raises(InvalidStockInput) as refused:
        list_low_items(None, limit, low_list)
    assert str(refused.value) == f"limit must be a whole number from 1 to 1000, not {limit}"
    low_list.page.assert_not_called()


@pytest.mark.parametrize("limit", [1, 1000])
def test_a_page_size_of_1_to_1000_is_asked_of_the_list_with_the_position(mocker, limit):
    low_list = mocker.Mock()
    low_list.page.return_value = LowItemsPage([], None)
    assert list_low_items("3/A1", limit, low_list) == LowStatusPage([], None)
    low_list.page.assert_called_once_with("3/A1", limit)


def test_listed_items_no_longer_low_are_left_out_and_the_next_position_is_passed_on(mocker):
    low, restocked, off = _listed("A1", 0), _listed("B2", 9), _listed("C3", 0, low_stock_alerts=Versioned(False, NOON))
    own = _listed("D4", 4, reorder_point=Versioned(5, NOON))
    low_list = mocker.Mock()
    low_list.page.return_value = LowItemsPage([low, restocked, off, own], "5/D4")
    page = list_low_items(None, 4, low_list)
    assert page == LowStatusPage(
        [ItemStatus(low, ReorderPoint(1, Source.DEFAULT), True), ItemStatus(own, ReorderPoint(5, Source.ITEM), True)],
        "5/D4",
    )


def test_a_page_whose_listed_items_are_all_no_longer_low_is_empty_and_still_has_a_next(mocker):
    low_list = mocker.Mock()
    low_list.page.return_value = LowItemsPage([_listed("A1", 9)], "0/A1")
    assert list_low_items(None, 1, low_list) == LowStatusPage([], "0/A1")


def test_the_low_items_are_listed_page_after_page_from_the_list():
    repository = FakeStockRepository([_listed("A1", 0), _listed("B2", 1), _listed("C3", 7), _listed("D4", 1)])
    first = list_low_items(None, 2, FakeLowStockList(repository))
    second = list_low_items(first.next_position, 2, FakeLowStockList(repository))
    assert ([status.item.stock_id for status in first.items], first.next_position) == (["A1", "B2"], "B2")
    assert ([status.item.stock_id for status in second.items], second.next_position) == (["D4"], None)


def test_the_low_items_are_judged_by_the_stacks_default_when_none_was_written_with_them(mocker):
    item = StockItem("A1", level=Versioned(3, NOON), listed_low=True)
    low_list = mocker.Mock()
    low_list.page.return_value = LowItemsPage([item], None)
    assert list_low_items(None, 10, low_list, StockRules(default_reorder_point=3)).items == [
        ItemStatus(item, ReorderPoint(3, Source.DEFAULT), True)
    ]
    assert list_low_items(None, 10, low_list, StockRules(default_reorder_point=2)).items == []


HIGH, LOW = stored("A1", 3), stored("A1", 1, NOON + timedelta(seconds=1))
ALERT = LowStockAlert("A1", 1, 1, Source.DEFAULT)


def _react(previous, current, notifier, sent_alerts, low_list=None, change_id="change-1", stack_default=DEFAULT):
    low_list = low_list or FakeLowStockList(FakeStockRepository([current]))
    return react_to_item_change(previous, current, change_id, stack_default, notifier, sent_alerts, low_list)


def test_a_crossing_sends_one_alert(mocker):
    notifier = mocker.Mock()
    alert = _react(HIGH, LOW, notifier, FakeSentAlerts())
    notifier.send.assert_called_once_with(ALERT)
    assert alert == ALERT


def test_no_crossing_sends_nothing_and_claims_nothing(mocker):
    notifier, sent_alerts = mocker.Mock(), FakeSentAlerts()
    assert _react(LOW, stored("A1", 0, NOON + timedelta(seconds=2)), notifier, sent_alerts) is None
    notifier.send.assert_not_called()
    assert sent_alerts.claimed == set()
    assert sent_alerts.sent == set()


def test_a_failed_send_is_released_and_sent_on_the_retry():
    notifier, sent_alerts = FakeNotifier(failures=1), FakeSentAlerts()
    with pytest.raises(ConnectionError):
        _react(HIGH, LOW, notifier, sent_alerts)
    assert sent_alerts.claimed == set()
    _react(HIGH, LOW, notifier, sent_alerts)
    assert notifier.sent == [ALERT]
    assert sent_alerts.sent == {"change-1"}


def test_a_change_delivered_again_after_its_alert_was_sent_is_not_announced_again():
    notifier, sent_alerts = FakeNotifier(), FakeSentAlerts()
    first = _react(HIGH, LOW, notifier, sent_alerts)
    again = _react(HIGH, LOW, notifier, sent_alerts)
    assert (first, again) == (ALERT, None)
    assert notifier.sent == [ALERT]


def test_a_change_another_attempt_holds_is_left_for_the_retry(mocker):
    notifier, low_list = mocker.Mock(), mocker.Mock()
    with pytest.raises(RuntimeError, match="another attempt"):
        _react(HIGH, LOW, notifier, FakeSentAlerts(frozenset({"change-1"})), low_list)
    notifier.send.assert_not_called()
    low_list.list_as_low.assert_not_called()


def test_the_alert_is_judged_against_the_stack_default_given_not_the_default():
    notifier, sent_alerts = FakeNotifier(), FakeSentAlerts()
    before, after = StockItem("A1", level=Versioned(9, NOON)), StockItem("A1", level=Versioned(4, NOON))
    alert = _react(before, after, notifier, sent_alerts, stack_default=5)
    assert alert == LowStockAlert("A1", 4, 5, Source.DEFAULT)
    assert notifier.sent == [LowStockAlert("A1", 4, 5, Source.DEFAULT)]


def test_the_alert_names_the_items_own_reorder_point():
    notifier = FakeNotifier()
    raised = stored("A1", 3, reorder_point=Versioned(4, NOON))
    assert _react(HIGH, raised, notifier, FakeSentAlerts()) == LowStockAlert("A1", 3, 4, Source.ITEM)
    assert notifier.sent == [LowStockAlert("A1", 3, 4, Source.ITEM)]


def test_each_channel_sends_the_alert_of_a_change_once():
    channels = [(FakeNotifier(), FakeSentAlerts()), (FakeNotifier(), FakeSentAlerts())]
    for _ in range(2):
        for notifier, sent_alerts in channels:
            _react(HIGH, LOW, notifier, sent_alerts)
    assert [notifier.sent for notifier, _ in channels] == [[ALERT], [ALERT]]


def test_another_change_of_the_same_crossing_is_alerted_under_its_own_id():
    notifier, sent_alerts = FakeNotifier(), FakeSentAlerts()
    _react(HIGH, LOW, notifier, sent_alerts, change_id="change-1")
    _react(HIGH, LOW, notifier, sent_alerts, change_id="change-2")
    assert notifier.sent == [ALERT, ALERT]
    assert sent_alerts.sent == {"change-1", "change-2"}


@pytest.mark.parametrize(
    ("previous", "current", "mark"),
    [
        pytest.param(HIGH, LOW, True, id="became low, not listed: listed"),
        pytest.param(LOW, HIGH, None, id="not low, not listed: left"),
        pytest.param(LOW, stored("A1", 0, NOON + timedelta(seconds=2), listed_low=True), None, id="low, listed: left"),
        pytest.param(LOW, stored("A1", 3, NOON + timedelta(seconds=2), listed_low=True), False, id="restocked, listed"),
        pytest.param(LOW, stored("A1", 0, NOON + timedelta(seconds=2)), True, id="stays low, not listed: listed"),
        pytest.param(
            LOW,
            stored("A1", 1, low_stock_alerts=Versioned(False, NOON), listed_low=True),
            False,
            id="alerts off, listed: taken out",
        ),
    ],
)
def test_the_list_mark_is_written_only_when_the_items_low_state_differs_from_its_mark(mocker, previous, current, mark):
    low_list = mocker.Mock()
    _react(previous, current, FakeNotifier(), FakeSentAlerts(), low_list)
    if mark is None:
        low_list.list_as_low.assert_not_called()
    else:
        low_list.list_as_low.assert_called_once_with(current, mark)


def test_the_list_mark_is_set_on_the_item_as_the_change_left_it():
    repository = FakeStockRepository([LOW])
    low_list = FakeLowStockList(repository)
    _react(HIGH, LOW, FakeNotifier(), FakeSentAlerts(), low_list)
    assert repository.get("A1") == stored("A1", 1, NOON + timedelta(seconds=1), listed_low=True)


def test_a_failed_list_mark_raises_so_the_change_is_delivered_again_and_is_not_announced_again(mocker):
    notifier, sent_alerts, low_list = FakeNotifier(), FakeSentAlerts(), mocker.Mock()
    low_list.list_as_low.side_effect = [ConnectionError("table unavailable"), None]
    with pytest.raises(ConnectionError):
        _react(HIGH, LOW, notifier, sent_alerts, low_list)
    assert _react(HIGH, LOW, notifier, sent_alerts, low_list) is None
    assert notifier.sent == [ALERT]
    assert low_list.list_as_low.call_args_list == [mocker.call(LOW, True), mocker.call(LOW, True)]


def test_a_failed_send_leaves_the_list_mark_to_the_retry(mocker):
    low_list = mocker.Mock()
    with pytest.raises(ConnectionError):
        _react(HIGH, LOW, FakeNotifier(failures=1), FakeSentAlerts(), low_list)
    low_list.list_as_low.assert_not_called()


def test_an_alert_is_delivered_once_per_id_claimed_under_its_item(mocker):
    notifier, sent_alerts = mocker.Mock(), mocker.Mock()
    sent_alerts.claim.side_effect = [True, False]
    assert deliver_alert(ALERT, "change-1", notifier, sent_alerts) is True
    assert deliver_alert(ALERT, "change-1", notifier, sent_alerts) is False
    notifier.send.assert_called_once_with(ALERT)
    assert sent_alerts.claim.call_args_list == [mocker.call("change-1", "A1")] * 2
    sent_alerts.mark_sent.assert_called_once_with("change-1")
    sent_alerts.release.assert_not_called()


@pytest.mark.parametrize(
    "as_of",
    [
        NOON + timedelta(minutes=5, microseconds=1),
        NOON + timedelta(days=1),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_an_update_dated_further_ahead_of_its_receipt_than_allowed_is_refused_and_nothing_is_stored(as_of):
    item = stored("A1", 4, NOON - timedelta(hours=1))
    repository = FakeStockRepository([item])
    update = StockUpdate("A1", 9, as_of)
    with pytest.raises(InvalidStockInput) as refused:
        set_stock_level(update, NOON, repository)
    assert "is more than 5 minutes after the update was received (2024-05-01T12:00:00.000000Z)" in str(refused.value)
    assert repository.get("A1") == item
    assert repository.saves == 0


def test_an_update_of_the_alert_settings_dated_too_far_ahead_is_refused_as_a_level_is():
    repository = FakeStockRepository()
    with pytest.raises(InvalidStockInput, match="is more than 5 minutes after"):
        set_stock_level(StockUpdate("A1", reorder_point=3, as_of=NOON + timedelta(hours=1)), NOON, repository)
    assert repository.saves == 0


def test_an_update_dated_up_to_the_allowed_span_ahead_is_stored():
    repository = FakeStockRepository()
    rules = StockRules(max_ahead=timedelta(seconds=30))
    set_stock_level(StockUpdate("A1", 9, NOON + timedelta(seconds=30)), NOON, repository, rules)
    assert repository.get("A1") == stored("A1", 9, NOON + timedelta(seconds=30))


def test_the_allowed_span_is_named_in_the_refusal():
    def rules(span: timedelta) -> StockRules:
        return StockRules(max_ahead=span)

    with pytest.raises(InvalidStockInput, match=r"^as_of 2024-05-01T12:00:31.000000Z is more than 30 seconds after "):
        receive_update(StockUpdate("A1", 9, NOON + timedelta(seconds=31)), NOON, rules(timedelta(seconds=30)))
    with pytest.raises(InvalidStockInput, match="more than 1 second after"):
        receive_update(StockUpdate("A1", 9, NOON + timedelta(seconds=2)), NOON, rules(timedelta(seconds=1)))
    with pytest.raises(InvalidStockInput, match="more than 1 minute after"):
        receive_update(StockUpdate("A1", 9, NOON + timedelta(seconds=61)), NOON, rules(timedelta(minutes=1)))
    with pytest.raises(InvalidStockInput, match="more than 0 seconds after"):
        receive_update(StockUpdate("A1", 9, NOON + timedelta(microseconds=1)), NOON, rules(timedelta(0)))


def test_a_received_update_keeps_every_field_it_sets_and_gets_its_time_in_utc():
    update = StockUpdate("A1", reorder_point=None, low_stock_alerts=False)
    assert receive_update(update, NOON) == StockUpdate("A1", as_of=NOON, reorder_point=None, low_stock_alerts=False)


def test_of_updates_received_together_those_dated_too_far_ahead_are_refused_by_position_and_the_rest_stored():
    repository = FakeStockRepository()
    updates = [StockUpdate("A1", 5), StockUpdate("B2", 1, NOON + timedelta(days=1)), StockUpdate("C3", 2)]
    outcome = set_stock_levels(updates, NOON, repository)
    assert list(outcome.refused) == [1]
    assert "as_of 2024-05-02T12:00:00.000000Z is more than 5 minutes after" in outcome.refused[1]
    assert repository.get("B2") is None
    assert [repository.get(stock_id) is not None for stock_id in ("A1", "C3")] == [True, True]


def test_a_refused_line_is_not_merged_into_the_lines_of_its_item():
    repository = FakeStockRepository()
    later = NOON + timedelta(days=1)
    updates = [StockUpdate("A1", 5), StockUpdate("A1", reorder_point=3, as_of=later), StockUpdate("A1", 4)]
    outcome = set_stock_levels(updates, NOON, repository)
    assert list(outcome.refused) == [1]
    assert repository.get("A1") == stored("A1", 4)


def test_the_stacks_limit_on_times_ahead_is_the_one_a_single_update_is_held_to():
    repository = FakeStockRepository()
    a_minute_ahead = StockUpdate("A1", 4, NOON + timedelta(minutes=1))  # within the domain's default of 5 minutes
    with pytest.raises(InvalidStockInput, match="more than 0 seconds after"):
        set_stock_level(a_minute_ahead, NOON, repository, StockRules(max_ahead=timedelta(0)))
    assert repository.get("A1") is None


def test_the_stacks_limit_on_times_ahead_is_the_one_updates_received_together_are_held_to():
    repository = FakeStockRepository()
    a_minute_ahead = StockUpdate("A1", 4, NOON + timedelta(minutes=1))
    outcome = set_stock_levels(
        [a_minute_ahead, StockUpdate("B2", 1)], NOON, repository, StockRules(max_ahead=timedelta(0))
    )
    assert list(outcome.refused) == [0]
    assert repository.get("A1") is None
    assert repository.get("B2") is not None
