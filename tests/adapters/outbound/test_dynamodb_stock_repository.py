import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from adapters.outbound.dynamodb_stock_repository import DynamoDbStockRepository
from domain.ports import SaveOutcome
from domain.stock import StockLevel

NOON = datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.fixture
def repository(account):
    return DynamoDbStockRepository(account.dynamodb, account.table_name)


def test_first_save_is_applied_with_no_previous_level(repository, account):
    assert repository.save_if_newer(StockLevel("A1", 4, NOON)) == SaveOutcome(applied=True, previous=None)
    assert account.stored("A1") == {
        "stock_id": {"S": "A1"},
        "stock_level": {"N": "4"},
        "as_of": {"S": "2024-05-01T12:00:00.000000Z"},
    }


def test_a_newer_save_reports_the_level_it_replaced(repository):
    repository.save_if_newer(StockLevel("A1", 4, NOON))
    outcome = repository.save_if_newer(StockLevel("A1", 1, NOON + timedelta(microseconds=1)))
    assert outcome == SaveOutcome(applied=True, previous=StockLevel("A1", 4, NOON))
    assert repository.get("A1") == StockLevel("A1", 1, NOON + timedelta(microseconds=1))


@pytest.mark.parametrize("age", [timedelta(0), timedelta(hours=1)])
def test_an_older_or_equal_save_is_stale_and_changes_nothing(repository, age):
    repository.save_if_newer(StockLevel("A1", 4, NOON))
    outcome = repository.save_if_newer(StockLevel("A1", 9, NOON - age))
    assert outcome == SaveOutcome(applied=False, previous=StockLevel("A1", 4, NOON))
    assert repository.get("A1") == StockLevel("A1", 4, NOON)


def test_get_of_an_unknown_item_is_none(repository):
    assert repository.get("nothing-here") is None


def test_other_aws_errors_propagate(account):
    repository = DynamoDbStockRepository(account.dynamodb, "no-such-table")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        repository.save_if_newer(StockLevel("A1", 4, NOON))


def test_saving_many_at_once_applies_each_as_a_single_save_would(account):
    repository = DynamoDbStockRepository(account.dynamodb, account.table_name, concurrency=8)
    repository.save_if_newer(StockLevel("B0", 9, NOON + timedelta(hours=1)))
    levels = [StockLevel(f"B{i}", i, NOON) for i in range(40)]
    outcomes = repository.save_all_if_newer(levels)
    assert [outcome.applied for outcome in outcomes] == [False] + [True] * 39
    assert repository.get("B0") == StockLevel("B0", 9, NOON + timedelta(hours=1))
    assert repository.get("B39") == StockLevel("B39", 39, NOON)


def test_a_failed_save_among_many_is_raised_after_the_others_are_done(account, mocker):
    repository = DynamoDbStockRepository(account.dynamodb, account.table_name, concurrency=4)
    real_save = repository.save_if_newer

    def failing_for_b3(level):
        if level.stock_id == "B3":
            raise ConnectionError("network down")
        return real_save(level)

    mocker.patch.object(repository, "save_if_newer", side_effect=failing_for_b3)
    with pytest.raises(ConnectionError):
        repository.save_all_if_newer([StockLevel(f"B{i}", i, NOON) for i in range(8)])
    assert [repository.get(f"B{i}") is not None for i in range(8)] == [True] * 3 + [False] + [True] * 4


def test_a_newer_save_of_the_same_level_reports_the_previous_level(repository):
    # Found by the reliability suite: with ReturnValues=UPDATED_OLD an unchanged level was not returned.
    repository.save_if_newer(StockLevel("A1", 4, NOON))
    outcome = repository.save_if_newer(StockLevel("A1", 4, NOON + timedelta(seconds=1)))
    assert outcome == SaveOutcome(applied=True, previous=StockLevel("A1", 4, NOON))


class SaveRecorder:
    """Stands in for one save: records the threads that ran saves and the most saves in flight at once."""

    def __init__(self, pause, meet=1):
        self.pause = pause
        self.meet = meet  # saves that must be in flight together before any ends: a slow machine cannot hide overlap
        self.threads = set()
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Condition()

    def __call__(self, level):
        with self.lock:
            self.threads.add(threading.current_thread())
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.lock.notify_all()
            self.lock.wait_for(lambda: self.most_in_flight >= self.meet, timeout=10)
        time.sleep(self.pause)
        with self.lock:
            self.in_flight -= 1
        return SaveOutcome(applied=True, previous=None)


@pytest.mark.parametrize(("concurrency", "count"), [(None, 3), (8, 1)])  # None: the default
def test_saves_with_nothing_to_overlap_run_one_by_one_on_the_callers_thread(account, mocker, concurrency, count):
    options = {} if concurrency is None else {"concurrency": concurrency}
    repository = DynamoDbStockRepository(account.dynamodb, account.table_name, **options)
    recorder = SaveRecorder(pause=0)
    mocker.patch.object(repository, "save_if_newer", side_effect=recorder)
    repository.save_all_if_newer([StockLevel(f"B{i}", i, NOON) for i in range(count)])
    assert recorder.threads == {threading.current_thread()}


@pytest.mark.parametrize("count", [2, 6])
def test_saves_overlap_up_to_the_concurrency_and_no_further(account, mocker, count):
    repository = DynamoDbStockRepository(account.dynamodb, account.table_name, concurrency=2)
    recorder = SaveRecorder(pause=0.05, meet=2)
    mocker.patch.object(repository, "save_if_newer", side_effect=recorder)
    outcomes = repository.save_all_if_newer([StockLevel(f"B{i}", i, NOON) for i in range(count)])
    assert outcomes == [SaveOutcome(applied=True, previous=None)] * count
    assert recorder.most_in_flight == 2


def test_a_read_is_strongly_consistent_so_it_sees_every_write_before_it(repository, account, mocker):
    get_item = mocker.spy(account.dynamodb, "get_item")
    repository.get("A1")
    assert get_item.call_args.kwargs["ConsistentRead"] is True


_ACROSS_THE_YEARS = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1000, 1, 1, tzinfo=UTC),
    NOON,
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


@pytest.mark.parametrize("as_of", _ACROSS_THE_YEARS)
def test_a_level_of_any_storable_year_is_read_back_as_saved(repository, as_of):
    repository.save_if_newer(StockLevel("A1", 4, as_of))
    assert repository.get("A1") == StockLevel("A1", 4, as_of)


@pytest.mark.parametrize(("earlier", "later"), list(itertools.pairwise(_ACROSS_THE_YEARS)))
def test_the_stored_condition_orders_times_across_years(repository, earlier, later):
    """The condition compares the stored strings: a year below 1000 written with three digits sorted after 2024."""
    repository.save_if_newer(StockLevel("A1", 1, earlier))
    assert repository.save_if_newer(StockLevel("A1", 2, later)).applied
    assert not repository.save_if_newer(StockLevel("A1", 3, earlier)).applied
    assert repository.get("A1") == StockLevel("A1", 2, later)
