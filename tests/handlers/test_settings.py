"""Each function's settings written as environment variables and read back, and a deployment that lacks one."""

import pytest

from handlers.settings import (
    ApiSettings,
    BucketImportFunctionSettings,
    Channel,
    ConsumedQueue,
    DeadLetterQueue,
    DropFolders,
    FunctionLimits,
    ImportFunctionSettings,
    NotifierSettings,
    ReorderDefault,
    SettingError,
    WebhookAlertFunctionSettings,
)

LIMITS = FunctionLimits(timeout_seconds=30)
DEAD_LETTERS = DeadLetterQueue(url="https://sqs.eu-west-3.amazonaws.com/123456789012/dlq")
AS_DEPLOYED = [
    ApiSettings(table_name="stock-levels", cursor_key_id="arn:aws:kms:eu-west-3:123456789012:key/k", limits=LIMITS),
    ImportFunctionSettings(table_name="stock-levels", dead_letters=DEAD_LETTERS, limits=LIMITS),
    BucketImportFunctionSettings(
        import_queue_url="https://sqs.eu-west-3.amazonaws.com/123456789012/import",
        dead_letters=DEAD_LETTERS,
        folders=DropFolders(input_prefix="incoming/", output_prefix="reports/"),
        limits=LIMITS,
    ),
    NotifierSettings(
        topic_arn="arn:aws:sns:eu-west-3:123456789012:alerts", sent_alerts_table="sent", table_name="t", limits=LIMITS
    ),
    NotifierSettings(
        topic_arn="arn:topic", sent_alerts_table="sent", table_name="t", reorder_default=ReorderDefault(value=0)
    ),
    WebhookAlertFunctionSettings(
        sent_alerts_table="sent",
        webhook_secret_arn="arn:aws:secretsmanager:eu-west-3:123456789012:secret:hook",
        delivery_attempts=10,
        queue=ConsumedQueue(
            url="https://sqs.eu-west-3.amazonaws.com/123456789012/alerts", message_retention_seconds=345600
        ),
        dead_letters=DEAD_LETTERS,
        limits=LIMITS,
    ),
]


@pytest.mark.parametrize("settings", AS_DEPLOYED, ids=lambda settings: type(settings).__name__)
def test_settings_written_as_variables_are_read_back_the_same(settings):
    environment = settings.environment()
    assert all(isinstance(value, str) for value in environment.values())
    assert type(settings).from_environment(environment) == settings


def test_each_value_is_written_to_its_variable_and_whole_numbers_in_decimal():
    assert AS_DEPLOYED[-1].environment() == {
        "FUNCTION_TIMEOUT_SECONDS": "30",
        "SENT_ALERTS_TABLE": "sent",
        "ALERT_WEBHOOK_SECRET_ARN": "arn:aws:secretsmanager:eu-west-3:123456789012:secret:hook",
        "DELIVERY_ATTEMPTS": "10",
        "QUEUE_URL": "https://sqs.eu-west-3.amazonaws.com/123456789012/alerts",
        "QUEUE_MESSAGE_RETENTION_SECONDS": "345600",
        "DEAD_LETTER_QUEUE_URL": "https://sqs.eu-west-3.amazonaws.com/123456789012/dlq",
    }


def test_a_value_named_after_a_resource_is_written_as_the_program_gives_it():
    table_name = object()  # in the program, an output of the table that is not known until it is made
    key = object()
    assert ApiSettings(table_name=table_name, cursor_key_id=key).environment() == {
        "TABLE_NAME": table_name,
        "CURSOR_KEY_ID": key,
    }


def test_a_value_not_given_is_not_written_and_is_read_back_as_not_given():
    settings = NotifierSettings(topic_arn="arn:topic", sent_alerts_table="sent", table_name="t")
    assert settings.environment() == {"TOPIC_ARN": "arn:topic", "SENT_ALERTS_TABLE": "sent", "TABLE_NAME": "t"}
    read = NotifierSettings[str].from_environment(settings.environment())
    assert (read.reorder_default.value, read.limits.timeout_seconds) == (None, None)
    assert read.reorder_default.or_(7) == 7


@pytest.mark.parametrize("blank", [None, ""])
def test_a_variable_the_function_needs_and_lacks_is_named_as_a_deployment_error(blank):
    environment = {"TABLE_NAME": "stock-levels"} | ({"DEAD_LETTER_QUEUE_URL": blank} if blank is not None else {})
    with pytest.raises(SettingError) as raised:
        ImportFunctionSettings.from_environment(environment)
    assert str(raised.value) == (
        "environment variable DEAD_LETTER_QUEUE_URL is not set; the function was deployed without it"
    )


def test_a_whole_number_that_is_not_one_is_named():
    environment = {
        "TOPIC_ARN": "arn:topic",
        "SENT_ALERTS_TABLE": "sent",
        "TABLE_NAME": "t",
        "LOW_STOCK_THRESHOLD": "low",
    }
    with pytest.raises(SettingError) as raised:
        NotifierSettings[str].from_environment(environment)
    assert str(raised.value) == "environment variable LOW_STOCK_THRESHOLD is 'low', not a whole number"


def test_the_alert_channels_are_named_as_the_stack_settings_and_the_dead_letter_outputs_name_them():
    assert [channel.value for channel in Channel] == ["sns", "webhook"]
    assert f"{Channel.WEBHOOK}:change-1" == "webhook:change-1"
