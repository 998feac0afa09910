"""DynamoDB stream events (NEW_AND_OLD_IMAGES) of the stock table in, partial batch responses out."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from adapters.dynamodb_items import item_from_attributes
from domain.errors import InvalidStockInput
from domain.item import StockItem

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ItemChange:
    """An item as it was before a write (None: the write made it) and as the write left it."""

    previous: StockItem | None
    current: StockItem

    @property
    def only_list_mark(self) -> bool:
        """Whether the write changed the item's mark in the list of low items and nothing else of it: the stream's own
        write coming back, which calls for nothing. A write that changed nothing of the item (an attribute outside it)
        is not one: it is how a mark left wrong is set right (a change handled by code that set no mark), and an
        unchanged item makes no stream record at all
        (docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html)."""
        previous = self.previous
        return (
            previous is not None
            and previous.listed_low != self.current.listed_low
            and replace(previous, listed_low=self.current.listed_low) == self.current
        )


@dataclass(frozen=True)
class StreamRecord:
    """One stream record: its sequence number, the change of item it carries (None: nothing to react to), and the
    record's id, the same each time the stream delivers it again."""

    sequence_number: str
    change: ItemChange | None
    event_id: str = ""


def parse_stream_records(event: dict[str, Any]) -> list[StreamRecord]:
    """The records of a stream event, in shard order; a removal, or a record whose images are not items this
    service wrote, has change None."""
    return [
        StreamRecord(str(record["dynamodb"]["SequenceNumber"]), _change(record), str(record.get("eventID", "")))
        for record in event.get("Records") or []
    ]


def _change(record: dict[str, Any]) -> ItemChange | None:
    images = record["dynamodb"]
    new_image = images.get("NewImage")
    if record.get("eventName") == "REMOVE" or not new_image:
        return None  # nothing was removed from stock
    try:
        old_image = images.get("OldImage")
        return ItemChange(
            previous=item_from_attributes(old_image) if old_image else None, current=item_from_attributes(new_image)
        )
    except (InvalidStockInput, KeyError, TypeError, ValueError) as error:
        # The item stays in the table; a record that can never parse must not hold back the shard.
        logger.error(
            "stream record holds no valid stock item; skipped",
            extra={"sequence_number": images.get("SequenceNumber"), "error": str(error)},
        )
        return None


def partial_batch_response(first_failed_sequence_number: str | None) -> dict[str, Any]:
    """Tell Lambda to resume the shard at this record (records after it are sent again too)."""
    if first_failed_sequence_number is None:
        return {"batchItemFailures": []}
    return {"batchItemFailures": [{"itemIdentifier": first_failed_sequence_number}]}
