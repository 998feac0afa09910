"""How an item is kept in the stock table, for the adapters that write it and those that read its stream.

One item per `stock_id`; each field a client sets is stored beside the time it was set (`as_of` for the level,
the name and `_as_of` for the others), in the fixed-width UTC form of `domain.stock.format_as_of`, so that a
condition comparing strings compares times (a level stored before that form may hold a year below 1000 unpadded:
`unpadded_time`). An item's own reorder point set back to the default keeps its time and loses its value.
`low_list_shard` is present only while the item is listed as low: it keys the sparse index that holds the list
(adapters.outbound.dynamodb_low_stock_list)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from domain.item import StockItem, Versioned
from domain.stock import (
    Field,
    format_as_of,
    validate_alerts_flag,
    validate_stock_id,
)

STOCK_ID = "stock_id"
DEFAULT_REORDER_POINT = "default_reorder_point"
LOW_LIST_SHARD = "low_list_shard"
# Each field's value and its time, by the field's name.
VALUE = {Field.LEVEL: "stock_level", Field.REORDER_POINT: "reorder_point", Field.ALERTS: "low_stock_alerts"}
TIME = {Field.LEVEL: "as_of", Field.REORDER_POINT: "reorder_point_as_of", Field.ALERTS: "low_stock_alerts_as_of"}
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def parse_stored_time(text: str) -> datetime:
    """A stored time back as an aware UTC datetime (ValueError if it is not in the stored form). A year of one to
    three digits is how the code before fixed-width times wrote a year below 1000 (`999-01-01T00:00:00.000000Z`
    stands for 0999-01-01T00:00:00Z); items keep it until rewritten, and it is read as the time it stands for."""
    year, dash, rest = text.partition("-")
    if dash and len(year) < 4 and year.isascii() and year.isdigit():
        text = f"{year:0>4}-{rest}"
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


def unpadded_time(moment: datetime) -> str:
    """A time in the form the code before fixed-width times wrote it: as `format_as_of` does, but with the year
    unpadded (`999-...` for 0999), which sorts wrongly among four-digit years. Conditions compare a stored time with
    both forms of the time they name, so that an item stored then is still ordered, and matched, by its time."""
    padded = format_as_of(moment)
    return padded.lstrip("0") if moment.year < 1000 else padded


def item_from_attributes(attributes: Mapping[str, Any]) -> StockItem:
    """The item a table item or a stream image holds (typed attribute values, as `{"S": ...}`); ValueError, KeyError
    or InvalidStockInput if it is not one this service wrote."""
    return StockItem(
        stock_id=validate_stock_id(attributes[STOCK_ID]["S"]),
        level=_versioned(attributes, Field.LEVEL, lambda value: _whole_number(value["N"])),
        reorder_point=_versioned(
            attributes, Field.REORDER_POINT, lambda value: None if value is None else _whole_number(value["N"])
        ),
        low_stock_alerts=_versioned(attributes, Field.ALERTS, lambda value: validate_alerts_flag(value["BOOL"])),
        default_reorder_point=(
            _whole_number(attributes[DEFAULT_REORDER_POINT]["N"]) if DEFAULT_REORDER_POINT in attributes else None
        ),
        listed_low=LOW_LIST_SHARD in attributes,
    )


def _whole_number(text: str) -> int:
    # What was stored is read as it was stored: a bound the rules have since narrowed must not make an item
    # unreadable (its next update is held to the rules of its time).
    value = int(text)
    if value < 0:
        raise ValueError(f"a stored count is negative: {text}")
    return value


def _versioned(attributes: Mapping[str, Any], field: Field, read: Any) -> Versioned[Any] | None:
    time = attributes.get(TIME[field])
    if time is None:
        return None
    return Versioned(read(attributes.get(VALUE[field])), parse_stored_time(time["S"]))
