"""Handlers built as Lambda builds them, from the settings they are deployed with and one execution environment's
clients, against an emulated account."""

from __future__ import annotations

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


@pytest.fixture(autouse=True)
def _no_deadline_outlives_its_test():
    yield
    start_invocation(None)  # no invocation's deadline outlives its test


@pytest.fixture
def deployed(account):
    """The emulated account, with the resources the functions' settings below name."""
    return account


@pytest.fixture
def clients(account):
    """The AWS clients of a fresh execution environment, on the emulated account."""
    return AwsClients()


@pytest.fixture
def api_settings(deployed):
    return ApiSettings(table_name=deployed.table_name)


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
    return NotifierSettings(topic_arn=deployed.topic_arn, sent_alerts_table="sent-alerts")
