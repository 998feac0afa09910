"""The benchmarks' arithmetic on counted requests, on hand-made counts, and the prices the published page cites:
no stack is started, so these run in `make check`."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import cast

import pytest

from benchmarks import alert_fan_out, low_items_list, prices, report
from benchmarks.alert_fan_out import DELETE, DELIVERY, MARK, RECEIVE, RECEIVES_WITH_ALERTS, WEBHOOK_INVOCATIONS
from benchmarks.checks import BenchmarkFailed
from benchmarks.end_to_end import (
    BATCH,
    CLAIM,
    INVOCATIONS,
    LIST_MARK,
    PUBLISH,
    SENT_MARK,
    UPDATE,
    Run,
    counted_per_update,
    per_crossing,
    per_crossing_before,
    table_column,
)
from benchmarks.low_items_list import BATCH_GET, GENERATE_MAC, QUERY, VERIFY_MAC, ListRun
from tests.benchmark_page import (
    PAGE,
    assert_costs_follow_the_counts,
    assert_crossing_costs_follow_the_table,
    assert_page_cost_follows_the_table,
    names_each_api_path_by_its_kind,
    prose,
    table,
)

SECRET_READ = "secretsmanager:GetSecretValue"
# The arithmetic below takes its prices from the code; the prices themselves are checked against their sources.
WRITE, SQS, LAMBDA, SNS = (
    price.usd_per_million
    for price in (prices.DYNAMODB_WRITE, prices.SQS_REQUEST, prices.LAMBDA_REQUEST, prices.SNS_PUBLISH)
)
DELIVERY_PRICE, SECRET = prices.SNS_TO_SQS_DELIVERY.usd_per_million, prices.SECRETS_MANAGER_REQUEST.usd_per_million
READ, KMS, HTTP_API = (
    price.usd_per_million for price in (prices.DYNAMODB_READ, prices.KMS_REQUEST, prices.HTTP_API_REQUEST)
)

# Each list price as its source page gives it for us-east-1 (2025), typed here from that page, not from the code:
# a price changed in benchmarks/prices.py fails here until this line, and the page that cites it, agree.
LIST_PRICES = {
    "DYNAMODB_WRITE": (0.625, "https://aws.amazon.com/dynamodb/pricing/on-demand/"),  # per million write units
    "DYNAMODB_READ": (0.125, "https://aws.amazon.com/dynamodb/pricing/on-demand/"),  # per million read units
    "SQS_REQUEST": (0.40, "https://aws.amazon.com/sqs/pricing/"),  # standard queue, per million requests
    "LAMBDA_REQUEST": (0.20, "https://aws.amazon.com/lambda/pricing/"),  # per 1M requests
    "SNS_PUBLISH": (0.50, "https://aws.amazon.com/sns/pricing/"),  # per 1 million requests
    "SNS_TO_SQS_DELIVERY": (0.0, "https://aws.amazon.com/sns/pricing/"),  # deliveries to SQS queues are free
    "API_REQUEST": (3.50, "https://aws.amazon.com/api-gateway/pricing/"),  # REST APIs, first 333 million
    "HTTP_API_REQUEST": (1.00, "https://aws.amazon.com/api-gateway/pricing/"),  # HTTP APIs, first 300 million
    "SECRETS_MANAGER_REQUEST": (5.00, "https://aws.amazon.com/secrets-manager/pricing/"),  # 0.05 per 10,000 calls
    "KMS_REQUEST": (3.00, "https://aws.amazon.com/kms/pricing/"),  # 0.03 per 10,000 requests
}


def test_each_price_is_the_list_price_its_source_gives():
    assert {name: (getattr(prices, name).usd_per_million, getattr(prices, name).source) for name in LIST_PRICES} == (
        LIST_PRICES
    )
    assert set(prices.ALL) == {getattr(prices, name) for name in LIST_PRICES}
    assert prices.API_PRICES == {"rest": prices.API_REQUEST, "http": prices.HTTP_API_REQUEST}


def test_each_price_is_the_figure_and_source_the_published_page_cites():
    _, cited = table(PAGE.read_text(), "| price | USD per million | source |")
    assert {item: (float(figure), source) for item, (figure, source) in cited.items()} == {
        price.item: (price.usd_per_million, price.source) for price in prices.ALL
    }


def test_the_published_costs_are_its_counted_requests_at_these_prices():
    page = PAGE.read_text()
    if not names_each_api_path_by_its_kind(page):
        pytest.skip(
            "docs/PERFORMANCE.md predates the API path's columns named by kind: the next `make bench` writes them"
        )
    assert_costs_follow_the_counts(page)


def test_a_runs_cost_is_each_counted_request_at_its_list_price():
    run = Run(
        "hand-made",
        updates=2000,
        seconds=1.0,
        requests=Counter(
            {
                "dynamodb:UpdateItem": 2160,  # 2,000 updates, 80 sent marks, 80 list marks
                CLAIM: 80,
                PUBLISH: 80,
                BATCH: 2,  # 300,000 bytes: five 64 KB chunks, billed as five requests
                "sqs:ReceiveMessage": 9,
                "sqs:DeleteMessageBatch": 2,
                "dynamodb:GetRecords": 40,  # free
            }
        ),
        invocations={"import": 20, "notifier": 6},
        alerts_due=80,
        alerts_due_original_rule=95,
        listed=80,
        batch_bytes=300_000,
    )
    assert prices.billed_batch_requests(run) == 5
    for price in (prices.API_REQUEST, prices.HTTP_API_REQUEST):
        assert prices.cost_per_million(run, through_api=True, api_price=price) == pytest.approx(
            {
                "DynamoDB": (2160 + 80) * WRITE / 2000,
                "SQS": (5 + 9 + 2) * SQS / 2000,
                "Lambda requests": 26 * LAMBDA / 2000,
                "SNS": 80 * SNS / 2000,
                "API Gateway": price.usd_per_million,  # one API request per update
            }
        )
    original = prices.cost_per_million(run, original=True, left_out_functions=("notifier",))
    # No record of alerts (their claim and mark left out), no list (its marks left out), a Publish per update of a
    # level at or below the threshold.
    assert (original["DynamoDB"], original["Lambda requests"], original["SNS"]) == pytest.approx(
        ((2160 + 80 - 2 * 80 - 80) * WRITE / 2000, 20 * LAMBDA / 2000, 95 * SNS / 2000)
    )


def hand_made_alert_run() -> alert_fan_out.AlertRun:
    """10 alerts on both channels, posted in 3 batches of the webhook's queue, with what is not per alert."""
    return alert_fan_out.AlertRun(
        alerts=10,
        seconds=1.0,
        counted_seconds=2.0,
        requests=Counter(
            {
                PUBLISH: 10,
                CLAIM: 20,
                MARK: 30,  # a sent mark per alert on each channel, and a list mark per item
                SECRET_READ: 2,
                RECEIVE: 7,  # 3 returned alerts, 4 were empty long polls
                DELETE: 3,
                "dynamodb:GetRecords": 5,
                "dynamodb:GetShardIterator": 1,
            }
        ),
        delivered=10,
        stream_invocations=2,
        webhook_invocations=3,
        webhook_batch_size=10,
        listed=10,
    )


def test_before_the_change_is_what_the_stream_function_made_alone():
    # Typed from the run's story, not from `before`'s definition: a Publish per alert, a claim and a sent mark
    # per channel, the list marks (the list's, in both columns), the secret reads; nothing of the webhook queue's
    # path, no free read, no empty long poll.
    assert alert_fan_out.before(hand_made_alert_run()) == {
        PUBLISH: 10,
        CLAIM: 20,
        MARK: 30,
        SECRET_READ: 2,
        DELIVERY: 0,
        RECEIVES_WITH_ALERTS: 0,
        DELETE: 0,
        WEBHOOK_INVOCATIONS: 0,
    }


def test_after_the_change_adds_the_queues_path_once_per_alert_or_per_batch():
    assert alert_fan_out.after(hand_made_alert_run()) == {
        PUBLISH: 10,
        CLAIM: 20,
        MARK: 30,
        SECRET_READ: 2,
        DELIVERY: 10,
        RECEIVES_WITH_ALERTS: 3,
        DELETE: 3,
        WEBHOOK_INVOCATIONS: 3,
    }


def test_the_cost_per_alert_before_and_after_is_each_request_at_its_list_price():
    run = hand_made_alert_run()
    before = alert_fan_out.usd_per_million_alerts(alert_fan_out.before(run), run.alerts)
    after = alert_fan_out.usd_per_million_alerts(alert_fan_out.after(run), run.alerts)
    assert before == pytest.approx((10 * SNS + 50 * WRITE + 2 * SECRET) / 10)
    assert after - before == pytest.approx((10 * DELIVERY_PRICE + 3 * SQS + 3 * SQS + 3 * LAMBDA) / 10)


def hand_made_queue_run(unaccounted: int = 0, crossings: int = 50) -> Run:
    """1,000 updates through the queue, `crossings` of them crossings (each a Publish, a claim, a sent mark and its
    item listed); the loader's batch and its queue's requests, 11 invocations, free stream reads; and `unaccounted`
    UpdateItems more than those."""
    return Run(
        "hand-made",
        updates=1000,
        seconds=1.0,
        requests=Counter(
            {
                UPDATE: 1000 + 2 * crossings + unaccounted,
                CLAIM: crossings,
                PUBLISH: crossings,
                BATCH: 1,
                "sqs:GetQueueAttributes": 1,
                "sqs:ReceiveMessage": 3,
                "sqs:DeleteMessageBatch": 1,
                "dynamodb:GetRecords": 30,  # free
            }
        ),
        invocations={"import": 1, "notifier": 10},
        alerts_due=crossings,
        alerts_due_original_rule=40,
        listed=crossings,
    )


def test_an_update_that_crosses_nothing_is_counted_without_what_the_crossings_make():
    # Typed from the run's story: 1,000 writes, 6 requests of the queue's path, 11 invocations, per 1,000 updates.
    assert counted_per_update(table_column(hand_made_queue_run())) == pytest.approx(1.017)
    assert counted_per_update(table_column(hand_made_queue_run(crossings=0))) == pytest.approx(1.017)


def test_an_update_item_that_is_no_crossings_counts_against_the_updates():
    run = hand_made_queue_run(unaccounted=40)
    assert run.unaccounted_updates == 40
    assert counted_per_update(table_column(run)) == pytest.approx(1.057)


def _crossings_section(run: Run) -> str:
    return prose("\n".join(report._crossings(cast(report.Results, SimpleNamespace(ours=run)))))


def test_the_verdict_on_requests_per_update_is_computed_from_the_run():
    assert "**1.017** requests per update on the queue path (target at most 1.05: met, section 3)" in (
        _crossings_section(hand_made_queue_run())
    )
    assert "**1.057** requests per update on the queue path (target at most 1.05: NOT met, section 3)" in (
        _crossings_section(hand_made_queue_run(unaccounted=40))
    )


def test_a_crossing_costs_its_alert_and_now_its_list_mark():
    run = hand_made_queue_run()
    assert per_crossing(run) == {PUBLISH: 1.0, CLAIM: 1.0, SENT_MARK: 1.0, LIST_MARK: 1.0}
    assert per_crossing_before(run) == {PUBLISH: 1.0, CLAIM: 1.0, SENT_MARK: 1.0, LIST_MARK: 0.0}
    # now: the claim and the list mark each write an index entry too
    assert prices.usd_per_million_crossings(per_crossing(run)) == pytest.approx(SNS + 5 * WRITE)
    before = per_crossing_before(run)
    assert prices.usd_per_million_crossings(before, prices.INDEX_WRITES_BEFORE) == pytest.approx(SNS + 2 * WRITE)


def test_an_update_item_that_is_no_updates_counts_against_the_crossings():
    # 10 UpdateItems more than one per update and two per crossing: charged to the list marks of the 50 crossings.
    assert per_crossing(hand_made_queue_run(unaccounted=10))[LIST_MARK] == pytest.approx(1.2)


def test_a_run_without_a_crossing_has_no_cost_per_crossing():
    with pytest.raises(BenchmarkFailed, match="no crossing"):
        per_crossing(hand_made_queue_run(crossings=0))


def test_the_crossings_section_shows_before_and_now_at_list_prices():
    section = "\n".join(report._crossings(cast(report.Results, SimpleNamespace(ours=hand_made_queue_run()))))
    assert_crossing_costs_follow_the_table(section)
    _, rows = table(section, "| request | made by | USD per million, before | USD per million, now |")
    assert [float(rows[report.COST_PER_CROSSING_ROW][column]) for column in (3, 4)] == pytest.approx(
        [SNS + 2 * WRITE, SNS + 5 * WRITE], abs=0.0005
    )


def hand_made_list_run(largest_entry_bytes: int = 33) -> ListRun:
    """250 low items walked twice, 3 pages a walk (100, 100 and 50 items): 20 Queries in all, a BatchGetItem a page,
    a GenerateMac for each of the 4 cursors given and a VerifyMac for each sent back, an invocation a page."""
    return ListRun(
        items=250,
        limit=100,
        walks=2,
        pages=6,
        requests=Counter({QUERY: 20, BATCH_GET: 6, GENERATE_MAC: 4, VERIFY_MAC: 4}),
        invocations=6,
        page_seconds=[0.01, 0.02, 0.03, 0.04, 0.05, 0.06],
        largest_entry_bytes=largest_entry_bytes,
        largest_item_bytes=120,
    )


def test_a_page_of_the_list_costs_its_read_units_kms_requests_invocation_and_api_request():
    run = hand_made_list_run()
    assert run.per_page() == pytest.approx(
        {QUERY: 20 / 6, BATCH_GET: 1.0, GENERATE_MAC: 4 / 6, VERIFY_MAC: 4 / 6, INVOCATIONS: 1.0}
    )
    # Half a unit per Query (100 entries of 33 bytes: under 4 KB, eventually consistent), a unit per item read.
    assert run.read_units_per_page() == pytest.approx({QUERY: 10 / 6, BATCH_GET: 500 / 6})
    usd = run.usd_per_million_pages()
    assert usd == pytest.approx(
        {
            QUERY: 10 / 6 * READ,
            BATCH_GET: 500 / 6 * READ,
            GENERATE_MAC: 4 / 6 * KMS,
            VERIFY_MAC: 4 / 6 * KMS,
            INVOCATIONS: LAMBDA,
            low_items_list.API_REQUEST: HTTP_API,
        }
    )
    assert sum(usd.values()) == pytest.approx((10 + 500) / 6 * READ + 8 / 6 * KMS + LAMBDA + HTTP_API)
    assert run.median_page_ms == pytest.approx(35.0)


def test_a_query_that_may_read_over_4_kb_is_billed_for_what_it_may_read():
    # 100 entries of 50 bytes: 5,000 bytes, two 4 KB units, half a unit each.
    assert hand_made_list_run(largest_entry_bytes=50).read_units_per_page()[QUERY] == pytest.approx(20 / 6)


def test_the_list_section_totals_its_rows():
    section = "\n".join(report._low_list(cast(report.Results, SimpleNamespace(low_list=hand_made_list_run()))))
    assert_page_cost_follows_the_table(section)


def test_read_units_follow_dynamodbs_rounding():
    assert [prices.query_read_units(size) for size in (0, 4096, 4097, 8193)] == [0.5, 0.5, 1.0, 1.5]
    assert prices.batch_get_read_units([100, 4096, 5000]) == 4.0


def test_an_items_size_is_its_names_and_values_by_dynamodbs_rules():
    item: dict[str, dict[str, object]] = {
        "stock_id": {"S": "LOW000001"},  # 8 + 9
        "stock_level": {"N": "0"},  # 11 + 2: a byte per two significant digits, and one
        "default_reorder_point": {"N": "1000000000"},  # 21 + 2: trailing zeros are not significant
        "low_stock_alerts": {"BOOL": True},  # 16 + 1
        "as_of": {"S": "2024-05-01T12:00:00.000000Z"},  # 5 + 27
    }
    assert prices.item_bytes(item) == 17 + 13 + 23 + 17 + 32
    with pytest.raises(ValueError, match="type L"):
        prices.item_bytes({"tags": {"L": []}})


def test_the_published_page_gives_a_crossing_the_cost_its_rows_give():
    assert_crossing_costs_follow_the_table(PAGE.read_text())


def test_the_published_page_gives_a_page_of_the_list_the_cost_its_rows_give():
    assert_page_cost_follows_the_table(PAGE.read_text())
