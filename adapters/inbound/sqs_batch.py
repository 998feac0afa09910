"""SQS batch events in, partial batch responses (`batchItemFailures`) out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class QueueMessage:
    """One SQS message of a batch: its id, its text and when it was first sent."""

    message_id: str
    body: str
    sent_at: datetime


def parse_queue_messages(event: dict[str, Any]) -> list[QueueMessage]:
    """The messages of an SQS event, in order."""
    return [_message(record) for record in event.get("Records") or []]


def _message(record: dict[str, Any]) -> QueueMessage:
    sent_ms = (record.get("attributes") or {}).get("SentTimestamp")
    sent_at = datetime.fromtimestamp(int(sent_ms) / 1000, UTC) if sent_ms else datetime.now(UTC)
    return QueueMessage(str(record["messageId"]), str(record.get("body") or ""), sent_at)


def partial_batch_response(failed_message_ids: Iterable[str]) -> dict[str, Any]:
    """Tell Lambda to retry only these messages."""
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed_message_ids]}
