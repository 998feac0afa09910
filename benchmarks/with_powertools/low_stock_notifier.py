"""The notifier function (one publish per alert to the topic, naming its change; the item's place in the list of low
items kept right) with Powertools' Logger, BatchProcessor and idempotency in place of our stream adapter's partial
batch response (adapters/inbound/dynamodb_stream.py) and our sent-alerts claim
(adapters/outbound/dynamodb_sent_alerts.py). The persistence layer is built when the module is imported, as
Powertools' documentation shows it: the decorator needs it."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from adapters.inbound.dynamodb_stream import parse_stream_records
from adapters.outbound.dynamodb_low_stock_list import DynamoDbLowStockList
from adapters.outbound.sns_low_stock_notifier import SnsLowStockNotifier
from domain.item import Source
from domain.low_stock import DEFAULT_REORDER_POINT, LowStockAlert, is_low, low_stock_alert, parse_threshold
from domain.ports import LowStockList
from handlers.aws import AwsClients
from handlers.settings import NotifierSettings

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
settings = NotifierSettings[str].from_environment(os.environ)
persistence = DynamoDBPersistenceLayer(table_name=settings.sent_alerts_table)
# An alert is sent once per change: the change's id is the idempotency key.
once_per_change = IdempotencyConfig(event_key_jmespath="change_id", expires_after_seconds=48 * 3600)


@functools.cache
def _clients() -> AwsClients:
    return AwsClients(settings.limits)


@functools.cache
def _topic() -> SnsLowStockNotifier:
    return SnsLowStockNotifier(_clients().sns, settings.topic_arn)


@functools.cache
def _low_list() -> LowStockList:
    return DynamoDbLowStockList(_clients().dynamodb, settings.table_name)


@functools.cache
def _stack_default() -> int:
    return parse_threshold(settings.reorder_default.or_(DEFAULT_REORDER_POINT))


def _send(alert: dict[str, Any]) -> None:
    # Named after its change, as ours is: each channel's function sends it once by that name.
    topic = _topic().for_change(alert["change_id"])
    topic.send(LowStockAlert(alert["stock_id"], alert["level"], alert["reorder_point"], Source(alert["source"])))
    logger.info("low-stock alert sent", stock_id=alert["stock_id"], stock_level=alert["level"])


# What `@idempotent_function(...)` above `_send` would do; applied by hand, as the decorator is untyped.
send_once: Callable[..., None] = idempotent_function(
    _send, data_keyword_argument="alert", persistence_store=persistence, config=once_per_change
)


def record_handler(record: DynamoDBRecord) -> None:
    """Send the alert of one change if the item became low, and list or unlist it; raising makes BatchProcessor
    report the record. A record of the list's own mark calls for nothing."""
    [parsed] = parse_stream_records({"Records": [record.raw_event]})
    change = parsed.change
    if change is None or change.only_list_mark:
        return
    alert = low_stock_alert(change.previous, change.current, _stack_default())
    if alert is not None:
        send_once(
            alert={
                "change_id": parsed.event_id,
                "stock_id": alert.stock_id,
                "level": alert.level,
                "reorder_point": alert.reorder_point,
                "source": str(alert.source),
            }
        )
    low = is_low(change.current, _stack_default())
    if low != change.current.listed_low:
        _low_list().list_as_low(change.current, low)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    once_per_change.register_lambda_context(context)  # a claim in progress expires with the invocation
    return dict(process_partial_response(event, record_handler, processor, context))
