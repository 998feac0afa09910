"""Handlers run as Lambda runs them: configured by environment variables, against an emulated account."""

from __future__ import annotations

import pytest

from handlers import aws, bucket_import, http_api, low_stock_notifier, queue_import, sent_alerts, webhook_alerts
from handlers.time_budget import start_invocation

_CACHED = (
    aws._attempt_timeouts,
    aws._session,
    aws.dynamodb,
    aws.sqs,
    aws.sns,
    aws.s3,
    aws.secrets_manager,
    bucket_import._settings,
    bucket_import._import_queue,
    bucket_import._rejected_input_store,
    http_api._settings,
    http_api._repository,
    queue_import._settings,
    queue_import._repository,
    queue_import._rejected_input_store,
    low_stock_notifier._settings,
    low_stock_notifier._topic,
    low_stock_notifier._threshold,
    sent_alerts.sent_alerts,
    webhook_alerts._settings,
    webhook_alerts._webhook,
)


@pytest.fixture(autouse=True)
def cold_start():
    """Each test is a fresh execution environment: nothing cached from the one before."""
    for cached in _CACHED:
        cached.cache_clear()
    yield
    for cached in _CACHED:
        cached.cache_clear()
    start_invocation(None)  # no invocation's deadline outlives its test


@pytest.fixture
def deployed(account, monkeypatch):
    """The environment the Pulumi program gives the functions."""
    monkeypatch.setenv("TABLE_NAME", account.table_name)
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", account.dead_letter_queue_url)
    monkeypatch.setenv("TOPIC_ARN", account.topic_arn)
    monkeypatch.setenv("SENT_ALERTS_TABLE", "sent-alerts")
    monkeypatch.setenv("IMPORT_QUEUE_URL", account.import_queue_url)
    monkeypatch.setenv("INPUT_PREFIX", "incoming/")
    monkeypatch.setenv("OUTPUT_PREFIX", "reports/")
    return account
