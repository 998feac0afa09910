"""Stock values: the rules of each value a client sends, and an update as it sends it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum

from domain.errors import InvalidStockInput

MAX_ID_LENGTH = 128
MAX_LEVEL = 1_000_000_000
_FORBIDDEN_ID_CHARACTERS = frozenset(";")
# The times a stored `as_of` can hold: its fixed-width form has four digits of year, so string order is time order
# from the first instant of year 1 to the last of year 9999, in UTC.
_AS_OF_RANGE = "0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z"
# How far past the moment it was received an update's own time may be: clocks drift, but a time further ahead
# would make every later update of the item look stale until that time comes (a stack setting may change it).
DEFAULT_MAX_AHEAD = timedelta(minutes=5)


def validate_stock_id(value: object) -> str:
    """Return the id if it is 1 to 128 characters with no whitespace, control character or ';'."""
    if not isinstance(value, str):
        raise InvalidStockInput("stock_id must be a string")
    if not 1 <= len(value) <= MAX_ID_LENGTH:
        raise InvalidStockInput(f"stock_id must be 1 to {MAX_ID_LENGTH} characters long")
    for character in value:
        if character.isspace() or character in _FORBIDDEN_ID_CHARACTERS or _is_control(character):
            raise InvalidStockInput(
                f"stock_id must not contain whitespace, control characters or ';' (found {character!r})"
            )
    return value


# An item's id is also the last segment of its URL, and not every API in front of the service carries these to the
# function intact: an HTTP API decodes the path, cuts it at a decoded `?` and decodes `%` sequences a second time,
# and a decoded `#` starts a fragment wherever such a path is read again as a URL (docs/design.md, "Validation"), so
# the id would name another item there, or none. Only new ids are held to it: items already stored keep their ids, their
# reads and their alerts.
_NOT_IN_NEW_IDS = "?#%/"


def validate_new_stock_id(value: object) -> str:
    """Return the id if `validate_stock_id` takes it and it holds none of `?`, `#`, `%` and `/`: the rule for an id a
    client gives to set a level, which may make a new item (an HTTP API decodes a path before it routes it, so an
    item whose id holds a `/` could be made but never named in a path)."""
    stock_id = validate_stock_id(value)
    for character in stock_id:
        if character in _NOT_IN_NEW_IDS:
            raise InvalidStockInput(
                f"stock_id must not contain '?', '#', '%' or '/' (found {character!r}), which a URL path does not "
                "carry intact through every API"
            )
    return stock_id


def _is_control(character: str) -> bool:
    # Cc: C0/C1 controls; Cf: invisible format characters; Cs: lone surrogates from bad decoding.
    return unicodedata.category(character) in ("Cc", "Cf", "Cs")


def validate_level(value: object) -> int:
    """Return the level if it is a whole number from 0 to MAX_LEVEL, given as an int or a string of digits."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidStockInput(f"stock_level must be a whole number from 0 to {MAX_LEVEL}")
    if isinstance(value, str):
        digits = value.strip()
        if not (digits.isascii() and digits.isdigit()) or len(digits) > len(str(MAX_LEVEL)):
            raise InvalidStockInput(f"stock_level must be a whole number from 0 to {MAX_LEVEL}, not {value!r}")
        value = int(digits)
    if not 0 <= value <= MAX_LEVEL:
        raise InvalidStockInput(f"stock_level must be a whole number from 0 to {MAX_LEVEL}, not {value}")
    return value


def parse_as_of(value: object) -> datetime:
    """Return an ISO-8601 time as an aware UTC datetime; a time without an offset is taken as UTC. A time whose UTC
    form falls outside the years a stored time can hold (0001 to 9999) is refused, naming that range."""
    if not isinstance(value, str):
        raise InvalidStockInput("as_of must be an ISO-8601 time string such as 2024-05-01T12:00:00Z")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidStockInput(f"as_of must be an ISO-8601 time such as 2024-05-01T12:00:00Z, not {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        # An offset can carry a time of year 1 or 9999 past the ends of what UTC datetimes hold.
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidStockInput(f"as_of must be from {_AS_OF_RANGE} once in UTC, not {value!r}") from None


def format_as_of(moment: datetime) -> str:
    """Render a time so that string order is time order: fixed width (four digits of year, zero-padded, which
    `strftime("%Y")` does not do below year 1000 on every platform), UTC, microseconds."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S.%f}Z"


def ensure_not_ahead(as_of: datetime, received_at: datetime, max_ahead: timedelta) -> None:
    """Refuse a time more than `max_ahead` after the moment the update was received, naming both and the limit."""
    if as_of - received_at > max_ahead:
        raise InvalidStockInput(
            f"as_of {format_as_of(as_of)} is more than {_duration(max_ahead)} after the update was received "
            f"({format_as_of(received_at)}); send the time the level was counted, from a clock that is set right"
        )


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds % 60 or not seconds:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    return f"{seconds // 60} minute{'' if seconds == 60 else 's'}"


class Field(StrEnum):
    """The fields of an item an update may set, each versioned on its own; named as clients name them."""

    LEVEL = "stock_level"
    REORDER_POINT = "reorder_point"
    ALERTS = "low_stock_alerts"


class _Unset(Enum):
    UNSET = "unset"


# A field the update does not set (for `reorder_point`, None means "back to the stack's default").
UNSET = _Unset.UNSET
_FIELD_NAMES = ", ".join(field.value for field in Field)


def validate_reorder_point(value: object) -> int:
    """Return a reorder point: a whole number with the bounds of a level (0 to MAX_LEVEL)."""
    try:
        return validate_level(value)
    except InvalidStockInput:
        raise InvalidStockInput(f"reorder_point must be a whole number from 0 to {MAX_LEVEL}, not {value!r}") from None


def validate_alerts_flag(value: object) -> bool:
    """Return whether low-stock alerts are on: a JSON boolean, or `true`/`false` as text (a file's column)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidStockInput(f"low_stock_alerts must be true or false, not {value!r}")


@dataclass(frozen=True)
class StockUpdate:
    """What a client asks to set on one item: any of its level, its own reorder point (None: back to the stack's
    default) and whether its low-stock alerts are on, all as of one time; `as_of` is None when the client gave no
    time (the time of receipt applies: `domain.use_cases.receive_update`)."""

    stock_id: str
    level: int | None = None
    as_of: datetime | None = None
    reorder_point: int | _Unset | None = UNSET
    low_stock_alerts: bool | None = None

    def __post_init__(self) -> None:
        validate_stock_id(self.stock_id)
        if self.level is not None:
            validate_level(self.level)
        # Held to their stored types, not only their rules: `validate_reorder_point` takes a string of digits and
        # `validate_alerts_flag` the text "false", which a constructed update would keep as text (truthy).
        if self.reorder_point is not UNSET and self.reorder_point is not None:
            if not isinstance(self.reorder_point, int):
                raise InvalidStockInput(
                    f"reorder_point must be a whole number from 0 to {MAX_LEVEL}, not {self.reorder_point!r}"
                )
            validate_reorder_point(self.reorder_point)
        if self.low_stock_alerts is not None and not isinstance(self.low_stock_alerts, bool):
            raise InvalidStockInput(f"low_stock_alerts must be true or false, not {self.low_stock_alerts!r}")
        if not self.fields:
            raise InvalidStockInput(f"an update must set at least one of {_FIELD_NAMES}")
        if self.as_of is not None and self.as_of.tzinfo is None:
            raise InvalidStockInput("as_of must carry a time zone")

    @property
    def fields(self) -> frozenset[Field]:
        """The fields this update sets."""
        given = {
            Field.LEVEL: self.level is not None,
            Field.REORDER_POINT: self.reorder_point is not UNSET,
            Field.ALERTS: self.low_stock_alerts is not None,
        }
        return frozenset(field for field, is_set in given.items() if is_set)

    @property
    def own_reorder_point(self) -> int | None:
        """The reorder point this update gives the item (None: the stack's default); only if it sets one."""
        if isinstance(self.reorder_point, _Unset):
            raise ValueError("this update does not set a reorder point")
        return self.reorder_point

    @classmethod
    def from_raw(
        cls,
        stock_id: object,
        level: object = UNSET,
        as_of: object = None,
        reorder_point: object = UNSET,
        low_stock_alerts: object = UNSET,
    ) -> StockUpdate:
        """Build an update from untrusted values (JSON fields, file columns); UNSET for a field not given."""
        return cls(
            stock_id=validate_stock_id(stock_id),
            level=None if level is UNSET else validate_level(level),
            as_of=None if as_of is None else parse_as_of(as_of),
            reorder_point=(
                reorder_point
                if reorder_point is UNSET or reorder_point is None
                else validate_reorder_point(reorder_point)
            ),
            low_stock_alerts=None if low_stock_alerts is UNSET else validate_alerts_flag(low_stock_alerts),
        )
