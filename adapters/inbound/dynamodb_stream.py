"""DynamoDB stream events (NEW_AND_OLD_IMAGES) in, partial batch responses out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from domain.errors import InvalidStockInput
from domain.low_stock import LevelChange
from domain.stock import validate_level

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamRecord:
    """One stream record: its sequence number, the change of level it carries (if any), and the record's id,
    the same each time the stream delivers it again."""

    sequence_number: str
    change: LevelChange | None
    event_id: str = ""


def parse_stream_records(event: dict[str, Any]) -> list[StreamRecord]:
    """The records of a stream event, in shard order; a record with no level to react to has change None."""
    return [
        StreamRecord(str(record["dynamodb"]["SequenceNumber"]), _change(record), str(record.get("eventID", "")))
        for record in event.get("Records") or []
    ]


def _change(record: dict[str, Any]) -> LevelChange | None:
    images = record["dynamodb"]
    new_image = images.get("NewImage")
    if record.get("eventName") == "REMOVE" or not new_image or "stock_level" not in new_image:
        return None  # nothing was removed from stock, or the item has no level yet
    try:
        old_image = images.get("OldImage")
        return LevelChange(
            stock_id=_string(new_image, "stock_id"),
            previous=_level(old_image) if old_image and "stock_level" in old_image else None,
            new=_level(new_image),
        )
    except (InvalidStockInput, KeyError, TypeError) as error:
        # The item stays in the table; a record that can never parse must not hold back the shard.
        logger.error(
            "stream record has no valid stock level; skipped",
            extra={"sequence_number": images.get("SequenceNumber"), "error": str(error)},
        )
        return None


def _string(image: dict[str, Any], name: str) -> str:
    return str(image[name]["S"])


def _level(image: dict[str, Any]) -> int:
    return validate_level(image["stock_level"]["N"])


def partial_batch_response(first_failed_sequence_number: str | None) -> dict[str, Any]:
    """Tell Lambda to resume the shard at this record (records after it are sent again too)."""
    if first_failed_sequence_number is None:
        return {"batchItemFailures": []}
    return {"batchItemFailures": [{"itemIdentifier": first_failed_sequence_number}]}
