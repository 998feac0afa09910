"""`make bench` is not part of `make test`: here every benchmark runs once at a tiny size, with the same checks
(alerts sent, no batch failures, nothing logged), and a handler that fails is shown to stop it."""

from __future__ import annotations

import re

import boto3
import pytest
from moto import mock_aws

from benchmarks import alert_fan_out, cold_start, handler_overhead
from benchmarks.__main__ import measure_all
from benchmarks.alert_fan_out import MARK
from benchmarks.checks import BenchmarkFailed
from benchmarks.end_to_end import CLAIM, LIST_MARK, LIST_MARKS, PUBLISH, SENT_MARK, per_crossing, per_crossing_before
from benchmarks.handler_overhead import FakeTopic
from benchmarks.import_rate import SPED_UP, TODAY, VIAS
from benchmarks.low_items_list import BATCH_GET, GENERATE_MAC, QUERY, VERIFY_MAC
from benchmarks.report import API_PATH, COST_PER_ALERT_ROW, COUNTED_ROW, REQUESTS_PER_ALERT_ROW, Results, render
from benchmarks.sizes import TINY, sizes_from
from handlers import low_stock_notifier, queue_import, webhook_alerts
from harness.lambda_events import sqs_event, stream_event
from harness.port_fakes import FakeLowStockList, FakeRejectedInputStore, FakeStockRepository
from tests.benchmark_page import (
    PAGE,
    assert_costs_follow_the_counts,
    assert_crossing_costs_follow_the_table,
    assert_page_cost_follows_the_table,
    names_each_api_path_by_its_kind,
    prose,
    table,
)

pytestmark = pytest.mark.local_stack  # starts local stacks and the embedded AWS: not in `make check`

SECRET_READ = "secretsmanager:GetSecretValue"


def mean_wait(waits):
    return f"{waits.seconds / waits.waited * 1000:.2f} ms" if waits.waited else "none waited"


@pytest.fixture(scope="module")
def tiny_run() -> Results:
    return measure_all(TINY)


def test_every_benchmark_runs_at_a_tiny_size_and_the_page_renders(tiny_run):
    page = render(tiny_run)
    assert re.findall(r"^## (\d+)\.", page, re.MULTILINE) == [str(n) for n in range(1, 16)]
    assert "## 11. The API path on each kind of API" in page
    assert "## 13. The list of low items: what a page costs" in page
    assert set(tiny_run.overhead) == set(handler_overhead.UNITS)
    assert set(tiny_run.drop_memory) == {f"{r}-{n}" for n in TINY.drop_file_lines for r in ("stream", "whole")}


def test_the_import_rate_is_measured_both_ways_in_on_both_paths_and_profiled(tiny_run):
    rates = tiny_run.import_rates
    assert rates.lines == TINY.rate_lines
    assert set(rates.rates) == {(via, path) for via in VIAS for path in (TODAY, SPED_UP)}
    assert all(len(runs) == TINY.rate_runs and min(runs) > 0 for runs in rates.rates.values())
    page = render(tiny_run)
    assert "## 14. The local import rate: today's path and the speed-ups" in page
    for via in VIAS:
        assert f"| {via} | {rates.median(via, TODAY):,.0f} | {rates.median(via, SPED_UP):,.0f} |" in page
        for path in (TODAY, SPED_UP):
            # Every line took one UpdateItem through the lock at least, and the lock's table shows the median run's.
            waits, seconds = rates.median_run_waits(via, path)
            assert waits.requests >= rates.lines
            assert 0 <= waits.waited <= waits.requests
            assert waits.seconds >= 0
            # The row is the median run's: its waits beside its own import time.
            start = f"| {via} | {path} | {waits.requests:,} |"
            row = next(line for line in page.splitlines() if line.startswith(start))
            assert row.endswith(f"| {waits.seconds:.1f} s | {mean_wait(waits)} | {seconds:.1f} s |")
    # Each path profiled: every sample in one area, the areas adding up to the whole.
    assert [profile.path for profile in tiny_run.import_profiles] == [TODAY, SPED_UP]
    for profile in tiny_run.import_profiles:
        assert profile.unavailable == ""
        assert profile.samples > 0
        assert sum(profile.areas.values()) == pytest.approx(1.0)
        assert f"`{profile.top[0][0]}`" in page


def test_each_end_to_end_run_published_the_alerts_its_updates_called_for(tiny_run):
    runs = (tiny_run.ours_large, tiny_run.ours, tiny_run.original, tiny_run.api, tiny_run.api_http)
    # Each kind of API measured through its own stack, every request timed and answered 200.
    assert (tiny_run.api.name, tiny_run.api_http.name) == ("API (ours, rest)", "API (ours, http)")
    assert len(tiny_run.api.request_seconds) == len(tiny_run.api_http.request_seconds) == TINY.api_updates
    assert all(run.alerts_due > 0 for run in runs)  # the tiny files do carry alerts
    assert [run.requests[PUBLISH] for run in runs] == [run.alerts_due for run in runs]
    # Each crossing left its item listed, once: the list holds the items low, by the domain's rule.
    assert [run.listed for run in runs] == [run.alerts_due for run in runs]


def test_each_crossing_of_the_queue_path_cost_its_alert_and_its_list_mark(tiny_run):
    assert per_crossing(tiny_run.ours) == {PUBLISH: 1.0, CLAIM: 1.0, SENT_MARK: 1.0, LIST_MARK: 1.0}
    assert per_crossing_before(tiny_run.ours)[LIST_MARK] == 0.0
    assert_crossing_costs_follow_the_table(render(tiny_run))


def test_the_list_was_paged_through_a_page_of_100_at_a_time_each_page_counted(tiny_run):
    run = tiny_run.low_list
    assert (run.items, run.limit, run.walks) == (TINY.low_items, 100, TINY.list_walks)
    assert run.pages == 2 * TINY.list_walks  # 120 items: a page of 100, then one of 20 reached by its cursor
    assert run.requests[GENERATE_MAC] == run.requests[VERIFY_MAC] == TINY.list_walks
    assert run.requests[BATCH_GET] == run.pages
    assert run.requests[QUERY] >= run.pages
    assert run.invocations == run.pages
    assert_page_cost_follows_the_table(render(tiny_run))


def test_the_alerts_run_published_each_alert_once_and_the_webhook_function_posted_it(tiny_run):
    run = tiny_run.alerts
    assert run.alerts == TINY.alerts
    assert run.requests[PUBLISH] == run.delivered == run.alerts
    assert 0 < run.webhook_invocations <= run.alerts


def test_before_the_change_is_what_the_stream_function_made_alone_in_this_run(tiny_run):
    """From the run's own counts and the alerts it wrote, not from `before`'s definition: any other request the
    run counted (one more of the queue's path, a free read, an empty poll) would show here."""
    run = tiny_run.alerts
    secret_reads = run.requests[SECRET_READ]
    assert secret_reads > 0  # the webhook's function read its URL
    assert run.listed == run.alerts
    stream_function_alone = {
        PUBLISH: run.alerts,
        CLAIM: 2 * run.alerts,
        MARK: 2 * run.alerts + run.listed,  # a sent mark per channel, and the list's mark of each item
        SECRET_READ: secret_reads,
    }
    assert alert_fan_out.before(run) == {**stream_function_alone, **dict.fromkeys(alert_fan_out.NEW_PATH, 0)}
    assert alert_fan_out.after(run) == {
        **stream_function_alone,
        alert_fan_out.DELIVERY: run.alerts,
        alert_fan_out.RECEIVES_WITH_ALERTS: run.webhook_invocations,
        alert_fan_out.DELETE: run.webhook_invocations,
        alert_fan_out.WEBHOOK_INVOCATIONS: run.webhook_invocations,
    }


def test_an_alert_request_the_benchmark_cannot_price_stops_it():
    with pytest.raises(BenchmarkFailed, match="no price for kms:Decrypt"):
        alert_fan_out.price_of("kms:Decrypt")


def test_the_cost_per_alert_on_the_page_is_what_its_table_gives(tiny_run):
    assert_cost_per_alert_follows_the_table(render(tiny_run))


def test_the_cost_table_is_each_kind_of_run_counted_at_list_prices(tiny_run):
    assert_costs_follow_the_counts(render(tiny_run))


def test_the_api_path_is_named_by_its_kind_of_api_and_the_verdict_by_what_decides_it(tiny_run):
    page = render(tiny_run)
    assert names_each_api_path_by_its_kind(page)
    _, costs = table(page, "| configuration |")
    assert {name for name in costs if name.startswith("API path")} == set(API_PATH.values())
    assert "decided by list prices applied to the requests each run counted, not by the run's timing" in prose(page)


def test_the_published_page_gives_the_cost_per_alert_its_table_gives():
    assert_cost_per_alert_follows_the_table(PAGE.read_text())


def assert_cost_per_alert_follows_the_table(page: str) -> None:
    """Recompute each column's requests and cost per alert from the table's own rows: each row's count per alert,
    times its price for the cost."""
    lines = page.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| request | made by | USD per million |"))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip().strip("*") for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells[2:]
    requests, cost = rows.pop(REQUESTS_PER_ALERT_ROW), rows.pop(COST_PER_ALERT_ROW)
    for column in (1, 2):  # before, after
        counts = [float(cells[column]) for cells in rows.values()]
        # Each count is shown to a thousandth, as the totals are.
        assert float(requests[column]) == pytest.approx(sum(counts), abs=0.0005 * (len(rows) + 1))
        priced = sum(float(cells[0]) * float(cells[column]) for cells in rows.values())
        highest = max(float(cells[0]) for cells in rows.values())
        assert float(cost[column]) == pytest.approx(priced, abs=0.0005 * (highest * len(rows) + 1))
    assert float(cost[2]) > float(cost[1])  # the queue's requests and the second function are not free


def test_no_message_of_the_original_was_left_for_retry(tiny_run):
    original = tiny_run.original
    assert original.requests["sqs:DeleteMessageBatch"] == original.updates  # one message per line, each deleted


def test_every_target_is_printed_met_or_not_beside_its_figure(tiny_run):
    page = render(tiny_run)
    for _, target, value in tiny_run.targets():
        assert f"{target.bound()}: {target.outcome(value)}" in page


def test_the_requests_per_update_on_the_page_are_what_its_table_gives(tiny_run):
    assert_counted_figures_follow_the_table(render(tiny_run))


def test_the_published_page_gives_the_requests_per_update_its_table_gives():
    assert_counted_figures_follow_the_table(PAGE.read_text())


def assert_counted_figures_follow_the_table(page: str) -> None:
    """Recompute each column's requests per update from the table's own rows, by the rule its `counted` column
    states: the rows marked yes, less one UpdateItem per Publish and one per item listed, per 1,000 updates."""
    lines = page.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| operation | counted |"))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip().strip("*") for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    published = rows.pop(COUNTED_ROW)
    for column, name in enumerate(header[2:], start=1):
        kept = sum(float(cells[column]) for cells in rows.values() if cells[0].startswith("yes"))
        recomputed = (kept - float(rows[PUBLISH][column]) - float(rows[LIST_MARKS][column])) / 1000
        # Each row is shown to a tenth per 1,000, the figure to a thousandth.
        assert float(published[column]) == pytest.approx(recomputed, abs=0.0005 + len(rows) * 0.00005), name
    prose = " ".join(page.split())
    stated = re.search(r"ours \*\*([\d.]+)\*\* \(.*?\); the original ([\d.]+), \*\*([\d.]+)x\*\* ours", prose)
    assert stated is not None
    ours, original, ratio = (float(figure) for figure in stated.groups())
    assert (ours, original) == (float(published[1]), float(published[2]))
    assert ratio == pytest.approx(original / ours, abs=0.051)  # the figures are rounded before the ratio is


def test_a_notifier_that_fails_stops_the_handler_overhead_benchmark(monkeypatch):
    # The mistake the published figure once hid: the notifier called with the wrong arguments.
    monkeypatch.setattr(low_stock_notifier, "react_to_item_change", lambda *args: args[99])
    with pytest.raises(BenchmarkFailed, match="handler overhead"):
        handler_overhead.measure(TINY)


def test_a_webhook_function_that_fails_stops_the_handler_overhead_benchmark(monkeypatch):
    def refused(*args):
        raise ConnectionError("chat unavailable")

    monkeypatch.setattr(webhook_alerts, "deliver_alert", refused)
    with pytest.raises(BenchmarkFailed, match="handler overhead: alert batch failures"):
        handler_overhead.measure(TINY)


def test_a_queue_batch_failure_stops_the_handler_overhead_benchmark(monkeypatch):
    def unavailable(*args):
        raise ConnectionError("table unavailable")

    monkeypatch.setattr(queue_import, "set_stock_levels", unavailable)
    with pytest.raises(BenchmarkFailed, match="handler overhead"):
        handler_overhead.measure(TINY)


def test_a_cold_start_that_fails_stops_the_benchmark_with_its_error(monkeypatch):
    monkeypatch.setitem(cold_start.FIRST_INVOCATION, "handlers.http_api", "import handlers.no_such_handler")
    with pytest.raises(BenchmarkFailed, match="ModuleNotFoundError"):
        cold_start.measure(runs=1)


def test_every_size_can_be_set_from_the_environment():
    sizes = sizes_from({"BENCH_SIZE": "tiny", "BENCH_LINES": "1_000", "BENCH_DROP_FILE_LINES": "0,10"})
    assert (sizes.lines, sizes.drop_file_lines, sizes.api_updates) == (1000, (0, 10), TINY.api_updates)


def test_the_powertools_import_function_applies_a_batch_as_ours_does(monkeypatch):
    from benchmarks.with_powertools import queue_import as with_powertools

    repository = FakeStockRepository()
    monkeypatch.setattr(with_powertools, "_repository", lambda: repository)
    monkeypatch.setattr(with_powertools, "_rejected_input_store", FakeRejectedInputStore)
    answer = with_powertools.handler(sqs_event("A1;4\nA2;0", "B1;7"), None)
    assert answer["batchItemFailures"] == []
    assert {stock_id: item.level and item.level.value for stock_id, item in repository.items.items()} == {
        "A1": 4,
        "A2": 0,
        "B1": 7,
    }


class _Context:
    """What Powertools' idempotency reads of the Lambda context: the time left."""

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def test_the_powertools_notifier_sends_each_alert_once_however_often_it_is_delivered(monkeypatch):
    monkeypatch.setenv("SENT_ALERTS_TABLE", "alerts-sent")
    monkeypatch.setenv("TOPIC_ARN", "arn:aws:sns:eu-west-3:123456789012:alerts")  # read with the table, not used
    monkeypatch.setenv("TABLE_NAME", "stock-levels")  # the list's, replaced below
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName="alerts-sent",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        from benchmarks.with_powertools import low_stock_notifier as with_powertools

        topic = FakeTopic()
        low_list = FakeLowStockList(FakeStockRepository())
        monkeypatch.setattr(with_powertools, "_topic", lambda: topic)
        monkeypatch.setattr(with_powertools, "_low_list", lambda: low_list)
        event = stream_event(("A1", 5, 1), ("A2", 5, 3), ("A3", None, 0))
        answers = [with_powertools.handler(event, _Context()) for _ in range(2)]
    assert [answer["batchItemFailures"] for answer in answers] == [[], []]
    assert sorted(alert.stock_id for _, alert in topic.sent) == ["A1", "A3"]
    assert low_list.writes == 2 * 2  # A1 and A3 listed, as ours lists them, on each delivery (their images unlisted)
    # Each named after its change, as ours: the channels' functions send it once by that name.
    assert sorted(alert_id for alert_id, _ in topic.sent) == sorted(
        record["eventID"] for record in event["Records"] if record["dynamodb"]["Keys"]["stock_id"]["S"] != "A2"
    )
