"""The benchmarks' arithmetic on counted requests, on hand-made counts, and the prices the published page cites:
no stack is started, so these run in `make check`."""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks import alert_fan_out, prices
from benchmarks.alert_fan_out import DELETE, DELIVERY, MARK, RECEIVE, RECEIVES_WITH_ALERTS, WEBHOOK_INVOCATIONS
from benchmarks.end_to_end import BATCH, CLAIM, PUBLISH, Run
from tests.benchmark_page import PAGE, assert_costs_follow_the_counts, names_each_api_path_by_its_kind, table

SECRET_READ = "secretsmanager:GetSecretValue"
# The arithmetic below takes its prices from the code; the prices themselves are checked against their sources.
WRITE, SQS, LAMBDA, SNS = (
    price.usd_per_million
    for price in (prices.DYNAMODB_WRITE, prices.SQS_REQUEST, prices.LAMBDA_REQUEST, prices.SNS_PUBLISH)
)
DELIVERY_PRICE, SECRET = prices.SNS_TO_SQS_DELIVERY.usd_per_million, prices.SECRETS_MANAGER_REQUEST.usd_per_million

# Each list price as its source page gives it for us-east-1 (2025), typed here from that page, not from the code:
# a price changed in benchmarks/prices.py fails here until this line, and the page that cites it, agree.
LIST_PRICES = {
    "DYNAMODB_WRITE": (0.625, "https://aws.amazon.com/dynamodb/pricing/on-demand/"),  # per million write units
    "SQS_REQUEST": (0.40, "https://aws.amazon.com/sqs/pricing/"),  # standard queue, per million requests
    "LAMBDA_REQUEST": (0.20, "https://aws.amazon.com/lambda/pricing/"),  # per 1M requests
    "SNS_PUBLISH": (0.50, "https://aws.amazon.com/sns/pricing/"),  # per 1 million requests
    "SNS_TO_SQS_DELIVERY": (0.0, "https://aws.amazon.com/sns/pricing/"),  # deliveries to SQS queues are free
    "API_REQUEST": (3.50, "https://aws.amazon.com/api-gateway/pricing/"),  # REST APIs, first 333 million
    "HTTP_API_REQUEST": (1.00, "https://aws.amazon.com/api-gateway/pricing/"),  # HTTP APIs, first 300 million
    "SECRETS_MANAGER_REQUEST": (5.00, "https://aws.amazon.com/secrets-manager/pricing/"),  # 0.05 per 10,000 calls
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
                "dynamodb:UpdateItem": 2080,
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
        batch_bytes=300_000,
    )
    assert prices.billed_batch_requests(run) == 5
    for price in (prices.API_REQUEST, prices.HTTP_API_REQUEST):
        assert prices.cost_per_million(run, through_api=True, api_price=price) == pytest.approx(
            {
                "DynamoDB": (2080 + 80) * WRITE / 2000,
                "SQS": (5 + 9 + 2) * SQS / 2000,
                "Lambda requests": 26 * LAMBDA / 2000,
                "SNS": 80 * SNS / 2000,
                "API Gateway": price.usd_per_million,  # one API request per update
            }
        )
    original = prices.cost_per_million(run, original=True, left_out_functions=("notifier",))
    # No record of alerts (their claim and mark left out), a Publish per update at or below the threshold.
    assert (original["DynamoDB"], original["Lambda requests"], original["SNS"]) == pytest.approx(
        ((2080 + 80 - 2 * 80) * WRITE / 2000, 20 * LAMBDA / 2000, 95 * SNS / 2000)
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
                MARK: 20,
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
    )


def test_before_the_change_is_what_the_stream_function_made_alone():
    # Typed from the run's story, not from `before`'s definition: a Publish per alert, a claim and a sent mark
    # per channel, the secret reads; nothing of the webhook queue's path, no free read, no empty long poll.
    assert alert_fan_out.before(hand_made_alert_run()) == {
        PUBLISH: 10,
        CLAIM: 20,
        MARK: 20,
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
        MARK: 20,
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
    assert before == pytest.approx((10 * SNS + 40 * WRITE + 2 * SECRET) / 10)
    assert after - before == pytest.approx((10 * DELIVERY_PRICE + 3 * SQS + 3 * SQS + 3 * LAMBDA) / 10)
