"""The stock-level service: a table, its alerts topic, and the trigger-plus-Lambda pairings around them."""

from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.api_gateway_parts import Route, checked_api_kind
from components.bucket_function import BucketFunction, BucketFunctionArgs
from components.code_archive import build_code_archive
from components.delivery_keys import topic_delivery_key
from components.http_api_function import HttpApiFunction, HttpApiFunctionArgs
from components.iam import allow, assume_role_policy
from components.lambda_function import LambdaFunctionArgs
from components.queue_function import QueueFunction, QueueFunctionArgs
from components.rest_api_function import RestApiFunction, RestApiFunctionArgs
from components.secrets import checked_webhook_url, refuse_plaintext, stored_secret
from components.stream_function import StreamFunction, StreamFunctionArgs
from components.subscriptions import (
    checked_alert_channels,
    checked_email_addresses,
    email_subscriptions,
    sms_subscriptions,
)
from components.topic_dead_letters import TopicDeadLetters
from components.topic_queue_function import TopicQueueFunction, TopicQueueFunctionArgs
from handlers.settings import (
    ApiSettings,
    BucketImportSettings,
    Channel,
    DeadLetterQueue,
    ImportSettings,
    NotifierSettings,
    ReorderDefault,
    UpdateTimes,
    WebhookAlertSettings,
)

PROJECT_ROOT = Path(__file__).resolve().parent
config = pulumi.Config()
log_retention_days = config.require_int("logRetentionDays")

# --- Storage: the table is the source of truth and, through its stream, the outbox of alerts.
deletion_protected = config.require_bool("tableDeletionProtection")
table = aws.dynamodb.Table(
    "stock-levels",
    billing_mode="PAY_PER_REQUEST",
    hash_key="stock_id",
    attributes=[{"name": "stock_id", "type": "S"}, {"name": "low_list_shard", "type": "S"}],
    # The list of low items: a sparse index holding only the items that carry `low_list_shard`, which the stream's
    # function sets while an item is low, keyed by that shard then the id (adapters.outbound.dynamodb_low_stock_list).
    # On a table in use, adding it is an UpdateTable: the table stays readable and writable while DynamoDB backfills
    # the index (docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.OnlineOps.html, "Adding a global
    # secondary index to an existing table"), so the table is updated in place, not replaced.
    global_secondary_indexes=[
        {
            "name": "low-items",
            "key_schemas": [
                {"attribute_name": "low_list_shard", "key_type": "HASH"},
                {"attribute_name": "stock_id", "key_type": "RANGE"},
            ],
            "projection_type": "KEYS_ONLY",
        }
    ],
    stream_enabled=True,
    stream_view_type="NEW_AND_OLD_IMAGES",
    point_in_time_recovery={"enabled": True},
    server_side_encryption={"enabled": True},
    deletion_protection_enabled=deletion_protected,
    opts=pulumi.ResourceOptions(protect=deletion_protected),
)

# The record of alerts sent, so that a stream record delivered again after a crash is not announced again.
# Its entries are removed by time to live two weeks on, long after any retry (handlers.sent_alerts). The index finds
# an item's alerts by the time they were claimed, without a scan; keys only, so that marking an alert sent, which
# changes no key, does not write to it: one index write per claim.
sent_alerts = aws.dynamodb.Table(
    "low-stock-alerts-sent",
    billing_mode="PAY_PER_REQUEST",
    hash_key="change_id",
    attributes=[
        {"name": "change_id", "type": "S"},
        {"name": "stock_id", "type": "S"},
        {"name": "claimed_at", "type": "N"},
    ],
    global_secondary_indexes=[
        {
            "name": "by-item",
            "key_schemas": [
                {"attribute_name": "stock_id", "key_type": "HASH"},
                {"attribute_name": "claimed_at", "key_type": "RANGE"},
            ],
            "projection_type": "KEYS_ONLY",
        }
    ],
    ttl={"attribute_name": "expires_at", "enabled": True},
    server_side_encryption={"enabled": True},
)

# --- Notifications: topics encrypted with a key that CloudWatch alarms may also use.
account_id = aws.get_caller_identity_output().account_id
partition = aws.get_partition_output().partition
region = aws.get_region_output().region
# AWS's default key policy statement, first in each key's policy: lets the account's IAM policies govern the key.
account_administers_the_key = {
    "Sid": "AccountAdministersTheKey",
    "Effect": "Allow",
    "Principal": {"AWS": pulumi.Output.format("arn:{0}:iam::{1}:root", partition, account_id)},
    "Action": "kms:*",
    "Resource": "*",
}
notification_key = aws.kms.Key(
    "notifications-key",
    description="Encrypts the stock service's SNS topics at rest.",
    enable_key_rotation=True,
    deletion_window_in_days=30,
    policy=pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                account_administers_the_key,
                {
                    # Only this account's alarms, in this region, may have CloudWatch use the key (confused
                    # deputy; CloudWatch sends both keys: docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
                    "Sid": "CloudWatchAlarmsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {
                            "aws:SourceArn": pulumi.Output.format(
                                "arn:{0}:cloudwatch:{1}:{2}:alarm:*", partition, region, account_id
                            )
                        },
                    },
                },
            ],
        }
    ),
)
alerts_topic = aws.sns.Topic("low-stock-alerts", kms_master_key_id=notification_key.arn)
# Queues that SNS writes to, for the topic's subscribers, are encrypted with keys of their own whose policy names
# the topic: one key for both would have to name the topic that it encrypts.
alert_queues_key = topic_delivery_key(
    "alert-queues-key",
    "Encrypts the queues that the low-stock alerts topic delivers to.",
    alerts_topic.arn,
    account_administers_the_key,
    grant_sid="AlertsTopicDelivers",
)
# The subscribers' dead letters have a key apart: were they on the chat queue's key, that key disabled, scheduled for
# deletion or its policy broken would stop SNS from keeping what it could not deliver, and the alert would be lost.
subscriber_dead_letters_key = topic_delivery_key(
    "low-stock-subscriber-dlq-key",
    "Encrypts the dead letters of the low-stock alerts topic's subscribers.",
    alerts_topic.arn,
    account_administers_the_key,
    grant_sid="AlertsTopicDelivers",
)
alarms_topic = aws.sns.Topic("operations-alarms", kms_master_key_id=notification_key.arn)
email_subscriptions(
    "operations-email",
    alarms_topic.arn,
    checked_email_addresses(
        "alarmEmails", config.get_object("alarmEmails") or [], required=config.require_bool("requireAlarmEmails")
    ),
)

# --- API Gateway writes access logs only once the region's account settings name a CloudWatch role.
# That setting is one per account and region, shared by every stack there. Deleting `apigateway.Account`
# resets it (pulumi-aws 7 follows the AWS provider v6, hashicorp/terraform-provider-aws#42226), so a
# `pulumi destroy` of dev would stop prod's access logs: the setting, its role and the role's policy outlive
# the stack that made them.
# HTTP APIs write their access logs without it (docs.aws.amazon.com/apigateway/latest/developerguide/
# http-api-logging.html), so a stack with one leaves the setting alone.
api_kind = checked_api_kind("apiKind", config.get("apiKind") or "rest")
api_logging_ready: list[pulumi.Resource] = []
if config.require_bool("manageApiGatewayAccount") and api_kind == "rest":
    region_wide = pulumi.ResourceOptions(retain_on_delete=True)
    api_logs_role = aws.iam.Role(
        "apigateway-cloudwatch-role",
        assume_role_policy=assume_role_policy("apigateway.amazonaws.com"),
        opts=region_wide,
    )
    api_logs_policy = aws.iam.RolePolicyAttachment(
        "apigateway-cloudwatch-policy",
        role=api_logs_role.name,
        policy_arn=pulumi.Output.format(
            "arn:{0}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs", partition
        ),
        opts=region_wide,
    )
    api_logging_ready.append(
        aws.apigateway.Account(
            "apigateway-account",
            cloudwatch_role_arn=api_logs_role.arn,
            opts=pulumi.ResourceOptions.merge(region_wide, pulumi.ResourceOptions(depends_on=[api_logs_policy])),
        )
    )

# --- The Lambda code: one deterministic archive of the runtime packages, shared by every function.
code = build_code_archive(PROJECT_ROOT, ["domain", "adapters", "handlers"], PROJECT_ROOT / "build" / "lambda.zip")

# --- The API, the import queue and the alerts.
# How far ahead of its receipt an update may be dated: a clock set wrong must not freeze an item
# (docs/design.md, "Validation").
max_ahead_seconds = config.require_int("asOfMaxAheadSeconds")
if max_ahead_seconds < 0:
    raise pulumi.RunError(f"asOfMaxAheadSeconds must be 0 or more, not {max_ahead_seconds}")
update_times = UpdateTimes(max_ahead_seconds=max_ahead_seconds)
# The reorder point of every item that has none of its own; written with each item (docs/reorder-points.md).
reorder_default = ReorderDefault(value=config.require_int("lowStockThreshold"))
# The list of low items is paged with cursors the API seals with an HMAC, so that a client can neither forge nor alter
# one (docs/reorder-points.md). The key never leaves KMS (docs.aws.amazon.com/kms/latest/developerguide/hmac.html).
# KMS does not rotate HMAC keys (docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html): to rotate,
# replace the key; the cursors it sealed are then refused, and their clients start their list again.
cursor_key = aws.kms.Key(
    "list-cursor-key",
    description="Seals the stock API's list cursors (HMAC).",
    key_usage="GENERATE_VERIFY_MAC",
    customer_master_key_spec="HMAC_256",
    deletion_window_in_days=30,
    policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [account_administers_the_key]}),
)
api_function = LambdaFunctionArgs(
    handler="handlers.http_api.handler",
    code=code,
    description=f"Sets and reads items and lists the low ones for the {'HTTP' if api_kind == 'http' else 'REST'} API.",
    statements=[
        allow(["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem"], [table.arn]),
        allow(["dynamodb:Query"], [pulumi.Output.concat(table.arn, "/index/low-items")]),
        allow(["kms:GenerateMac", "kms:VerifyMac"], [cursor_key.arn]),
    ],
    environment=ApiSettings(
        table_name=table.name, cursor_key_id=cursor_key.arn, times=update_times, reorder_default=reorder_default
    ).environment(),
    log_retention_days=log_retention_days,
)
api_routes = [Route("/stocks", ("GET", "POST")), Route("/stocks/{stock_id}", ("GET", "PUT"))]
# A REST API or an HTTP API in front of the same function (docs/deploying.md, "Which API"): the domain and the
# handler are the same, and so is the `endpoint_url` clients are given.
api: RestApiFunction | HttpApiFunction
if api_kind == "http":
    api = HttpApiFunction(
        "stock-api",
        HttpApiFunctionArgs(
            function=api_function,
            routes=api_routes,
            authorization=config.require("apiAuthorization"),
            throttling_rate_limit=config.require_int("apiThrottlingRateLimit"),
            throttling_burst_limit=config.require_int("apiThrottlingBurstLimit"),
        ),
    )
else:
    api = RestApiFunction(
        "stock-api",
        RestApiFunctionArgs(
            function=api_function,
            routes=api_routes,
            stage_name=config.require("apiStageName"),
            authorization=config.require("apiAuthorization"),
            throttling_rate_limit=config.require_int("apiThrottlingRateLimit"),
            throttling_burst_limit=config.require_int("apiThrottlingBurstLimit"),
            stage_depends_on=api_logging_ready,
        ),
    )

stock_import = QueueFunction(
    "stock-import",
    QueueFunctionArgs(
        function=LambdaFunctionArgs(
            handler="handlers.queue_import.handler",
            code=code,
            description="Applies STOCK_ID;LEVEL lines sent to the import queue.",
            statements=[allow(["dynamodb:UpdateItem"], [table.arn])],
            environment=ImportSettings(
                table_name=table.name, times=update_times, reorder_default=reorder_default
            ).environment(),
            timeout_seconds=config.require_int("importFunctionTimeoutSeconds"),
            log_retention_days=log_retention_days,
        ),
        batch_size=config.require_int("queueBatchSize"),
        batching_window_seconds=config.require_int("queueBatchingWindowSeconds"),
        maximum_concurrency=config.require_int("queueMaximumConcurrency"),
        max_receive_count=config.require_int("maxReceiveCount"),
        handler_sends_dead_letters=True,
        alarm_actions=[alarms_topic.arn],
    ),
)

# --- Alerts: the stream function detects each crossing and publishes it once to the topic; each channel the stack
# chose gets it from there on a path of its own (SMS and email subscribers; a queue and function per other channel),
# with its own retries, dead letters and alarm, so that a broken channel never holds back another.
alert_channels = checked_alert_channels("alertChannels", config.get_object("alertChannels") or [], tuple(Channel))
# What SNS cannot deliver to any subscription of the topic (an SMS or email refused; a channel's queue it may not
# write to, a key it may not use) waits here with an alarm, rather than being discarded
# (docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html); what it cannot write here either is lost, and
# alarmed on. Every subscription names this queue, so each failed notification sets one of these two alarms: one on
# the topic's NumberOfNotificationsFailed would only call again for the same alert.
subscriber_dead_letters = TopicDeadLetters(
    "low-stock-subscriber-dlq", alerts_topic, subscriber_dead_letters_key.arn, alarm_actions=[alarms_topic.arn]
)
alert_dead_letter_queues: dict[str, pulumi.Output[str]] = {Channel.SNS: subscriber_dead_letters.queue.url}
if Channel.SNS in alert_channels:
    sms_subscriptions(
        "low-stock-sms",
        alerts_topic.arn,
        config.get_object("notificationPhoneNumbers") or [],
        redrive_policy=subscriber_dead_letters.redrive_policy(),
    )
    email_subscriptions(
        "low-stock-email",
        alerts_topic.arn,
        checked_email_addresses("notificationEmails", config.get_object("notificationEmails") or []),
        redrive_policy=subscriber_dead_letters.redrive_policy(),
    )
sent_alerts_writes = allow(["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], [sent_alerts.arn])

# The stream's function marks items in the list of low items and writes nothing else of them. Its write is
# conditional on the item's field times and default being as it read them, and IAM counts the attributes a condition
# reads as well as those a write sets, table and index keys included (docs.aws.amazon.com/amazondynamodb/latest/
# developerguide/specifying-conditions.html): so those are named too. IAM cannot tell an attribute a condition reads
# from one a write sets, so the function could still write those times or the default; it can write no level,
# reorder point or alerts switch, and no attribute of any other name. Nor may it be answered with the whole item,
# which would hold the others: the write asks for no answer (ReturnValues NONE), and only answers of the attributes
# it updated are allowed, as in that page's example of access limited to some attributes.
low_list_marks = {
    **allow(["dynamodb:UpdateItem"], [table.arn]),
    "Condition": {
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
        "StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"]},
    },
}
low_stock_notifier = StreamFunction(
    "low-stock-notifier",
    StreamFunctionArgs(
        function=LambdaFunctionArgs(
            handler="handlers.low_stock_notifier.handler",
            code=code,
            description="Publishes a low-stock alert each time an item becomes low, and keeps the list of low items.",
            statements=[
                sent_alerts_writes,
                allow(["sns:Publish"], [alerts_topic.arn]),
                allow(["kms:Decrypt", "kms:GenerateDataKey"], [notification_key.arn]),
                low_list_marks,
            ],
            environment=NotifierSettings(
                topic_arn=alerts_topic.arn,
                sent_alerts_table=sent_alerts.name,
                table_name=table.name,
                reorder_default=reorder_default,
            ).environment(),
            # Each publish starts only if an attempt can end in time (handlers.time_budget): 30 s leaves room
            # for many per batch where the default 10 s would leave room for a few.
            timeout_seconds=config.require_int("notifierFunctionTimeoutSeconds"),
            log_retention_days=log_retention_days,
        ),
        stream_arn=table.stream_arn,
        maximum_record_age_seconds=config.require_int("streamMaximumRecordAgeSeconds"),
        filter_patterns=[{"eventName": ["INSERT", "MODIFY"]}],
        alarm_actions=[alarms_topic.arn],
    ),
)

# A chat post is tried WEBHOOK_DELIVERY_ATTEMPTS times, 5 s apart and doubling up to 15 minutes
# (handlers.webhook_alerts): about 36 minutes of a chat outage before an alert waits in the dead letters.
WEBHOOK_DELIVERY_ATTEMPTS = 10
alert_webhook: TopicQueueFunction | None = None
if Channel.WEBHOOK in alert_channels:
    refuse_plaintext(config, "alertWebhookUrl")
    webhook_url = stored_secret(
        "alert-webhook-url",
        checked_webhook_url("alertWebhookUrl", config.require_secret("alertWebhookUrl")),
        "The incoming-webhook URL of the chat channel that gets low-stock alerts.",
    )
    alert_webhook = TopicQueueFunction(
        "alert-webhook",
        TopicQueueFunctionArgs(
            function=QueueFunctionArgs(
                function=LambdaFunctionArgs(
                    handler="handlers.webhook_alerts.handler",
                    code=code,
                    description="Posts each low-stock alert to the chat channel's webhook, once.",
                    statements=[sent_alerts_writes, allow(["secretsmanager:GetSecretValue"], [webhook_url.secret.arn])],
                    environment=WebhookAlertSettings(
                        sent_alerts_table=sent_alerts.name,
                        webhook_secret_arn=webhook_url.secret.arn,
                        delivery_attempts=WEBHOOK_DELIVERY_ATTEMPTS,
                    ).environment(),
                    # Not before the URL is stored: an alert sent earlier would find no value and wait a retry.
                    depends_on=[webhook_url.version],
                    timeout_seconds=config.require_int("notifierFunctionTimeoutSeconds"),
                    log_retention_days=log_retention_days,
                ),
                # SQS moves a message itself only past the handler's last attempt: a function that crashed on it.
                max_receive_count=WEBHOOK_DELIVERY_ATTEMPTS + 2,
                handler_sends_dead_letters=True,
                handler_delays_retries=True,
                alarm_actions=[alarms_topic.arn],
            ),
            topic_arn=alerts_topic.arn,
            kms_key_arn=alert_queues_key.arn,
            subscription_redrive_policy=subscriber_dead_letters.redrive_policy(),
        ),
    )
    alert_dead_letter_queues[Channel.WEBHOOK] = alert_webhook.consumer.dead_letter_queue.url

# --- Files dropped in a bucket feed the same import queue, so its retries and dead letters serve them too.
stock_drop: BucketFunction | None = None
drop_prefix, report_prefix = "incoming/", "reports/"
if config.require_bool("dropBucket"):
    stock_drop = BucketFunction(
        "stock-drop",
        BucketFunctionArgs(
            function=LambdaFunctionArgs(
                handler="handlers.bucket_import.handler",
                code=code,
                description="Checks stock files dropped in the bucket and sends their lines to the import queue.",
                statements=[
                    allow(["sqs:SendMessage", "sqs:GetQueueAttributes"], [stock_import.queue.arn]),
                    allow(["sqs:SendMessage"], [stock_import.dead_letter_queue.arn]),
                ],
                environment=BucketImportSettings(
                    import_queue_url=stock_import.queue.url,
                    dead_letters=DeadLetterQueue(url=stock_import.dead_letter_queue.url),
                    times=update_times,
                ).environment(),
                memory_size=config.require_int("dropFunctionMemoryMb"),
                timeout_seconds=config.require_int("dropFunctionTimeoutSeconds"),
                log_retention_days=log_retention_days,
            ),
            input_prefix=drop_prefix,
            output_prefix=report_prefix,
            input_expiration_days=config.require_int("dropFileExpirationDays"),
            output_expiration_days=config.require_int("dropReportExpirationDays"),
            alarm_actions=[alarms_topic.arn],
        ),
    )

# --- Outputs.
pulumi.export("endpoint_url", api.url)
pulumi.export("queue_url", stock_import.queue.url)
pulumi.export("dead_letter_queue_url", stock_import.dead_letter_queue.url)
pulumi.export("failure_queue_url", low_stock_notifier.failure_queue.url)
if stock_drop is not None:
    pulumi.export("drop_bucket_name", stock_drop.bucket.bucket)
    pulumi.export("drop_prefix", drop_prefix)
    pulumi.export("report_prefix", report_prefix)
    pulumi.export("drop_failure_queue_url", stock_drop.failure_queue.url)
pulumi.export("table_name", table.name)
pulumi.export("topic_arn", alerts_topic.arn)
pulumi.export("alert_dead_letter_queue_urls", alert_dead_letter_queues)
