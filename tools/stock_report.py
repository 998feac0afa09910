"""`make stock ID=...`: what the stack holds about one item, without a table scan: the item as stored, each field with
its time; the reorder point in force and whether the item is low now and listed as low; each alert channel's records
of its alerts; and what waits about it in the dead-letter queues (read as `make dlq` reads them: nothing consumed).

    python -m tools.stock_report A1                 # the local stack (.local/outputs.json)
    python -m tools.stock_report A1 --stack dev     # a deployed stack (`pulumi stack output`)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.dynamodb_items import (
    DEFAULT_REORDER_POINT,
    LOW_LIST_SHARD,
    STOCK_ID,
    TIME,
    VALUE,
    item_from_attributes,
)
from adapters.outbound.dynamodb_sent_alerts import BY_ITEM_INDEX, CLAIMED_AT
from domain.errors import InvalidStockInput
from domain.item import Source
from domain.stock import Field
from domain.use_cases import ItemStatus, StockRules, status_of
from handlers.sent_alerts import KEEP_SENT_SECONDS
from handlers.settings import Channel
from tools.dead_letters import Waiting, alert_dead_letter, describe, look, release, release_failures
from tools.deployed_settings import read_deployed_settings
from tools.stack_outputs import sqs_client, stack_client, stack_outputs

# The index of each sent-alert table that finds an item's records, and its key; the table's own key.
RECORD_STOCK_ID, CHANGE_ID = "stock_id", "change_id"
DAY_SECONDS = 24 * 3600
_KEYS_PER_BATCH = 100
_BATCH_TRIES = 5
_FIRST_WAIT_SECONDS = 0.05


def item_lines(dynamodb: Any, table: str, stock_id: str, stack_default: int) -> list[str]:
    """The item as stored (GetItem, consistent), and what the rule says of it with the stack's default."""
    attributes = dynamodb.get_item(TableName=table, Key={STOCK_ID: {"S": stock_id}}, ConsistentRead=True).get("Item")
    if attributes is None:
        return [f"{stock_id}: no such item in {table}."]
    lines = [f"{stock_id} in {table}:"]
    lines.extend(_field_line(attributes, field) for field in Field)
    default = attributes.get(DEFAULT_REORDER_POINT)
    lines.append(
        f"  {DEFAULT_REORDER_POINT:<22} "
        + (f"{default['N']:<12} written with the item" if default else "none written with the item")
    )
    listed = attributes.get(LOW_LIST_SHARD)
    try:
        status = status_of(item_from_attributes(attributes), StockRules(default_reorder_point=stack_default))
    except (ValueError, KeyError, InvalidStockInput) as error:
        return [
            *lines,
            f"  The functions cannot read this item ({error}): `make upgrade` rewrites its times in the stored form.",
        ]
    point, item = status.reorder_point, status.item
    if point.source == Source.ITEM:
        whose = "the item's own"
    elif item.default_reorder_point is not None:
        whose = "the default written with the item"
    else:
        whose = "the stack's default (none written with the item)"
    lines.append(f"  reorder point in force: {point.value}, {whose}")
    lines.append(f"  low now: {_low_now(status)}")
    lines.append(f"  listed as low: {'yes (shard ' + listed['S'] + ')' if listed else 'no'}")
    if status.low != item.listed_low:
        lines.append(
            "  ! the list of low items does not agree yet: the stream's function sets it after each change, and "
            "`make dlq` lists the changes it gave up on"
        )
    return lines


def _field_line(attributes: Mapping[str, Any], field: Field) -> str:
    value, time = attributes.get(VALUE[field]), attributes.get(TIME[field])
    if time is None:
        shown = "on (never set)" if field == Field.ALERTS else "never set"
        return f"  {VALUE[field]:<22} {shown}"
    if value is None or "NULL" in value:
        text = "the stack's default (set back)"
    elif "BOOL" in value:
        text = "on" if value["BOOL"] else "off"
    else:
        text = str(next(iter(value.values())))
    return f"  {VALUE[field]:<22} {text:<12} as of {time.get('S', time)}"


def _low_now(status: ItemStatus) -> str:
    level, point = status.item.level, status.reorder_point.value
    if level is None:
        return "no (no level set)"
    if status.low:
        return f"yes (level {level.value} <= {point})"
    if not status.item.alerts_on:
        return "no (its alerts are off)"
    return f"no (level {level.value} > {point})"


def channel_of(change_id: str) -> Channel:
    """The channel a sent-alert record belongs to: each channel but the topic claims with its name before the change
    id, the topic with the bare change id (handlers.sent_alerts)."""
    for channel in Channel:
        if channel != Channel.SNS and change_id.startswith(f"{channel}:"):
            return channel
    return Channel.SNS


def alert_lines(dynamodb: Any, tables: Mapping[Channel, str], stock_id: str) -> list[str]:
    """Each channel's records of the item's alerts, found by the index `by-item` of its table and read from the table
    itself (the index holds only their keys); a table without that index is named, not scanned."""
    lines = [
        "Alerts recorded (each channel's record of the alerts it sent, kept "
        f"{KEEP_SENT_SECONDS // DAY_SECONDS} days after it was sent, then removed by time to live):"
    ]
    records: dict[Channel, list[Record]] = {channel: [] for channel in tables}
    missing: dict[str, str] = {}
    for table in sorted(set(tables.values())):
        reason = _index_missing(dynamodb, table)
        if reason:
            missing[table] = reason
            continue
        for record in _records_of(dynamodb, table, stock_id):
            records.setdefault(channel_of(record.change_id), []).append(record)
    for channel, table in sorted(tables.items()):
        if table in missing:
            lines.append(f"  {channel} ({table}): {missing[table]}")
        elif not records.get(channel):
            lines.append(f"  {channel} ({table}): none for {stock_id}")
        else:
            lines.append(f"  {channel} ({table}):")
            lines.extend(record.line() for record in records[channel])
    return lines


def _index_missing(dynamodb: Any, table: str) -> str | None:
    indexes = dynamodb.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes") or []
    index = next((each for each in indexes if each["IndexName"] == BY_ITEM_INDEX), None)
    if index is None:
        return (
            f"no index {BY_ITEM_INDEX}, so its records cannot be found by item without a scan: deploy the version that "
            "adds it"
        )
    if index.get("IndexStatus", "ACTIVE") != "ACTIVE":
        return f"its index {BY_ITEM_INDEX} is {index['IndexStatus']}: ask again once it is ACTIVE"
    return None


@dataclass(frozen=True)
class Record:
    """One sent-alert record as its table holds it (`stored` None: found by the index, gone from the table since)."""

    change_id: str
    claimed_at: str
    stored: Mapping[str, Any] | None

    def line(self) -> str:
        claimed = f"claimed {_time(float(self.claimed_at))}"
        if self.stored is None:
            return f"    change {self.change_id}  {claimed}  no longer in the table (removed since the index was read)"
        status = self.stored.get("status", {}).get("S", "?")
        kept = self.stored.get("expires_at", {}).get("N")
        until = f"  kept until {_time(float(kept))}" if kept else ""
        return f"    change {self.change_id}  {status}  {claimed}{until}"


def _records_of(dynamodb: Any, table: str, stock_id: str) -> list[Record]:
    """The item's records in the order they were claimed: their keys from the index, each record from the table."""
    keys: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        page = dynamodb.query(
            TableName=table,
            IndexName=BY_ITEM_INDEX,
            KeyConditionExpression="#id = :id",
            ExpressionAttributeNames={"#id": RECORD_STOCK_ID},
            ExpressionAttributeValues={":id": {"S": stock_id}},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        keys.extend(page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    stored = _read_records(dynamodb, table, [key[CHANGE_ID]["S"] for key in keys])
    return [Record(key[CHANGE_ID]["S"], key[CLAIMED_AT]["N"], stored.get(key[CHANGE_ID]["S"])) for key in keys]


def _read_records(dynamodb: Any, table: str, change_ids: list[str]) -> dict[str, Mapping[str, Any]]:
    """The records stored now under these change ids (strongly consistent), by change id; BatchGetItem reads 100 keys
    a call and may leave some unprocessed, to be asked for again after a wait
    (docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html)."""
    read: dict[str, Mapping[str, Any]] = {}
    for first in range(0, len(change_ids), _KEYS_PER_BATCH):
        keys = [{CHANGE_ID: {"S": change_id}} for change_id in change_ids[first : first + _KEYS_PER_BATCH]]
        wanted: Any = {
            table: {
                "Keys": keys,
                "ConsistentRead": True,
                "ProjectionExpression": "#change, #status, #expires",
                "ExpressionAttributeNames": {"#change": CHANGE_ID, "#status": "status", "#expires": "expires_at"},
            }
        }
        for attempt in range(_BATCH_TRIES):
            if attempt:
                time.sleep(_FIRST_WAIT_SECONDS * 2**attempt)
            response = dynamodb.batch_get_item(RequestItems=wanted)
            for record in response.get("Responses", {}).get(table, []):
                read[record[CHANGE_ID]["S"]] = record
            wanted = response.get("UnprocessedKeys")
            if not wanted:
                break
        else:
            raise RuntimeError(f"records of {table} still unread after {_BATCH_TRIES} tries of BatchGetItem")
    return read


def _time(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def dead_letter_lines(sqs: Any, outputs: dict[str, Any], stock_id: str) -> list[str]:
    """What waits about the item in the dead-letter queues, as `make dlq` lists it; every message is made visible
    again at once."""
    waiting = look(sqs, outputs)
    try:
        about = about_item(waiting, stock_id)
    finally:
        release(sqs, outputs["dead_letter_queue_url"], waiting.rejected + waiting.whole)
        release_failures(sqs, outputs, waiting)
    lines = [f"Dead letters about {stock_id}:"]
    if not (about.rejected or about.whole or any(about.alerts.values())):
        lines.append("  none in the import dead-letter queue or the alert channels' dead letters")
    if about.rejected or about.whole:
        lines.extend(f"  {line}" for line in describe(Waiting(about.rejected, about.whole, [], [])))
        for message in about.whole:
            lines.extend(f"      {line!r}" for line in str(message["Body"]).splitlines() if _line_id(line) == stock_id)
    if any(about.alerts.values()):
        lines.extend(f"  {line}" for line in describe(Waiting([], [], [], [], about.alerts)))
    unnamed = [
        (len(waiting.failures), "stream batch(es) the notifier gave up on"),
        (len(waiting.dropped), "dropped file(s)"),
    ]
    if any(count for count, _ in unnamed):
        counted = " and ".join(f"{count} {what}" for count, what in unnamed if count)
        lines.append(f"  Also waiting, naming no item: {counted}; `make dlq` lists them")
    return lines


def about_item(waiting: Waiting, stock_id: str) -> Waiting:
    """The messages of `waiting` about the item: its rejected lines, the whole messages with a line of it, its
    alerts; stream failures and dropped files name no item, so none of them."""
    return Waiting(
        rejected=[m for m in waiting.rejected if _line_id(str(m["Body"])) == stock_id],
        whole=[m for m in waiting.whole if any(_line_id(line) == stock_id for line in str(m["Body"]).splitlines())],
        failures=[],
        dropped=[],
        alerts={
            channel: [m for m in messages if alert_dead_letter(channel, m).item == stock_id]
            for channel, messages in waiting.alerts.items()
        },
    )


def _line_id(line: str) -> str:
    return line.split(";", 1)[0].strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make stock ID=...", description=__doc__.split("\n\n")[0])
    parser.add_argument("stock_id", help="the item's id")
    parser.add_argument("--stack", help="a deployed Pulumi stack; the local stack by default")
    parser.add_argument("--outputs", type=Path, default=Path(".local/outputs.json"), help="the local stack's outputs")
    args = parser.parse_args(argv)
    outputs = stack_outputs(args.stack, args.outputs)
    settings = read_deployed_settings(stack_client("lambda", outputs), outputs)
    dynamodb = stack_client("dynamodb", outputs)
    lines = item_lines(dynamodb, outputs["table_name"], args.stock_id, settings.default_reorder_point)
    lines += alert_lines(dynamodb, settings.sent_alert_tables, args.stock_id)
    lines += dead_letter_lines(sqs_client(outputs), outputs, args.stock_id)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
