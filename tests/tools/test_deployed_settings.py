"""The stack's settings as its functions hold them, found in Lambda by what their environment names."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from handlers.settings import (
    ApiSettings,
    Channel,
    ConsumedQueue,
    DeadLetterQueue,
    ImportSettings,
    NotifierSettings,
    ReorderDefault,
    UpdateTimes,
    WebhookAlertFunctionSettings,
)
from tools.deployed_settings import StackNotReady, read_deployed_settings

REGION = "eu-west-3"
CHAT_DEAD_LETTERS = "https://sqs.eu-west-3.amazonaws.com/123456789012/alert-webhook-dlq"
CURSOR_KEY = "arn:aws:kms:eu-west-3:123456789012:key/list-cursors"
OUTPUTS = {
    "table_name": "stock-levels-1a2b",
    "topic_arn": "arn:aws:sns:eu-west-3:123456789012:low-stock-alerts-1a2b",
    "alert_dead_letter_queue_urls": {"sns": "https://sqs/subscriber-dlq", "webhook": CHAT_DEAD_LETTERS},
}


class Functions:
    """Functions deployed in an emulated Lambda, each with the environment a settings class writes."""

    def __init__(self) -> None:
        self.client = boto3.client("lambda", region_name=REGION)
        iam = boto3.client("iam", region_name=REGION)
        self._role = iam.create_role(RoleName="function-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as code:
            code.writestr("handler.py", "def handler(event, context):\n    return None\n")
        self._code = archive.getvalue()

    def deploy(self, name: str, environment: dict[str, Any]) -> None:
        self.client.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=self._role,
            Handler="handler.handler",
            Code={"ZipFile": self._code},
            Environment={"Variables": {key: str(value) for key, value in environment.items()}},
        )

    def deploy_stack(self, threshold: int | None = 5, max_ahead_seconds: int | None = 120) -> None:
        """The API, import and stream functions of OUTPUTS's stack, with its chat channel."""
        reorder_default = ReorderDefault(value=threshold)
        times = UpdateTimes(max_ahead_seconds=max_ahead_seconds)
        table = OUTPUTS["table_name"]
        self.deploy(
            "stock-api",
            ApiSettings(
                table_name=table, cursor_key_id=CURSOR_KEY, times=times, reorder_default=reorder_default
            ).environment(),
        )
        self.deploy(
            "low-stock-notifier",
            NotifierSettings(
                topic_arn=OUTPUTS["topic_arn"],
                sent_alerts_table="sent-alerts-1a2b",
                table_name=table,
                reorder_default=reorder_default,
            ).environment(),
        )
        self.deploy("alert-webhook", chat_function_environment("sent-alerts-1a2b"))


def chat_function_environment(sent_alerts_table: str) -> dict[str, Any]:
    return WebhookAlertFunctionSettings(
        sent_alerts_table=sent_alerts_table,
        webhook_secret_arn="arn:aws:secretsmanager:eu-west-3:123456789012:secret:alert-webhook-url",
        delivery_attempts=10,
        queue=ConsumedQueue(url="https://sqs/alert-webhook", message_retention_seconds=345600),
        dead_letters=DeadLetterQueue(url=CHAT_DEAD_LETTERS),
    ).environment()


@pytest.fixture
def functions() -> Iterator[Functions]:
    with mock_aws():
        yield Functions()


def test_the_settings_are_those_the_stacks_functions_hold_and_another_stacks_functions_are_ignored(functions):
    functions.deploy_stack(threshold=5, max_ahead_seconds=120)
    # Another stack in the same account: its own table, its own default.
    functions.deploy(
        "other-api",
        ApiSettings(
            table_name="other-table", cursor_key_id=CURSOR_KEY, reorder_default=ReorderDefault(value=9)
        ).environment(),
    )
    functions.deploy(
        "other-webhook", {**chat_function_environment("other-sent"), "DEAD_LETTER_QUEUE_URL": "https://other"}
    )

    settings = read_deployed_settings(functions.client, OUTPUTS)

    assert settings.default_reorder_point == 5
    assert settings.max_ahead == timedelta(seconds=120)
    assert settings.sent_alert_tables == {Channel.SNS: "sent-alerts-1a2b", Channel.WEBHOOK: "sent-alerts-1a2b"}


def test_a_stack_without_as_of_max_ahead_seconds_has_the_domains_five_minutes(functions):
    functions.deploy_stack(max_ahead_seconds=None)
    assert read_deployed_settings(functions.client, OUTPUTS).max_ahead == timedelta(minutes=5)


def test_a_stack_whose_functions_carry_no_default_is_refused_naming_them(functions):
    functions.deploy_stack(threshold=None)
    with pytest.raises(StackNotReady, match="functions low-stock-notifier, stock-api hold no default reorder point"):
        read_deployed_settings(functions.client, OUTPUTS)


def test_functions_that_disagree_on_the_default_are_refused_as_a_deployment_under_way(functions):
    functions.deploy_stack(threshold=5)
    table = OUTPUTS["table_name"]
    functions.deploy(
        "stock-import", ImportSettings(table_name=table, reorder_default=ReorderDefault(value=7)).environment()
    )
    with pytest.raises(
        StackNotReady, match=r"different default reorder points \(low-stock-notifier: 5, stock-api: 5, "
    ):
        read_deployed_settings(functions.client, OUTPUTS)


def test_a_stack_with_no_function_reading_its_table_is_refused(functions):
    with pytest.raises(StackNotReady, match="no function of this stack reads the table stock-levels-1a2b"):
        read_deployed_settings(functions.client, OUTPUTS)


def earlier_notifier_environment(topic_arn: str) -> dict[str, Any]:
    """The stream function's environment in the version before per-item reorder points: no table named."""
    return {"TOPIC_ARN": topic_arn, "SENT_ALERTS_TABLE": "sent-alerts-1a2b", "LOW_STOCK_THRESHOLD": "5"}


def test_a_stream_function_still_on_the_earlier_code_stops_the_tools_until_the_deploy_is_finished(functions):
    """It names no table, so it would not be counted among the readers; its changes would set no mark."""
    functions.deploy_stack(threshold=5)
    functions.client.update_function_configuration(
        FunctionName="low-stock-notifier",
        Environment={"Variables": earlier_notifier_environment(str(OUTPUTS["topic_arn"]))},
    )
    with pytest.raises(StackNotReady) as refused:
        read_deployed_settings(functions.client, OUTPUTS)
    assert str(refused.value) == (
        "the stack's function low-stock-notifier publishes its alerts but holds no TABLE_NAME: the deploy is not "
        "finished (or the stack is on the version before per-item reorder points); run this again once it is"
    )


def test_a_stream_function_without_the_default_stops_the_tools_too(functions):
    functions.deploy_stack(threshold=5)
    environment = NotifierSettings(
        topic_arn=OUTPUTS["topic_arn"], sent_alerts_table="sent-alerts-1a2b", table_name=OUTPUTS["table_name"]
    ).environment()
    functions.client.update_function_configuration(
        FunctionName="low-stock-notifier", Environment={"Variables": environment}
    )
    with pytest.raises(StackNotReady, match="low-stock-notifier hold no default reorder point"):
        read_deployed_settings(functions.client, OUTPUTS)


def test_another_stacks_stream_function_on_the_earlier_code_is_ignored(functions):
    functions.deploy_stack(threshold=5)
    functions.deploy("other-notifier", earlier_notifier_environment("arn:aws:sns:eu-west-3:123456789012:other"))
    assert read_deployed_settings(functions.client, OUTPUTS).default_reorder_point == 5
