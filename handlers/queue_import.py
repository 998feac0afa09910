"""Lambda on the import queue: apply `STOCK_ID;LEVEL[;AS_OF]` lines, keep bad lines in the dead-letter queue."""

from __future__ import annotations

import functools
import logging
import os
from typing import Any

from adapters.inbound.sqs_batch import QueueMessage, parse_queue_messages, partial_batch_response
from adapters.inbound.stock_lines import parse_stock_lines
from adapters.outbound.dynamodb_stock_repository import DynamoDbStockRepository
from adapters.outbound.sqs_rejected_input_store import SqsRejectedInputStore
from domain.use_cases import set_stock_levels
from handlers import aws
from handlers.settings import ImportFunctionSettings
from handlers.time_budget import start_invocation

logger = logging.getLogger(__name__)


@functools.cache
def _settings() -> ImportFunctionSettings:
    return ImportFunctionSettings.from_environment(os.environ)


@functools.cache
def _repository() -> DynamoDbStockRepository:
    return DynamoDbStockRepository(aws.dynamodb(), _settings().table_name, concurrency=aws.WRITE_CONCURRENCY)


@functools.cache
def _rejected_input_store() -> SqsRejectedInputStore:
    return SqsRejectedInputStore(aws.sqs(), _settings().dead_letters.url)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Apply every message of the batch; report for retry those that failed for a transient reason, and those
    left unstarted when the time left might not fit one more (a time-out would redo the finished ones too)."""
    budget = start_invocation(context)
    failed = []
    for message in parse_queue_messages(event):
        if not budget.allows_another() or not _apply(message):
            failed.append(message.message_id)
        budget.finished_one()
    return partial_batch_response(failed)


def _apply(message: QueueMessage) -> bool:
    parsed = parse_stock_lines(message.body, source=message.message_id)
    try:
        # Valid lines first: a retry re-applies them as no-ops, while rejected lines would be kept twice.
        outcomes = set_stock_levels(parsed.updates, message.sent_at, _repository())
        if parsed.rejected:
            _rejected_input_store().keep(parsed.rejected)
    except Exception:
        logger.exception("message failed; it will be retried", extra={"message_id": message.message_id})
        return False
    for rejected in parsed.rejected:
        logger.warning(
            "line %s rejected and kept in the dead-letter queue: %s",
            rejected.source,
            rejected.reason,
            extra={"source": rejected.source, "line": rejected.content, "reason": rejected.reason},
        )
    logger.info(
        "message applied",
        extra={
            "message_id": message.message_id,
            "applied": sum(outcome.applied for outcome in outcomes),
            "stale": sum(not outcome.applied for outcome in outcomes),
            "rejected": len(parsed.rejected),
        },
    )
    return True
