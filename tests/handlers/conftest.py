"""Handlers built as Lambda builds them, from the settings they are deployed with and one execution environment's
clients, against an emulated account."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from handlers.aws import AwsClients
from handlers.settings import (
    ApiSettings,
    BucketImportFunctionSettings,
    DeadLetterQueue,
    DropFolders,
    ImportFunctionSettings,
    NotifierSettings,
)
from handlers.time_budget import start_invocation
from tests.conftest import account_client
from tests.stock_table import add_low_items_index


@pytest.fixture(autouse=True)
def _no_deadline_outlives_its_test():
    yield
    start_invocation(None)  # no invocation's deadline outlives its test


# What every log record has; anything else on a record was given as `extra`, the fields of Lambda's JSON log lines.
_STANDARD = {*vars(logging.LogRecord("", 0, "", 0, "", None, None)), "message", "asctime"}


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Callable[..., list[tuple[str, str, dict[str, Any]]]]:
    """What the handlers (or the one named) logged from INFO up, in order: each line's level, its message, and its
    extra fields."""
    caplog.set_level(logging.INFO, logger="handlers")

    def logged(handler: str = "") -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (record.levelname, record.getMessage(), {k: v for k, v in vars(record).items() if k not in _STANDARD})
            for record in caplog.records
            if record.name.startswith(f"handlers.{handler}")
        ]

    return logged


@pytest.fixture
def deployed(account):
    """The emulated account, with the resources the functions' settings below name."""
    return account


@pytest.fixture
def clients(account):
    """The AWS clients of a fresh execution environment, on the emulated account."""
    return AwsClients()


@pytest.fixture
def cursor_key(deployed):
    """The HMAC key that seals the list's cursors, as the program declares it."""
    return account_client("kms").create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["Arn"]


@pytest.fixture
def api_settings(deployed, cursor_key):
    return ApiSettings(table_name=deployed.table_name, cursor_key_id=cursor_key)


@pytest.fixture
def low_items_index(deployed):
    """The table's sparse index of low items, as the program declares it, added as AWS adds one to a table in use."""
    add_low_items_index(deployed.dynamodb, deployed.table_name)


@pytest.fixture
def import_settings(deployed):
    return ImportFunctionSettings(
        table_name=deployed.table_name, dead_letters=DeadLetterQueue(url=deployed.dead_letter_queue_url)
    )


@pytest.fixture
def bucket_import_settings(deployed):
    return BucketImportFunctionSettings(
        import_queue_url=deployed.import_queue_url,
        dead_letters=DeadLetterQueue(url=deployed.dead_letter_queue_url),
        folders=DropFolders(input_prefix="incoming/", output_prefix="reports/"),
    )


@pytest.fixture
def notifier_settings(deployed):
    return NotifierSettings(
        topic_arn=deployed.topic_arn, sent_alerts_table="sent-alerts", table_name=deployed.table_name
    )
