"""`make stock ID=...`: one item as stored and as the rule sees it, its alerts by channel (found by index, never by a
scan), and what waits about it in the dead-letter queues, left where it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from handlers.settings import Channel
from tools import stock_report
from tools.stock_report import alert_lines, channel_of, dead_letter_lines, item_lines

REGION = "eu-west-3"
TABLE, SENT, OLD_SENT = "stock-levels", "sent-alerts", "sent-alerts-before-the-index"
STACK_DEFAULT = 4


def s(text: str) -> dict[str, str]:
    return {"S": text}


def n(number: int) -> dict[str, str]:
    return {"N": str(number)}


def attributes(values: dict[str, str]) -> dict[str, Any]:
    return {name: {"DataType": "String", "StringValue": value} for name, value in values.items()}


class Stack:
    """The stock table, the sent-alert record with its index by item, and the queues dead letters wait in."""

    def __init__(self) -> None:
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "stock_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "stock_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.dynamodb.create_table(
            TableName=SENT,
            KeySchema=[{"AttributeName": "change_id", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "change_id", "AttributeType": "S"},
                {"AttributeName": "stock_id", "AttributeType": "S"},
                {"AttributeName": "claimed_at", "AttributeType": "N"},
            ],
            # As the program declares it: keys only, so the records themselves are read from the table.
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-item",
                    "KeySchema": [
                        {"AttributeName": "stock_id", "KeyType": "HASH"},
                        {"AttributeName": "claimed_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        self.dynamodb.create_table(
            TableName=OLD_SENT,
            KeySchema=[{"AttributeName": "change_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "change_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        queue = lambda name: self.sqs.create_queue(QueueName=name)["QueueUrl"]  # noqa: E731
        self.outputs: dict[str, Any] = {
            "table_name": TABLE,
            "topic_arn": f"arn:aws:sns:{REGION}:123456789012:low-stock-alerts",
            "queue_url": queue("stock-import"),
            "dead_letter_queue_url": queue("stock-import-dlq"),
            "failure_queue_url": queue("low-stock-notifier-failures"),
            "alert_dead_letter_queue_urls": {"sns": queue("subscriber-dlq"), "webhook": queue("alert-webhook-dlq")},
        }

    def put(self, stock_id: str, **values: dict[str, Any]) -> None:
        self.dynamodb.put_item(TableName=TABLE, Item={"stock_id": s(stock_id), **values})

    def record(self, change_id: str, stock_id: str, status: str = "SENT", claimed_at: str = "1765929600.250") -> None:
        item = {
            "change_id": s(change_id),
            "stock_id": s(stock_id),
            "status": s(status),
            "claimed_at": {"N": claimed_at},
            "expires_at": n(1767225600),
        }
        self.dynamodb.put_item(TableName=SENT, Item=item)

    def send(self, queue: str, body: str, **values: str) -> None:
        self.sqs.send_message(QueueUrl=queue, MessageBody=body, MessageAttributes=attributes(values))

    def waiting(self, queue: str) -> int:
        found = self.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
        return int(found["Attributes"]["ApproximateNumberOfMessages"])


@pytest.fixture
def stack() -> Iterator[Stack]:
    with mock_aws():
        yield Stack()


def test_a_low_item_with_its_own_reorder_point_is_shown_field_by_field_and_listed(stack):
    stack.put(
        "A1",
        stock_level=n(2),
        as_of=s("2024-05-01T12:00:00.000000Z"),
        reorder_point=n(3),
        reorder_point_as_of=s("2024-04-01T08:00:00.000000Z"),
        default_reorder_point=n(1),
        low_list_shard=s("5"),
    )
    assert item_lines(stack.dynamodb, TABLE, "A1", STACK_DEFAULT) == [
        "A1 in stock-levels:",
        "  stock_level            2            as of 2024-05-01T12:00:00.000000Z",
        "  reorder_point          3            as of 2024-04-01T08:00:00.000000Z",
        "  low_stock_alerts       on (never set)",
        "  default_reorder_point  1            written with the item",
        "  reorder point in force: 3, the item's own",
        "  low now: yes (level 2 <= 3)",
        "  listed as low: yes (shard 5)",
    ]


def test_an_item_stored_before_defaults_were_written_is_judged_by_the_stacks_default_and_a_missing_mark_is_named(
    stack,
):
    stack.put(
        "OLD",
        stock_level=n(4),
        as_of=s("2024-05-01T12:00:00.000000Z"),
        reorder_point_as_of=s("2024-04-01T08:00:00.000000Z"),  # set back to the default: the time stays
    )
    lines = item_lines(stack.dynamodb, TABLE, "OLD", STACK_DEFAULT)
    assert lines[2] == "  reorder_point          the stack's default (set back) as of 2024-04-01T08:00:00.000000Z"
    assert lines[4:] == [
        "  default_reorder_point  none written with the item",
        "  reorder point in force: 4, the stack's default (none written with the item)",
        "  low now: yes (level 4 <= 4)",
        "  listed as low: no",
        "  ! the list of low items does not agree yet: the stream's function sets it after each change, and "
        "`make dlq` lists the changes it gave up on",
    ]


def test_an_item_with_its_alerts_off_is_not_low_and_says_why(stack):
    stack.put(
        "OFF",
        stock_level=n(0),
        as_of=s("2024-05-01T12:00:00.000000Z"),
        low_stock_alerts={"BOOL": False},
        low_stock_alerts_as_of=s("2024-05-02T12:00:00.000000Z"),
        default_reorder_point=n(1),
    )
    lines = item_lines(stack.dynamodb, TABLE, "OFF", STACK_DEFAULT)
    assert lines[3] == "  low_stock_alerts       off          as of 2024-05-02T12:00:00.000000Z"
    assert lines[6] == "  low now: no (its alerts are off)"


def test_an_item_the_functions_cannot_read_is_shown_as_stored_and_the_upgrade_named(stack):
    stack.put("FROZEN", stock_level=n(4), as_of=s("the first of May"))
    lines = item_lines(stack.dynamodb, TABLE, "FROZEN", STACK_DEFAULT)
    assert lines[1] == "  stock_level            4            as of the first of May"
    assert lines[-1].startswith("  The functions cannot read this item (")
    assert lines[-1].endswith("`make upgrade` rewrites its times in the stored form.")


def test_an_item_never_stored_is_said_so(stack):
    assert item_lines(stack.dynamodb, TABLE, "NONE", STACK_DEFAULT) == ["NONE: no such item in stock-levels."]


def test_each_channels_alert_records_of_the_item_are_found_by_the_index_and_read_from_the_table(stack, mocker):
    stack.record("4962f1:1", "A1", claimed_at="1765929600.250")
    stack.record("webhook:4962f1:1", "A1", status="SENDING", claimed_at="1765929601")
    stack.record("1b2c3d:1", "A1", claimed_at="1765843200")  # claimed a day earlier: listed first
    stack.record("77a0c3:1", "B2")
    scans = mocker.spy(stack.dynamodb, "scan")
    reads = mocker.spy(stack.dynamodb, "batch_get_item")

    lines = alert_lines(stack.dynamodb, {Channel.SNS: SENT, Channel.WEBHOOK: SENT}, "A1")

    assert lines == [
        "Alerts recorded (each channel's record of the alerts it sent, kept 14 days after it was sent, then removed "
        "by time to live):",
        "  sns (sent-alerts):",
        "    change 1b2c3d:1  SENT  claimed 2025-12-16 00:00:00 UTC  kept until 2026-01-01 00:00:00 UTC",
        "    change 4962f1:1  SENT  claimed 2025-12-17 00:00:00 UTC  kept until 2026-01-01 00:00:00 UTC",
        "  webhook (sent-alerts):",
        "    change webhook:4962f1:1  SENDING  claimed 2025-12-17 00:00:01 UTC  kept until 2026-01-01 00:00:00 UTC",
    ]
    assert scans.call_count == 0
    [read] = reads.call_args_list
    assert read.kwargs["RequestItems"][SENT]["ConsistentRead"] is True
    assert alert_lines(stack.dynamodb, {Channel.SNS: SENT}, "C3")[1:] == ["  sns (sent-alerts): none for C3"]


def test_a_record_removed_between_the_index_and_the_table_is_named_as_gone(stack, mocker):
    stack.record("4962f1:1", "A1")
    real = stack.dynamodb.batch_get_item

    def after_time_to_live_removed_it(**request):
        stack.dynamodb.delete_item(TableName=SENT, Key={"change_id": s("4962f1:1")})
        return real(**request)

    mocker.patch.object(stack.dynamodb, "batch_get_item", side_effect=after_time_to_live_removed_it)
    assert alert_lines(stack.dynamodb, {Channel.SNS: SENT}, "A1")[1:] == [
        "  sns (sent-alerts):",
        "    change 4962f1:1  claimed 2025-12-17 00:00:00 UTC  no longer in the table (removed since the index was "
        "read)",
    ]


def test_the_records_of_an_item_with_many_alerts_are_read_a_hundred_at_a_time(stack, mocker):
    for number in range(150):
        stack.record(f"c{number:03d}:1", "A1", claimed_at=str(1765929600 + number))
    reads = mocker.spy(stack.dynamodb, "batch_get_item")
    lines = alert_lines(stack.dynamodb, {Channel.SNS: SENT}, "A1")
    assert [len(call.kwargs["RequestItems"][SENT]["Keys"]) for call in reads.call_args_list] == [100, 50]
    assert len(lines) == 152
    assert all("  SENT  claimed " in line for line in lines[2:])


def test_a_sent_alert_table_without_the_index_is_named_not_scanned(stack, mocker):
    scans = mocker.spy(stack.dynamodb, "scan")
    lines = alert_lines(stack.dynamodb, {Channel.SNS: OLD_SENT}, "A1")
    assert lines[1] == (
        f"  sns ({OLD_SENT}): no index by-item, so its records cannot be found by item without a scan: deploy "
        "the version that adds it"
    )
    assert scans.call_count == 0


def test_a_records_channel_is_read_from_its_change_id_as_each_channel_claims():
    assert channel_of("4962f1:1") == Channel.SNS
    assert channel_of("webhook:4962f1:1") == Channel.WEBHOOK


def test_what_waits_about_the_item_is_listed_and_left_on_its_queues(stack):
    outputs = stack.outputs
    stack.send(
        outputs["dead_letter_queue_url"], "A1;x", reason="line 1: stock_level must be a whole number", source="f:1"
    )
    stack.send(
        outputs["dead_letter_queue_url"], "B2;y", reason="line 2: stock_level must be a whole number", source="f:2"
    )
    stack.send(outputs["dead_letter_queue_url"], "B2;3\nA1;4\nC3;1")
    stack.send(outputs["dead_letter_queue_url"], "C3;1")
    stack.send(outputs["failure_queue_url"], json.dumps({"not": "read here"}))
    webhook = outputs["alert_dead_letter_queue_urls"]["webhook"]
    stack.send(webhook, "Low stock: A1", stock_id="A1", stock_level="0", channel="webhook", status="500", reason="500")
    stack.send(webhook, "Low stock: B2", stock_id="B2", stock_level="1", channel="webhook", status="500", reason="500")

    lines = dead_letter_lines(stack.sqs, outputs, "A1")

    assert lines[:4] == [
        "Dead letters about A1:",
        "  1 rejected line(s) in the dead-letter queue, by reason:",
        "    1 x stock_level must be a whole number",
        "        f:1  'A1;x'",
    ]
    assert lines[4].startswith("  1 whole message(s) that exhausted their retries, the oldest sent ")
    assert lines[5:] == [
        "      'A1;4'",
        "  1 alert(s) the webhook channel could not deliver; once the chat takes posts again, `make redrive "
        "CHANNEL=webhook` posts them:",
        "    A1  level 0  channel webhook  status 500  500",
        "  Also waiting, naming no item: 1 stream batch(es) the notifier gave up on; `make dlq` lists them",
    ]
    # Looked at, not consumed: every message can be received again at once.
    assert stack.waiting(outputs["dead_letter_queue_url"]) == 4
    assert stack.waiting(webhook) == 2
    assert stack.waiting(outputs["failure_queue_url"]) == 1


def test_nothing_waiting_about_the_item_is_said_so(stack):
    stack.send(stack.outputs["dead_letter_queue_url"], "B2;y", reason="line 2: bad", source="f:2")
    assert dead_letter_lines(stack.sqs, stack.outputs, "A1") == [
        "Dead letters about A1:",
        "  none in the import dead-letter queue or the alert channels' dead letters",
    ]


def test_the_report_reads_the_stacks_default_and_its_sent_alert_tables_from_its_functions(
    stack, mocker, capsys, tmp_path
):
    stack.put("A1", stock_level=n(4), as_of=s("2024-05-01T12:00:00.000000Z"))
    stack.record("4962f1:1", "A1")
    settings = mocker.patch.object(stock_report, "read_deployed_settings")
    settings.return_value.default_reorder_point = STACK_DEFAULT
    settings.return_value.sent_alert_tables = {Channel.SNS: SENT}
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(stack.outputs))

    assert stock_report.main(["A1", "--outputs", str(outputs)]) == 0

    out = capsys.readouterr().out
    assert "  low now: yes (level 4 <= 4)" in out
    assert "    change 4962f1:1  SENT  claimed 2025-12-17 00:00:00 UTC  kept until 2026-01-01 00:00:00 UTC" in out
    assert "Dead letters about A1:" in out
