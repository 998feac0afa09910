import json
from types import SimpleNamespace

import pytest

from handlers import http_api, low_stock_notifier, queue_import, sent_alerts, time_budget
from handlers.settings import Channel, FunctionLimits
from handlers.time_budget import (
    OutOfTime,
    attempt_timeouts,
    ensure_time_for,
    refuse_attempts_that_cannot_finish,
    start_invocation,
)
from harness.lambda_events import api_event, sqs_event, stream_event
from tests.handlers.lambda_context import Context


def test_without_a_context_there_is_no_limit():
    assert start_invocation(None).allows_another()


def test_work_stops_when_less_than_the_margin_is_left():
    assert start_invocation(Context(5_000)).allows_another()
    assert not start_invocation(Context(900)).allows_another()


@pytest.fixture
def handler(import_settings, clients):
    return queue_import.build(import_settings, clients)


def test_messages_not_started_for_lack_of_time_are_reported_for_retry(deployed, handler):
    response = handler(sqs_event("A1;1", "A2;2"), Context(500))
    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}]}
    assert deployed.stored("A1") is None


def test_with_time_enough_every_message_is_applied(deployed, handler):
    assert handler(sqs_event("A1;1", "A2;2"), Context(60_000)) == {"batchItemFailures": []}
    assert deployed.stored("A2")["stock_level"] == {"N": "2"}


def test_an_attempt_that_might_outlast_the_invocation_is_not_started():
    before_send = refuse_attempts_that_cannot_finish(attempt_seconds=7)
    start_invocation(Context(9_000))  # 7 s attempt + 1 s margin fits
    before_send()
    start_invocation(Context(7_500))
    with pytest.raises(OutOfTime, match="one attempt may take 7 s"):
        before_send()
    start_invocation(None)  # no invocation: nothing to outlast
    before_send()


def test_an_api_write_without_time_for_one_attempt_answers_503_at_once(deployed, api_settings, clients, caplog):
    response = http_api.build(api_settings, clients)(api_event("PUT", "/stocks/A1", {"stock_level": 4}), Context(4_000))
    assert response["statusCode"] == 503
    assert json.loads(response["body"]) == {"message": "the stock store is unavailable; retry later"}
    # asyncio's records are another test's garbage (a future whose error no one read), collected now.
    [failure] = [record for record in caplog.records if record.exc_info and record.name != "asyncio"]
    assert failure.exc_info[0] is OutOfTime  # refused before any request, not after a time-out
    assert deployed.stored("A1") is None


def test_the_notifier_stops_before_its_time_runs_out_at_the_first_record_not_done(deployed, notifier_settings, clients):
    response = low_stock_notifier.build(notifier_settings, clients)(
        stream_event(("A1", 9, 1), ("A2", 9, 0)), Context(900)
    )
    assert response == {"batchItemFailures": [{"itemIdentifier": "100"}]}
    assert deployed.drain(deployed.alert_inbox_url) == []


@pytest.mark.parametrize("function_timeout", [3, 5, 10, 30, 300, 900])
def test_two_attempts_fit_in_the_functions_time_out_and_none_exceeds_2_plus_5_seconds(function_timeout):
    connect, read = attempt_timeouts(function_timeout)
    assert 0 < connect <= 2
    assert 0 < read <= 5
    assert 2 * (connect + read) + 1 <= function_timeout


def test_after_a_timed_out_attempt_a_retry_still_fits_in_the_api_functions_time_out():
    connect, read = attempt_timeouts(10)  # before: 2 s + 5 s per attempt, four attempts, past 10 s
    assert connect + read <= 4.5


def test_without_a_known_time_out_attempts_keep_the_longest_time_outs():
    assert attempt_timeouts(None) == (2, 5)


def test_a_sent_alert_is_recorded_even_when_time_is_short(clients):
    """Refusing the record of a publish SNS accepted would only make the alert go out again on the retry."""
    record = sent_alerts.sent_alerts(Channel.SNS, "sent-alerts", FunctionLimits(), clients.dynamodb)
    assert record.claim("change-1")
    start_invocation(Context(2_000))  # less than one attempt: new work is refused...
    with pytest.raises(OutOfTime):
        record.claim("change-2")
    record.mark_sent("change-1")  # ...but the sent mark goes through
    start_invocation(None)
    assert record.claim("change-1") is False


@pytest.fixture
def clock(mocker):
    """The monotonic clock the time budget reads, at 100 s until a test moves it."""
    now = [100.0]
    mocker.patch.object(time_budget, "time", SimpleNamespace(monotonic=lambda: now[0]))
    return now


def test_an_attempt_that_would_end_exactly_with_the_margin_is_started(clock):
    start_invocation(Context(10_000))  # ends at 110 s
    ensure_time_for(9.0)  # 100 + 9 + 1 = 110: it fits
    clock[0] = 100.001
    with pytest.raises(OutOfTime):
        ensure_time_for(9.0)


@pytest.mark.parametrize(("now", "left"), [(109.6, "0.4 s"), (111.0, "0.0 s")])
def test_an_attempt_refused_says_how_much_time_was_left(clock, now, left):
    start_invocation(Context(10_000))
    clock[0] = now
    with pytest.raises(OutOfTime) as refused:
        ensure_time_for(7.0)
    assert str(refused.value) == f"{left} left in the invocation, and one attempt may take 7.0 s"


def test_new_work_needs_one_second_left_before_any_is_done_then_one_and_a_half_times_the_longest(clock):
    budget = start_invocation(Context(1_200))  # ends at 101.2 s
    assert budget.allows_another()  # 1 s margin, not more: nothing has been done yet
    clock[0] = 100.2
    assert not budget.allows_another()  # 100.2 + 1 reaches the end: not before it
    budget = start_invocation(Context(10_000))  # ends at 110.2 s
    clock[0] = 102.2
    budget.finished_one()  # the first piece took 2 s: the margin is 3 s
    clock[0] = 107.1
    assert budget.allows_another()
    clock[0] = 107.2
    assert not budget.allows_another()


@pytest.mark.parametrize(
    ("function_timeout", "timeouts"), [(1, (0.025, 0.075)), (10, (1.125, 3.375)), (16, (1.875, 5.0)), (900, (2, 5))]
)
def test_an_attempt_is_half_of_the_time_out_less_the_margin_a_quarter_of_it_to_connect(function_timeout, timeouts):
    assert attempt_timeouts(function_timeout) == pytest.approx(timeouts)
