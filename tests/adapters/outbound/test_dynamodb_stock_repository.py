import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from adapters.outbound.dynamodb_stock_repository import DynamoDbStockRepository
from domain.item import StockItem, Versioned
from domain.ports import ApplyOutcome
from domain.stock import Field, StockUpdate

NOON = datetime(2024, 5, 1, 12, tzinfo=UTC)
DEFAULT = 1
LEVEL, REORDER_POINT, ALERTS = Field.LEVEL, Field.REORDER_POINT, Field.ALERTS


def level(stock_id, value, as_of):
    return StockUpdate(stock_id, level=value, as_of=as_of)


def stored_level(stock_id, value, as_of, default=DEFAULT):
    return StockItem(stock_id, level=Versioned(value, as_of), default_reorder_point=default)


def applied(*fields, previous=None, stale=()):
    return ApplyOutcome(frozenset(fields), frozenset(stale), previous)


@pytest.fixture
def repository(account):
    return DynamoDbStockRepository(account.dynamodb, account.table_name)


def test_first_update_is_applied_with_no_previous_item(repository, account):
    assert repository.apply(level("A1", 4, NOON), DEFAULT) == applied(LEVEL)
    assert account.stored("A1") == {
        "stock_id": {"S": "A1"},
        "stock_level": {"N": "4"},
        "as_of": {"S": "2024-05-01T12:00:00.000000Z"},
        "default_reorder_point": {"N": "1"},
    }


def test_each_field_is_stored_beside_its_own_time(repository, account):
    later = NOON + timedelta(minutes=1)
    repository.apply(StockUpdate("A1", level=4, reorder_point=6, as_of=NOON), 3)
    repository.apply(StockUpdate("A1", low_stock_alerts=False, as_of=later), 3)
    assert account.stored("A1") == {
        "stock_id": {"S": "A1"},
        "stock_level": {"N": "4"},
        "as_of": {"S": "2024-05-01T12:00:00.000000Z"},
        "reorder_point": {"N": "6"},
        "reorder_point_as_of": {"S": "2024-05-01T12:00:00.000000Z"},
        "low_stock_alerts": {"BOOL": False},
        "low_stock_alerts_as_of": {"S": "2024-05-01T12:01:00.000000Z"},
        "default_reorder_point": {"N": "3"},
    }


def test_a_reorder_point_set_back_to_the_default_is_removed_and_its_time_kept(repository, account):
    repository.apply(StockUpdate("A1", reorder_point=6, as_of=NOON), DEFAULT)
    later = NOON + timedelta(seconds=1)
    repository.apply(StockUpdate("A1", reorder_point=None, as_of=later), DEFAULT)
    stored = account.stored("A1")
    assert "reorder_point" not in stored
    assert stored["reorder_point_as_of"] == {"S": "2024-05-01T12:00:01.000000Z"}


def test_a_newer_update_reports_the_item_it_replaced(repository):
    repository.apply(level("A1", 4, NOON), DEFAULT)
    outcome = repository.apply(level("A1", 1, NOON + timedelta(microseconds=1)), DEFAULT)
    assert outcome == applied(LEVEL, previous=stored_level("A1", 4, NOON))
    assert repository.get("A1") == stored_level("A1", 1, NOON + timedelta(microseconds=1))


@pytest.mark.parametrize("age", [timedelta(0), timedelta(hours=1)])
def test_an_older_or_equal_update_is_stale_and_changes_nothing(repository, age):
    repository.apply(level("A1", 4, NOON), DEFAULT)
    outcome = repository.apply(level("A1", 9, NOON - age), DEFAULT + 1)
    assert outcome == applied(stale=[LEVEL], previous=stored_level("A1", 4, NOON))
    assert repository.get("A1") == stored_level("A1", 4, NOON)


def test_get_of_an_unknown_item_is_none(repository):
    assert repository.get("nothing-here") is None


def test_other_aws_errors_propagate(account):
    repository = DynamoDbStockRepository(account.dynamodb, "no-such-table")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        repository.apply(level("A1", 4, NOON), DEFAULT)


def test_an_update_that_crosses_no_stored_version_is_one_write(repository, account, mocker):
    update_item = mocker.spy(account.dynamodb, "update_item")
    repository.apply(StockUpdate("A1", level=4, reorder_point=2, low_stock_alerts=True, as_of=NOON), DEFAULT)
    repository.apply(StockUpdate("A1", level=3, as_of=NOON + timedelta(seconds=1)), DEFAULT)
    assert update_item.call_count == 2


def test_an_update_with_a_stale_field_is_written_again_without_it(repository, account, mocker):
    repository.apply(StockUpdate("A1", reorder_point=2, as_of=NOON), DEFAULT)
    update_item = mocker.spy(account.dynamodb, "update_item")
    outcome = repository.apply(StockUpdate("A1", level=4, reorder_point=5, as_of=NOON), DEFAULT)
    assert outcome.applied == {LEVEL}
    assert outcome.stale == {REORDER_POINT}
    assert update_item.call_count == 2
    assert "reorder_point_as_of" not in update_item.call_args.kwargs["UpdateExpression"]


def test_a_writer_that_makes_one_more_field_stale_before_each_try_costs_at_most_one_try_per_field(
    repository, account, mocker
):
    """Between tries another writer stores a newer version of a field the update still holds: each try finds one
    more stale, and the update gives up once none is left, with the item the last try was checked against."""
    later = NOON + timedelta(hours=1)
    real_update_item = account.dynamodb.update_item
    others = iter(
        [
            StockUpdate("A1", level=9, as_of=later),
            StockUpdate("A1", reorder_point=9, as_of=later),
            StockUpdate("A1", low_stock_alerts=False, as_of=later),
        ]
    )
    tries = []

    def another_writer_first(**request):
        if request["ExpressionAttributeValues"][":as_of"]["S"].startswith("2024-05-01T13"):  # the other writer's
            return real_update_item(**request)
        tries.append(request)
        repository.apply(next(others), DEFAULT)
        return real_update_item(**request)

    mocker.patch.object(account.dynamodb, "update_item", side_effect=another_writer_first)
    outcome = repository.apply(StockUpdate("A1", level=1, reorder_point=1, low_stock_alerts=True, as_of=NOON), 5)
    assert len(tries) == 3
    assert outcome == ApplyOutcome(frozenset(), frozenset(Field), repository.get("A1"))
    assert repository.get("A1") == StockItem(
        "A1",
        level=Versioned(9, later),
        reorder_point=Versioned(9, later),
        low_stock_alerts=Versioned(False, later),
        default_reorder_point=DEFAULT,
    )


def test_applying_many_at_once_applies_each_as_a_single_apply_would(account):
    repository = DynamoDbStockRepository(account.dynamodb, account.table_name, concurrency=8)
    repository.apply(level("B0", 9, NOON + timedelta(hours=1)), DEFAULT)
    updates = [level(f"B{i}", i, NOON) for i in range(40)]
    outcomes = repository.apply_all(updates, DEFAULT)
    assert [outcome.saved for outcome in outcomes] == [False] + [True] * 39
    assert repository.get("B0") == stored_level("B0", 9, NOON + timedelta(hours=1))
    assert repository.get("B39") == stored_level("B39", 39, NOON)


def test_a_failed_apply_among_many_is_raised_after_the_others_are_done(account, mocker):
    repository = DynamoDbStockRepository(account.dynamodb, account.table_name, concurrency=4)
    real_apply = repository.apply

    def failing_for_b3(update, default_reorder_point):
        if update.stock_id == "B3":
            raise ConnectionError("network down")
        return real_apply(update, default_reorder_point)

    mocker.patch.object(repository, "apply", side_effect=failing_for_b3)
    with pytest.raises(ConnectionError):
        repository.apply_all([level(f"B{i}", i, NOON) for i in range(8)], DEFAULT)
    assert [repository.get(f"B{i}") is not None for i in range(8)] == [True] * 3 + [False] + [True] * 4


def test_a_newer_update_of_the_same_level_reports_the_previous_item(repository):
    # Found by the reliability suite: with ReturnValues=UPDATED_OLD an unchanged level was not returned.
    repository.apply(level("A1", 4, NOON), DEFAULT)
    outcome = repository.apply(level("A1", 4, NOON + timedelta(seconds=1)), DEFAULT)
    assert outcome == applied(LEVEL, previous=stored_level("A1", 4, NOON))


class ApplyRecorder:
    """Stands in for one apply: records the threads that ran applies and the most applies in flight at once."""

    def __init__(self, pause, meet=1):
        self.pause = pause
        self.meet = meet  # applies that must be in flight together before any ends: a slow machine cannot hide overlap
        self.threads = set()
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Condition()

    def __call__(self, update, default_reorder_point):
        with self.lock:
            self.threads.add(threading.current_thread())
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.lock.notify_all()
            self.lock.wait_for(lambda: self.most_in_flight >= self.meet, timeout=10)
        time.sleep(self.pause)
        with self.lock:
            self.in_flight -= 1
        return applied(LEVEL)


@pytest.mark.parametrize(("concurrency", "count"), [(None, 3), (8, 1)])  # None: the default
def test_applies_with_nothing_to_overlap_run_one_by_one_on_the_callers_thread(account, mocker, concurrency, count):
    options = {} if concurrency is None else {"concurrency": concurrency}
    repository = DynamoDbStockRepository(account.dynamodb, account.table_name, **options)
    recorder = ApplyRecorder(pause=0)
    mocker.patch.object(repository, "apply", side_effect=recorder)
    repository.apply_all([level(f"B{i}", i, NOON) for i in range(count)], DEFAULT)
    assert recorder.threads == {threading.current_thread()}


@pytest.mark.parametrize("count", [2, 6])
def test_applies_overlap_up_to_the_concurrency_and_no_further(account, mocker, count):
    repository = DynamoDbStockRepository(account.dynamodb, account.table_name, concurrency=2)
    recorder = ApplyRecorder(pause=0.05, meet=2)
    mocker.patch.object(repository, "apply", side_effect=recorder)
    outcomes = repository.apply_all([level(f"B{i}", i, NOON) for i in range(count)], DEFAULT)
    assert outcomes == [applied(LEVEL)] * count
    assert recorder.most_in_flight == 2


def test_a_read_is_strongly_consistent_so_it_sees_every_write_before_it(repository, account, mocker):
    get_item = mocker.spy(account.dynamodb, "get_item")
    repository.get("A1")
    assert get_item.call_args.kwargs["ConsistentRead"] is True


def test_an_item_stored_before_items_had_settings_reads_as_its_level_alone(repository, account):
    account.dynamodb.put_item(
        TableName=account.table_name,
        Item={"stock_id": {"S": "A1"}, "stock_level": {"N": "4"}, "as_of": {"S": "2024-05-01T12:00:00.000000Z"}},
    )
    old_style = StockItem("A1", level=Versioned(4, NOON))
    assert repository.get("A1") == old_style
    outcome = repository.apply(StockUpdate("A1", reorder_point=2, as_of=NOON - timedelta(days=1)), 3)
    assert outcome == applied(REORDER_POINT, previous=old_style)
    assert repository.get("A1") == StockItem(
        "A1", level=Versioned(4, NOON), reorder_point=Versioned(2, NOON - timedelta(days=1)), default_reorder_point=3
    )


_ACROSS_THE_YEARS = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1000, 1, 1, tzinfo=UTC),
    NOON,
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


@pytest.mark.parametrize("as_of", _ACROSS_THE_YEARS)
def test_a_level_of_any_storable_year_is_read_back_as_saved(repository, as_of):
    repository.apply(level("A1", 4, as_of), DEFAULT)
    assert repository.get("A1") == stored_level("A1", 4, as_of)


@pytest.mark.parametrize(("earlier", "later"), list(itertools.pairwise(_ACROSS_THE_YEARS)))
def test_the_stored_condition_orders_times_across_years(repository, earlier, later):
    """The condition compares the stored strings: a year below 1000 written with three digits sorted after 2024."""
    repository.apply(level("A1", 1, earlier), DEFAULT)
    assert repository.apply(level("A1", 2, later), DEFAULT).saved
    assert not repository.apply(level("A1", 3, earlier), DEFAULT).saved
    assert repository.get("A1") == stored_level("A1", 2, later)


# A level stored by the code before fixed-width times: year 999 written with three digits, which sorts after every
# four-digit year as a string.
UNPADDED = "999-06-01T00:00:00.000000Z"
UNPADDED_TIME = datetime(999, 6, 1, tzinfo=UTC)


@pytest.fixture
def unpadded_item(account):
    account.dynamodb.put_item(
        TableName=account.table_name,
        Item={"stock_id": {"S": "Y1"}, "stock_level": {"N": "4"}, "as_of": {"S": UNPADDED}},
    )
    return StockItem("Y1", level=Versioned(4, UNPADDED_TIME))


def test_a_time_stored_with_an_unpadded_year_is_read_as_the_time_it_stands_for(repository, unpadded_item):
    assert repository.get("Y1") == unpadded_item


@pytest.mark.parametrize(
    ("as_of", "is_newer"),
    [
        (NOON, True),  # a four-digit year, which sorts before "999-" as a string
        (datetime(1000, 1, 1, tzinfo=UTC), True),
        (datetime(999, 6, 1, 0, 0, 1, tzinfo=UTC), True),  # the same year: compared in the stored form
        (UNPADDED_TIME, False),
        (datetime(999, 5, 31, tzinfo=UTC), False),
        (datetime(998, 12, 31, tzinfo=UTC), False),
        (datetime(99, 12, 31, tzinfo=UTC), False),  # fewer digits of year: older
    ],
)
def test_an_update_of_a_level_stored_with_an_unpadded_year_is_ordered_by_the_time_it_stands_for(
    repository, unpadded_item, as_of, is_newer
):
    outcome = repository.apply(level("Y1", 7, as_of), DEFAULT)
    assert outcome == ApplyOutcome(
        frozenset({LEVEL}) if is_newer else frozenset(), frozenset() if is_newer else frozenset({LEVEL}), unpadded_item
    )
    assert repository.get("Y1") == (stored_level("Y1", 7, as_of) if is_newer else unpadded_item)


@pytest.mark.parametrize(
    ("as_of", "is_newer"),
    [
        (datetime(50, 1, 1, tzinfo=UTC), True),  # more digits of year, though "5-" sorts after "50" as a string
        (datetime(5, 1, 1, 0, 0, 1, tzinfo=UTC), True),
        (datetime(4, 12, 31, tzinfo=UTC), False),
    ],
)
def test_a_level_stored_in_a_one_digit_year_is_ordered_by_the_time_it_stands_for(repository, account, as_of, is_newer):
    account.dynamodb.put_item(
        TableName=account.table_name,
        Item={"stock_id": {"S": "Y5"}, "stock_level": {"N": "4"}, "as_of": {"S": "5-01-01T00:00:00.000000Z"}},
    )
    assert repository.apply(level("Y5", 7, as_of), DEFAULT).saved is is_newer
