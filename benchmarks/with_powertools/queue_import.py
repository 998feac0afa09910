"""The import function with Powertools' Logger and BatchProcessor in place of our SQS batch adapter
(adapters/inbound/sqs_batch.py) and the standard library's logging in Lambda's JSON log format."""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from adapters.inbound.stock_lines import parse_stock_lines
from adapters.outbound.dynamodb_stock_repository import DynamoDbStockRepository
from adapters.outbound.sqs_rejected_input_store import SqsRejectedInputStore
from domain.use_cases import set_stock_levels
from handlers.aws import WRITE_CONCURRENCY, AwsClients
from handlers.settings import ImportFunctionSettings

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


@functools.cache
def _settings() -> ImportFunctionSettings:
    return ImportFunctionSettings.from_environment(os.environ)


@functools.cache
def _clients() -> AwsClients:
    return AwsClients(_settings().limits)


@functools.cache
def _repository() -> DynamoDbStockRepository:
    return DynamoDbStockRepository(_clients().dynamodb, _settings().table_name, concurrency=WRITE_CONCURRENCY)


@functools.cache
def _rejected_input_store() -> SqsRejectedInputStore:
    return SqsRejectedInputStore(_clients().sqs, _settings().dead_letters.url)


def record_handler(record: SQSRecord) -> None:
    """Apply one message's lines; raising makes BatchProcessor report the message for retry."""
    parsed = parse_stock_lines(record.body, source=record.message_id)
    sent_at = datetime.fromtimestamp(int(record.attributes.sent_timestamp) / 1000, UTC)
    set_stock_levels(parsed.updates, sent_at, _repository())
    if parsed.rejected:
        _rejected_input_store().keep(parsed.rejected)
    logger.info("message applied", message_id=record.message_id, rejected=len(parsed.rejected))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(process_partial_response(event, record_handler, processor, context))
