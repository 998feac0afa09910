import importlib
import json
import re
import typing
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pulumi
import pytest

from adapters.outbound.dynamodb_low_stock_list import DynamoDbLowStockList
from adapters.outbound.dynamodb_sent_alerts import CLAIMED_AT, STOCK_ID
from domain.item import StockItem, Versioned
from handlers import webhook_alerts
from handlers.aws import EntryPoint
from handlers.settings import Settings
from harness.fake_cloud import ACCOUNT, OPERATIONS_EMAIL, REGION, FakeCloud, configured_stack
from harness.pulumi_program import run_program
from tests.infrastructure.conftest import statements_of
from tests.infrastructure.snapshot import both_channels
from tests.program_runs import declared

ROOT = Path(__file__).resolve().parents[2]
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/stock-levels-0a1b2c3"


def policy_of(run, component):
    return statements_of(run.named(f"{component}-policy").inputs["policy"])


def granted(run, component):
    """What a function may do beyond writing its own logs, as (actions, resources) pairs."""
    return [(s["Action"], s["Resource"]) for s in policy_of(run, component)[1:]]


def test_the_stack_exports_the_documented_outputs(dev_stack):
    assert dev_stack.outputs == {
        "endpoint_url": "https://stock-api-api-id.execute-api.eu-west-3.amazonaws.com",  # an HTTP API: no stage
        "queue_url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/stock-import-queue-0a1b2c3",
        "dead_letter_queue_url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/stock-import-dlq-0a1b2c3",
        "failure_queue_url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/low-stock-notifier-failures-0a1b2c3",
        "drop_bucket_name": "stock-drop-bucket-0a1b2c3",
        "drop_prefix": "incoming/",
        "report_prefix": "reports/",
        "drop_failure_queue_url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/stock-drop-failures-0a1b2c3",
        "table_name": "stock-levels-0a1b2c3",
        "topic_arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:low-stock-alerts-0a1b2c3",
        "alert_dead_letter_queue_urls": {
            "sns": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/low-stock-subscriber-dlq-0a1b2c3"
        },
    }


def test_the_table_is_on_demand_streamed_recoverable_and_encrypted(dev_stack):
    table = dev_stack.named("stock-levels").inputs
    assert table["billingMode"] == "PAY_PER_REQUEST"
    assert table["hashKey"] == "stock_id"
    assert table["attributes"] == [{"name": "stock_id", "type": "S"}, {"name": "low_list_shard", "type": "S"}]
    assert (table["streamEnabled"], table["streamViewType"]) == (True, "NEW_AND_OLD_IMAGES")
    assert table["pointInTimeRecovery"] == {"enabled": True}
    assert table["serverSideEncryption"] == {"enabled": True}


def test_the_low_items_are_a_sparse_index_of_keys_by_shard_then_id(dev_stack):
    table = dev_stack.named("stock-levels").inputs
    assert table["globalSecondaryIndexes"] == [
        {
            "name": "low-items",
            "keySchemas": [
                {"attributeName": "low_list_shard", "keyType": "HASH"},
                {"attributeName": "stock_id", "keyType": "RANGE"},
            ],
            "projectionType": "KEYS_ONLY",
        }
    ]


def test_cloudwatch_alarms_may_use_the_key_to_reach_the_encrypted_alarm_topic(dev_stack):
    statements = statements_of(dev_stack.named("notifications-key").inputs["policy"])
    alarms = next(s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"})
    assert alarms["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert alarms["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"},
    }


def service_principals(statement):
    principal = statement.get("Principal", {})
    services = principal.get("Service", []) if isinstance(principal, dict) else []
    return [services] if isinstance(services, str) else list(services)


_CONFUSED_DEPUTY_KEYS = {"aws:SourceAccount", "aws:SourceArn"}


@pytest.mark.parametrize("stack_fixture", ["dev_stack", "prod_stack"])
def test_every_service_granted_by_a_resource_policy_acts_only_for_this_account(request, stack_fixture):
    run = request.getfixturevalue(stack_fixture)
    checked = 0
    for key in run.of_type("aws:kms/key:Key"):
        for statement in statements_of(key.inputs["policy"]):
            if service_principals(statement):
                keys = {name for operator in statement.get("Condition", {}).values() for name in operator}
                assert keys & _CONFUSED_DEPUTY_KEYS, (key.name, statement)
                checked += 1
    for permission in run.of_type("aws:lambda/permission:Permission"):
        if permission.inputs["principal"].endswith(".amazonaws.com"):
            assert permission.inputs.get("sourceArn") or permission.inputs.get("sourceAccount"), permission.name
            checked += 1
    assert checked >= 2


CURSOR_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/list-cursor-key-key-id"


def test_the_api_function_may_only_read_and_update_the_table_page_its_list_and_seal_the_lists_cursors(dev_stack):
    assert granted(dev_stack, "stock-api") == [
        (["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem"], [TABLE_ARN]),
        (["dynamodb:Query"], [f"{TABLE_ARN}/index/low-items"]),
        (["kms:GenerateMac", "kms:VerifyMac"], [CURSOR_KEY_ARN]),
    ]


def test_the_lists_cursors_are_sealed_by_an_hmac_key_the_account_administers_and_the_api_is_given(dev_stack):
    key = dev_stack.named("list-cursor-key").inputs
    assert (key["keyUsage"], key["customerMasterKeySpec"]) == ("GENERATE_VERIFY_MAC", "HMAC_256")
    assert not key.get("enableKeyRotation")  # KMS does not rotate HMAC keys: it refuses to be asked
    [administers] = statements_of(key["policy"])
    assert (administers["Sid"], administers["Action"]) == ("AccountAdministersTheKey", ["kms:*"])
    variables = dev_stack.named("stock-api-function").inputs["environment"]["variables"]
    assert variables["CURSOR_KEY_ID"] == CURSOR_KEY_ARN


def test_the_import_function_may_update_the_table_consume_its_queue_and_keep_rejects(dev_stack):
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:stock-import-queue-0a1b2c3"
    dead_letters = f"arn:aws:sqs:{REGION}:{ACCOUNT}:stock-import-dlq-0a1b2c3"
    assert granted(dev_stack, "stock-import") == [
        (["dynamodb:UpdateItem"], [TABLE_ARN]),
        (["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], [queue]),
        (["sqs:SendMessage"], [dead_letters]),
    ]


def test_the_notifier_may_publish_to_the_topic_read_the_stream_and_mark_items_in_the_list_of_low_items(dev_stack):
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:low-stock-alerts-0a1b2c3"
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/notifications-key-key-id"
    failures = f"arn:aws:sqs:{REGION}:{ACCOUNT}:low-stock-notifier-failures-0a1b2c3"
    stream_actions = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
    sent_alerts = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/low-stock-alerts-sent-0a1b2c3"
    assert granted(dev_stack, "low-stock-notifier") == [
        (["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], [sent_alerts]),
        (["sns:Publish"], [topic]),
        (["kms:Decrypt", "kms:GenerateDataKey"], [key]),
        (["dynamodb:UpdateItem"], [TABLE_ARN]),
        (stream_actions, [f"{TABLE_ARN}/stream/2024-05-01T00:00:00.000"]),
        (["dynamodb:ListStreams"], ["*"]),
        (["sqs:SendMessage"], [failures]),
    ]


def test_the_notifier_may_write_no_attribute_of_an_item_but_its_mark_and_those_the_mark_s_condition_reads(dev_stack):
    [marks] = [s for s in policy_of(dev_stack, "low-stock-notifier") if s["Resource"] == [TABLE_ARN]]
    assert marks["Condition"] == {
        "ForAllValues:StringEquals": {
            "dynamodb:Attributes": [
                "stock_id",
                "low_list_shard",
                "as_of",
                "reorder_point_as_of",
                "low_stock_alerts_as_of",
                "default_reorder_point",
            ]
        },
        # An answer of the whole item, old or new, would hold attributes the list above leaves out.
        "StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"]},
    }


# What an expression may hold besides attribute names: DynamoDB's functions and keywords.
_EXPRESSION_WORDS = {
    "SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "IN", "BETWEEN", "attribute_exists", "attribute_not_exists",
    "attribute_type", "begins_with", "contains", "size", "if_not_exists", "list_append",
}  # fmt: skip


def attributes_named(request):
    """Every attribute an UpdateItem request names: its key, and in its expressions, by placeholder or bare."""
    placeholders = request.get("ExpressionAttributeNames", {})
    named = set(request["Key"])
    for expression in (request.get("UpdateExpression", ""), request.get("ConditionExpression", "")):
        for word in re.findall(r"[#:]?[A-Za-z_][A-Za-z0-9_]*", expression):
            if word.startswith("#"):
                named.add(placeholders[word])
            elif not word.startswith(":") and word not in _EXPRESSION_WORDS:
                named.add(word)
    return named


@pytest.mark.parametrize("low", [True, False])
def test_every_attribute_the_list_s_write_names_is_one_the_notifier_s_policy_allows(dev_stack, mocker, low):
    """The policy names attributes the adapter's condition reads: a condition on another one would be refused."""
    [marks] = [s for s in policy_of(dev_stack, "low-stock-notifier") if s["Resource"] == [TABLE_ARN]]
    allowed = set(marks["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"])
    client = mocker.Mock()
    moment = datetime(2024, 5, 1, 12, tzinfo=UTC)
    for item in (
        StockItem("A1"),
        StockItem("A1", Versioned(0, moment), Versioned(5, moment), Versioned(True, moment), default_reorder_point=1),
    ):
        DynamoDbLowStockList(client, "stock-levels").list_as_low(item, low)
    returned = marks["Condition"]["StringEqualsIfExists"]["dynamodb:ReturnValues"]
    for call in client.update_item.call_args_list:
        assert attributes_named(call.kwargs) <= allowed
        assert call.kwargs.get("ReturnValues", "NONE") in returned


def test_the_notifier_gives_up_on_a_record_hours_before_the_stream_trims_it(dev_stack):
    assert dev_stack.named("low-stock-notifier-events").inputs["maximumRecordAgeInSeconds"] == 6 * 3600
    run = declared("dev", {"streamMaximumRecordAgeSeconds": 3600})
    assert run.named("low-stock-notifier-events").inputs["maximumRecordAgeInSeconds"] == 3600
    with pytest.raises(ValueError, match="24 h retention"):
        run_program(FakeCloud(), "dev", {"streamMaximumRecordAgeSeconds": 24 * 3600})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_regions_api_gateway_logging_role_outlives_any_one_stack(stack):
    run = declared(stack, {"apiKind": "rest"})  # only a REST API's access logs need it
    region_wide = ["apigateway-account", "apigateway-cloudwatch-role", "apigateway-cloudwatch-policy"]
    assert [run.named(name).retain_on_delete for name in region_wide] == [True, True, True]
    others = [r.name for r in run.resources if r.custom and r.retain_on_delete and r.name not in region_wide]
    assert others == []  # everything else goes with its stack


def test_the_stream_consumer_sees_only_inserts_and_modifications(dev_stack):
    mapping = dev_stack.named("low-stock-notifier-events").inputs
    [entry] = mapping["filterCriteria"]["filters"]
    assert json.loads(entry["pattern"]) == {"eventName": ["INSERT", "MODIFY"]}


@pytest.mark.parametrize(("stack_fixture", "days"), [("dev_stack", 7), ("prod_stack", 90)])
def test_every_log_group_keeps_the_stacks_retention(request, stack_fixture, days):
    run = request.getfixturevalue(stack_fixture)
    groups = run.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert len(groups) == 5
    assert {group.inputs["retentionInDays"] for group in groups} == {days}
    # ... and every log the stack writes goes to one of them: a function that named no group would write to one
    # Lambda creates, kept forever (docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html).
    functions = run.of_type("aws:lambda/function:Function")
    stages = run.of_type("aws:apigateway/stage:Stage") + run.of_type("aws:apigatewayv2/stage:Stage")
    assert {f.inputs["loggingConfig"].get("logGroup") for f in functions} <= {g.outputs["name"] for g in groups}
    assert {s.inputs["accessLogSettings"]["destinationArn"] for s in stages} <= {g.outputs["arn"] for g in groups}
    assert len(functions) + len(stages) == len(groups)


def test_the_lambda_code_archive_holds_the_runtime_packages_alone(dev_stack):
    """The functions' code is domain/, adapters/ and handlers/: never the harness, the tests or the local stack."""
    [archive] = {f.inputs["code"].path for f in dev_stack.of_type("aws:lambda/function:Function")}
    with zipfile.ZipFile(archive) as packaged:
        assert {name.split("/")[0] for name in packaged.namelist()} == {"domain", "adapters", "handlers"}


def subscriptions(run, protocol):
    return {
        r.name: r.inputs
        for r in run.of_type("aws:sns/topicSubscription:TopicSubscription")
        if r.inputs["protocol"] == protocol
    }


def test_subscriptions_come_from_config_and_phone_numbers_stay_secret():
    run = declared(
        "dev",
        {"notificationPhoneNumbers": ["+33600000001", "+33600000002"], "notificationEmails": ["buyer@shop.fr"]},
    )
    sms = [run.named(f"low-stock-sms-{index}") for index in (0, 1)]
    assert [s.inputs["protocol"] for s in sms] == ["sms", "sms"]
    assert [s.inputs["endpoint"]["value"] for s in sms] == ["+33600000001", "+33600000002"]
    assert all("4dabf18193072939515e22adb298388d" in s.inputs["endpoint"] for s in sms)  # the secret signature
    assert not any("+3360" in name for name in subscriptions(run, "sms"))  # no number in a resource name
    [email] = subscriptions(run, "email").values()
    assert email["endpoint"] == "buyer@shop.fr"


def test_removing_one_address_leaves_the_other_subscriptions_as_they_are():
    addresses = ["first@shop.fr", "second@shop.fr", "third@shop.fr"]
    before = subscriptions(declared("dev", {"notificationEmails": addresses}), "email")
    after = subscriptions(declared("dev", {"notificationEmails": addresses[1:]}), "email")
    assert len(before) == 3
    assert set(after) < set(before)  # same names: nothing to replace, nobody asked to confirm again
    assert {inputs["endpoint"] for inputs in after.values()} == set(addresses[1:])


def test_prod_alarms_reach_the_operations_email(prod_stack):
    [subscription] = subscriptions(prod_stack, "email").values()
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:operations-alarms-0a1b2c3"
    assert (subscription["topic"], subscription["endpoint"]) == (topic_arn, OPERATIONS_EMAIL)
    for alarm in prod_stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        assert alarm.inputs["alarmActions"] == [topic_arn], alarm.name


def test_prod_refuses_to_deploy_until_its_alarms_reach_someone():
    with pytest.raises(pulumi.RunError, match=r"alarmEmails is required .*pulumi config set --path 'alarmEmails\[0\]'"):
        run_program(FakeCloud(), "prod")


@pytest.mark.parametrize(
    "address",
    ["stock-operations@example.com", "ops@mail.example.org", "ops@shop.test", "ops@host.invalid", "ops@x.example"],
)
@pytest.mark.parametrize("setting", ["alarmEmails", "notificationEmails"])
def test_a_placeholder_address_that_could_never_confirm_is_refused(setting, address):
    with pytest.raises(pulumi.RunError, match=f"{setting} holds the placeholder"):
        run_program(FakeCloud(), "dev", {setting: [address]})


@pytest.mark.parametrize("address", ["no-at-sign", "@shop.fr", "ops@localhost"])
def test_a_malformed_address_is_refused(address):
    with pytest.raises(pulumi.RunError, match="alarmEmails holds"):
        run_program(FakeCloud(), "dev", {"alarmEmails": [address]})


def test_the_threshold_reaches_the_notifier():
    run = declared("dev", {"lowStockThreshold": 3})
    variables = run.named("low-stock-notifier-function").inputs["environment"]["variables"]
    assert variables["LOW_STOCK_THRESHOLD"] == "3"


def test_how_far_ahead_an_update_may_be_dated_reaches_each_function_that_takes_updates():
    run = declared("dev", {"asOfMaxAheadSeconds": 60, "dropBucket": True})
    for name in ("stock-api-function", "stock-import-function", "stock-drop-function"):
        assert run.named(name).inputs["environment"]["variables"]["AS_OF_MAX_AHEAD_SECONDS"] == "60", name


def test_a_negative_span_ahead_is_refused_before_any_preview():
    with pytest.raises(pulumi.RunError, match="asOfMaxAheadSeconds must be 0 or more, not -1"):
        run_program(FakeCloud(), "dev", {"asOfMaxAheadSeconds": -1})


def test_each_function_names_a_handler_that_exists(dev_stack):
    for function in dev_stack.of_type("aws:lambda/function:Function"):
        module, attribute = function.inputs["handler"].rsplit(".", 1)
        assert isinstance(getattr(importlib.import_module(module), attribute, None), EntryPoint), module


HANDLER_MODULES = {
    f"handlers.{path.stem}"
    for path in (ROOT / "handlers").glob("*.py")
    if isinstance(getattr(importlib.import_module(f"handlers.{path.stem}"), "handler", None), EntryPoint)
}


def settings_class(handler: str) -> type[Settings[str]]:
    """The class a function's handler reads its settings with: the one its entry point, which Lambda calls, reads
    the environment with, and the one its module's `build` takes (the two may not differ)."""
    module_name, entry_point = handler.rsplit(".", 1)
    module = importlib.import_module(module_name)
    read_with: type[Settings[str]] = getattr(module, entry_point).settings
    hint = typing.get_type_hints(module.build)["settings"]
    assert (typing.get_origin(hint) or hint) == read_with, f"{handler} builds with other settings than it reads"
    return read_with


def test_each_function_reads_back_exactly_the_settings_the_program_and_its_components_give_it(dev_stack, prod_stack):
    """A variable renamed or dropped on one side, or one given that no handler reads, fails here, not in Lambda."""
    read = set()
    for run in (dev_stack, prod_stack, both_channels()):
        for function in run.of_type("aws:lambda/function:Function"):
            variables = function.inputs["environment"]["variables"]
            settings = settings_class(function.inputs["handler"]).from_environment(variables)
            assert settings.environment() == variables, function.name
            read.add(function.inputs["handler"].rsplit(".", 1)[0])
    assert read == HANDLER_MODULES  # every function the program can deploy was checked


def test_the_import_queue_outlasts_six_function_timeouts(dev_stack):
    function = dev_stack.named("stock-import-function").inputs
    queue = dev_stack.named("stock-import-queue").inputs
    assert queue["visibilityTimeoutSeconds"] >= 6 * function["timeout"]


def test_sent_alerts_are_kept_in_an_encrypted_table_whose_entries_expire(dev_stack):
    table = dev_stack.named("low-stock-alerts-sent").inputs
    assert (table["hashKey"], table["billingMode"]) == ("change_id", "PAY_PER_REQUEST")
    assert table["globalSecondaryIndexes"] == [
        {
            "name": "by-item",
            "keySchemas": [
                {"attributeName": STOCK_ID, "keyType": "HASH"},  # as the record's claims name them
                {"attributeName": CLAIMED_AT, "keyType": "RANGE"},
            ],
            "projectionType": "KEYS_ONLY",
        }
    ]
    assert {"name": STOCK_ID, "type": "S"} in table["attributes"]
    assert {"name": CLAIMED_AT, "type": "N"} in table["attributes"]
    assert table["ttl"] == {"attributeName": "expires_at", "enabled": True}
    assert table["serverSideEncryption"] == {"enabled": True}
    variables = dev_stack.named("low-stock-notifier-function").inputs["environment"]["variables"]
    assert variables["SENT_ALERTS_TABLE"] == "low-stock-alerts-sent-0a1b2c3"


HOOK = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"
PULUMI_SECRET_SIGNATURE, SECRET_VALUE_SIGNATURE = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"


def test_a_stack_that_chooses_the_webhook_keeps_its_url_in_a_secret_its_function_alone_may_read():
    run = declared("dev", {"alertChannels": ["webhook"]}, secrets={"alertWebhookUrl": HOOK})
    [secret] = run.of_type("aws:secretsmanager/secret:Secret")
    [version] = run.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    # Kept as a Pulumi secret: encrypted in the state, masked in every preview.
    assert version.inputs["secretString"] == {PULUMI_SECRET_SIGNATURE: SECRET_VALUE_SIGNATURE, "value": HOOK}
    assert version.inputs["secretId"] == "alert-webhook-url-id"
    readers = [r.name for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if "secretsmanager" in r.inputs["policy"]]
    assert readers == ["alert-webhook-policy"]
    assert (["secretsmanager:GetSecretValue"], [secret.outputs["arn"]]) in granted(run, "alert-webhook")
    environment = run.named("alert-webhook-function").inputs["environment"]["variables"]
    assert environment["ALERT_WEBHOOK_SECRET_ARN"] == secret.outputs["arn"]
    # Nowhere else: a function's environment, above all, is shown to whoever may read its configuration.
    assert HOOK not in repr([r.inputs for r in run.resources if r.type != version.type])


def test_a_stack_without_the_sns_channel_subscribes_no_phone_or_address():
    run = declared(
        "dev",
        {"alertChannels": ["webhook"], "notificationPhoneNumbers": ["+33612345678"]},
        secrets={"alertWebhookUrl": HOOK},
    )
    subscriptions = run.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert [s.inputs["protocol"] for s in subscriptions] == ["sqs"]
    assert run.outputs["alert_dead_letter_queue_urls"] == {
        "sns": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/low-stock-subscriber-dlq-0a1b2c3",
        "webhook": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/alert-webhook-dlq-0a1b2c3",
    }


def test_the_stream_function_publishes_to_the_topic_and_reaches_no_channel():
    run = declared("dev", {"alertChannels": ["sns", "webhook"]}, secrets={"alertWebhookUrl": HOOK})
    environment = run.named("low-stock-notifier-function").inputs["environment"]["variables"]
    assert set(environment) == {
        "TOPIC_ARN",
        "SENT_ALERTS_TABLE",
        "TABLE_NAME",  # the table whose list of low items it keeps
        "LOW_STOCK_THRESHOLD",
        "FUNCTION_TIMEOUT_SECONDS",
    }
    actions = {action for actions, _ in granted(run, "low-stock-notifier") for action in actions}
    assert "sns:Publish" in actions
    assert not {action for action in actions if action.startswith(("secretsmanager:", "sqs:Change"))}


TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:low-stock-alerts-0a1b2c3"
QUEUES_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/alert-queues-key-key-id"
DEAD_LETTERS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/low-stock-subscriber-dlq-key-key-id"


def test_the_topic_fans_each_alert_out_to_the_webhook_queue_raw_and_for_that_topic_alone():
    run = declared("dev", {"alertChannels": ["sns", "webhook"]}, secrets={"alertWebhookUrl": HOOK})
    queue = run.named("alert-webhook-queue")
    [subscription] = run.of_type("aws:sns/topicSubscription:TopicSubscription")
    [dead_letters] = [q for q in run.of_type("aws:sqs/queue:Queue") if q.name == "low-stock-subscriber-dlq"]
    assert subscription.inputs == {
        "topic": TOPIC_ARN,
        "protocol": "sqs",
        "endpoint": queue.outputs["arn"],
        "rawMessageDelivery": True,
        # what SNS could not write to the queue (its policy or key refused) is kept, not discarded
        "redrivePolicy": json.dumps({"deadLetterTargetArn": dead_letters.outputs["arn"]}),
    }
    [statement] = statements_of(run.named("alert-webhook-queue-policy").inputs["policy"])
    assert statement == {
        "Sid": "TopicSends",
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": ["sqs:SendMessage"],
        "Resource": [queue.outputs["arn"]],
        "Condition": {"ArnEquals": {"aws:SourceArn": TOPIC_ARN}},
    }
    assert run.named("alert-webhook-queue-policy").urn in subscription.dependencies
    # SNS writes to the queue with a customer managed key whose policy lets it, for this topic only.
    assert (queue.inputs["kmsMasterKeyId"], queue.inputs.get("sqsManagedSseEnabled")) == (QUEUES_KEY_ARN, None)
    sns_grant = statements_of(run.named("alert-queues-key").inputs["policy"])[1]
    assert sns_grant["Principal"] == {"Service": "sns.amazonaws.com"}
    assert sns_grant["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert sns_grant["Condition"]["ArnEquals"] == {"aws:SourceArn": TOPIC_ARN}


def test_the_webhook_function_retries_on_its_queue_and_keeps_what_fails_with_an_alarm():
    run = declared("dev", {"alertChannels": ["sns", "webhook"]}, secrets={"alertWebhookUrl": HOOK})
    queue, dead_letters = run.named("alert-webhook-queue"), run.named("alert-webhook-dlq")
    function = run.named("alert-webhook-function").inputs
    assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * function["timeout"]  # Lambda's advice for SQS
    assert json.loads(queue.inputs["redrivePolicy"]) == {
        "deadLetterTargetArn": dead_letters.outputs["arn"],
        "maxReceiveCount": 12,  # the handler gives up after 10 attempts; SQS only after a crash on the last
    }
    variables = function["environment"]["variables"]
    assert (variables["DELIVERY_ATTEMPTS"], variables["QUEUE_URL"], variables["DEAD_LETTER_QUEUE_URL"]) == (
        "10",
        queue.outputs["url"],
        dead_letters.outputs["url"],
    )
    grants = granted(run, "alert-webhook")
    assert (["sqs:ChangeMessageVisibility"], [queue.outputs["arn"]]) in grants
    assert (["sqs:SendMessage"], [dead_letters.outputs["arn"]]) in grants
    assert (["kms:Decrypt"], [QUEUES_KEY_ARN]) in grants
    alarm = run.named("alert-webhook-dlq-not-empty").inputs
    assert alarm["dimensions"] == {"QueueName": dead_letters.outputs["name"]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_attempt_a_failing_chat_gets_ends_well_within_its_queue_s_retention(stack):
    """SQS deletes a message older than its queue's retention, with no dead letter and no alarm. The worst case of
    every attempt: each back-off, and each delivery held for the queue's whole visibility timeout (a crash or a
    time-out), with the margin the function keeps for one more, inside the retention the queue has and the function
    is told. A Retry-After longer than what is left is no worst case to bound: the function checks each wait."""
    run = declared(stack, {"alertChannels": ["sns", "webhook"]}, secrets={"alertWebhookUrl": HOOK})
    queue = run.named("alert-webhook-queue").inputs
    variables = run.named("alert-webhook-function").inputs["environment"]["variables"]
    retention = queue["messageRetentionSeconds"]
    assert int(variables["QUEUE_MESSAGE_RETENTION_SECONDS"]) == retention
    attempts = int(variables["DELIVERY_ATTEMPTS"])
    back_offs = sum(webhook_alerts.back_off_seconds(attempt) for attempt in range(1, attempts))
    held = json.loads(queue["redrivePolicy"])["maxReceiveCount"] * queue["visibilityTimeoutSeconds"]
    assert back_offs + held + webhook_alerts.RETENTION_MARGIN_SECONDS < retention


def test_sms_and_email_subscribers_keep_what_sns_could_not_deliver():
    run = declared("dev", {"notificationPhoneNumbers": ["+33612345678"], "notificationEmails": ["ops@stock-levels.io"]})
    [dead_letters] = [q for q in run.of_type("aws:sqs/queue:Queue") if q.name == "low-stock-subscriber-dlq"]
    subscriptions = run.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted(s.inputs["protocol"] for s in subscriptions) == ["email", "sms"]
    for subscription in subscriptions:
        assert json.loads(subscription.inputs["redrivePolicy"]) == {"deadLetterTargetArn": dead_letters.outputs["arn"]}
    assert dead_letters.inputs["kmsMasterKeyId"] == DEAD_LETTERS_KEY_ARN  # SNS writes there too
    [statement] = statements_of(run.named("low-stock-subscriber-dlq-policy").inputs["policy"])
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": TOPIC_ARN}}
    assert run.named("low-stock-subscriber-dlq-not-empty").inputs["dimensions"] == {
        "QueueName": dead_letters.outputs["name"]
    }


def test_the_subscribers_dead_letters_are_kept_on_a_key_apart_from_the_chat_queues():
    """The chat queue's key disabled, scheduled for deletion or its policy broken, SNS can still keep the alert."""
    run = declared("dev", {"alertChannels": ["sns", "webhook"]}, secrets={"alertWebhookUrl": HOOK})
    chat_queue = run.named("alert-webhook-queue")
    [dead_letters] = [q for q in run.of_type("aws:sqs/queue:Queue") if q.name == "low-stock-subscriber-dlq"]
    assert chat_queue.inputs["kmsMasterKeyId"] == QUEUES_KEY_ARN
    assert dead_letters.inputs["kmsMasterKeyId"] == DEAD_LETTERS_KEY_ARN != QUEUES_KEY_ARN
    assert run.named("low-stock-subscriber-dlq-key").outputs["arn"] == DEAD_LETTERS_KEY_ARN


def test_the_dead_letters_key_lets_sns_use_it_for_the_alerts_topic_alone(dev_stack):
    key = dev_stack.named("low-stock-subscriber-dlq-key").inputs
    assert (key["enableKeyRotation"], key["deletionWindowInDays"]) == (True, 30)
    administration, sns_grant = statements_of(key["policy"])
    assert administration["Sid"] == "AccountAdministersTheKey"
    assert administration["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert sns_grant == {
        "Sid": "AlertsTopicDelivers",
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": ["*"],
        "Condition": {"ArnEquals": {"aws:SourceArn": TOPIC_ARN}},
    }
    # The same grant as the chat queue's key: the one SNS needs to write either queue.
    assert statements_of(dev_stack.named("alert-queues-key").inputs["policy"]) == [administration, sns_grant]


def test_an_alert_sns_could_neither_deliver_nor_keep_calls_the_operations_alarm_topic(dev_stack):
    alarm = dev_stack.named("low-stock-subscriber-dlq-redrive-failed").inputs
    assert (alarm["namespace"], alarm["metricName"]) == ("AWS/SNS", "NumberOfNotificationsFailedToRedriveToDlq")
    assert alarm["dimensions"] == {"TopicName": dev_stack.named("low-stock-alerts").outputs["name"]}
    assert (alarm["statistic"], alarm["comparisonOperator"], alarm["threshold"]) == ("Sum", "GreaterThanThreshold", 0)
    assert alarm["treatMissingData"] == "notBreaching"  # SNS sends no count while nothing is lost
    assert alarm["alarmActions"] == [dev_stack.named("operations-alarms").outputs["arn"]]


@pytest.mark.parametrize(
    ("settings", "secrets", "message"),
    [
        ({"alertChannels": ["sns", "pager"]}, {}, "alertChannels must list some of sns, webhook"),
        ({"alertChannels": []}, {}, "alertChannels must list some of sns, webhook"),
        ({"alertChannels": ["webhook"]}, {}, "alertWebhookUrl"),
        (
            {"alertChannels": ["webhook"]},
            {"alertWebhookUrl": "http://hooks.slack.com/services/T/B/secret"},
            "must be the https:// URL",
        ),
    ],
)
def test_channel_settings_that_could_not_deliver_are_refused_with_what_to_set(settings, secrets, message):
    with pytest.raises(Exception, match=message) as refused:
        configured_stack("dev", settings, secrets)
    assert "secret" not in str(refused.value).replace("--secret", "")


def test_a_webhook_url_set_in_plaintext_is_refused_with_the_command_that_encrypts_it():
    plaintext = "https://hooks.slack.com/services/T000/B000/LEAKED"
    with pytest.raises(pulumi.RunError) as refused:
        configured_stack("dev", {"alertChannels": ["webhook"], "alertWebhookUrl": plaintext})
    message = str(refused.value)
    assert "`pulumi config set --secret alertWebhookUrl`, which asks for the value" in message
    assert "LEAKED" not in message


def test_a_run_forgets_which_settings_the_run_before_held_as_secrets():
    configured_stack("dev", {"alertChannels": ["webhook"]}, secrets={"alertWebhookUrl": HOOK})
    with pytest.raises(pulumi.RunError, match="stored in plaintext"):
        configured_stack("dev", {"alertChannels": ["webhook"], "alertWebhookUrl": HOOK})


def test_the_webhook_function_is_deployed_only_once_the_webhook_url_is_stored():
    # Created or updated earlier, it could run while its secret holds no value yet: GetSecretValue fails.
    run = declared("dev", {"alertChannels": ["webhook"]}, secrets={"alertWebhookUrl": HOOK})
    [version] = run.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert version.urn in run.named("alert-webhook-function").dependencies
