"""The stock API's requests and answers, whichever payload format carried them (`api_gateway_v1` reads the REST
API's 1.0, `api_gateway_v2` the HTTP API's 2.0): routes, body and query rules, the list's sealed cursors, and the
proxy responses both formats take (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-
integrations-lambda.html)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from domain.errors import InvalidStockInput
from domain.item import StockItem, apply_update
from domain.ports import ApplyOutcome
from domain.stock import (
    MAX_LEVEL,
    UNSET,
    Field,
    StockUpdate,
    format_as_of,
    validate_new_stock_id,
    validate_stock_id,
)
from domain.use_cases import MAX_PAGE, ItemStatus, LowStatusPage, StockRules, status_of

MAX_BODY_BYTES = 64 * 1024
DEFAULT_PAGE = 100
# The one list `GET /stocks` serves, as its query names it; a cursor is bound to it.
LOW_ITEMS = "low=true"
_LIST_PARAMETERS = ("low", "limit", "cursor")
_COLLECTION = re.compile(r"^/stocks/?$")
_ITEM = re.compile(r"^/stocks/([^/]+)/?$")
_JSON_HEADERS = {"Content-Type": "application/json"}
_SETTINGS = (Field.LEVEL.value, Field.REORDER_POINT.value, Field.ALERTS.value)
_EVERY_SETTING = ", ".join(_SETTINGS)


class ApiError(Exception):
    """A request that gets a 4xx: the status and a message naming what is wrong."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class SetLevelRequest:
    """POST /stocks or PUT /stocks/{stock_id}: set any of an item's level, reorder point and alerts switch, received
    at `received_at`."""

    update: StockUpdate
    received_at: datetime


@dataclass(frozen=True)
class GetItemRequest:
    """GET /stocks/{stock_id}."""

    stock_id: str


@dataclass(frozen=True)
class ListLowItemsRequest:
    """GET /stocks?low=true: up to `limit` items low now, from where `cursor` (as the client gave it, still sealed)
    says, or from the start."""

    limit: int = DEFAULT_PAGE
    cursor: str | None = None


ApiRequest = SetLevelRequest | GetItemRequest | ListLowItemsRequest


@dataclass(frozen=True)
class _Route:
    allowed: tuple[str, ...]
    stock_id: str | None = None


@dataclass(frozen=True)
class ProxyRequest:
    """What the API needs of a proxy event, whichever payload format carried it. `stock_id` is the item id from
    the path, already decoded (None when the path names no item); `body` as the event gave it;
    `has_query_string` whether anything followed a `?` in the URL; `query` its parameters, decoded, in order, each
    as often as it was given."""

    method: str
    path: str
    stock_id: str | None
    body: Any
    body_is_base64: bool
    received_at: datetime
    has_query_string: bool = False
    query: tuple[tuple[str, str], ...] = ()


def item_in_path(path: str) -> str | None:
    """The item id of a `/stocks/{stock_id}` path as the path spells it (None for any other path), for an event
    that does not give its path parameters."""
    item = _ITEM.match(path)
    return item.group(1) if item else None


def interpret(request: ProxyRequest) -> ApiRequest:
    """The domain's request for a proxy request, or ApiError with the 4xx to send."""
    route = _route(request)
    if request.method not in route.allowed:
        raise ApiError(
            405,
            f"method {request.method or '(none)'} is not allowed here; use {', '.join(route.allowed)}",
            {"Allow": ", ".join(route.allowed)},
        )
    if route.stock_id is not None and request.has_query_string:
        # An HTTP API cuts a path at a decoded `?` (docs/design.md, "Validation"): `/stocks/A%3F1` reaches the
        # function as `/stocks/A` with what followed as a query string, which nothing on these routes otherwise sends.
        raise ApiError(
            400,
            f"{request.path} has a query string, which /stocks/{{stock_id}} does not take: the item id goes whole in "
            "the path, percent-encoded",
        )
    if route.stock_id is None and request.method == "GET":
        return _list_request(request.query)
    try:
        if route.stock_id is None:
            update = _update_from(_json_object(request), stock_id=None)
        elif request.method == "GET":
            return GetItemRequest(validate_stock_id(route.stock_id))
        else:
            update = _update_from(_json_object(request), stock_id=route.stock_id)
    except InvalidStockInput as error:
        raise ApiError(400, str(error)) from None
    return SetLevelRequest(update, request.received_at)


def _route(request: ProxyRequest) -> _Route:
    if _COLLECTION.match(request.path):
        return _Route(("GET", "POST"))
    if _ITEM.match(request.path) is None or request.stock_id is None:
        path = request.path or "(empty path)"
        raise ApiError(404, f"no such resource: {path}; use /stocks or /stocks/{{stock_id}}")
    return _Route(("GET", "PUT"), request.stock_id)


def _list_request(query: Sequence[tuple[str, str]]) -> ListLowItemsRequest:
    names = [name for name, _ in query]
    unknown = sorted({name for name in names if name not in _LIST_PARAMETERS})
    if unknown:
        raise ApiError(
            400,
            f"unknown query parameter(s) {', '.join(unknown)}; GET /stocks takes {', '.join(_LIST_PARAMETERS)}",
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ApiError(400, f"query parameter(s) {', '.join(repeated)} given more than once; give each once")
    given = dict(query)
    if "low" not in given:
        raise ApiError(400, f"GET /stocks lists the items that are low now: add {LOW_ITEMS}, the one list it serves")
    if given["low"] != "true":
        raise ApiError(400, f"low must be true, the one list GET /stocks serves, not {given['low']!r}")
    return ListLowItemsRequest(_limit(given.get("limit")), given.get("cursor"))


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_PAGE
    # Digits only: `int` would also take signs, spaces, underscores and other scripts' digits.
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_PAGE)) and 1 <= int(text) <= MAX_PAGE):
        raise ApiError(400, f"limit must be a whole number from 1 to {MAX_PAGE}, not {text!r}")
    return int(text)


def _json_object(request: ProxyRequest) -> dict[str, Any]:
    raw = _body_bytes(request)
    if not raw.strip():
        raise ApiError(400, "the request body is empty; send a JSON object")
    try:
        text = raw.decode("utf-8")
        document = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ApiError(400, "the request body is not UTF-8 text") from None
    except (ValueError, RecursionError) as error:
        raise ApiError(400, f"the request body is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return document


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _body_bytes(request: ProxyRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    if not isinstance(body, str):
        raise ApiError(400, "the request body must be text")
    if len(body) > MAX_BODY_BYTES * 2:  # cheap early refusal before decoding anything large
        raise _too_large()
    if request.body_is_base64:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, "the request body is marked base64 but is not valid base64") from None
    else:
        raw = body.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    return raw


def _too_large() -> ApiError:
    return ApiError(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")


def _update_from(fields: dict[str, Any], stock_id: str | None) -> StockUpdate:
    allowed = (*(("stock_id",) if stock_id is None else ()), *_SETTINGS, "as_of")
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise InvalidStockInput(f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    if stock_id is None and "stock_id" not in fields:
        raise InvalidStockInput("missing field stock_id")
    if not any(name in fields for name in _SETTINGS):
        raise InvalidStockInput(f"an update must set at least one of {_EVERY_SETTING}")
    return StockUpdate.from_raw(
        validate_new_stock_id(stock_id if stock_id is not None else fields["stock_id"]),
        level=fields.get(Field.LEVEL.value, UNSET),
        as_of=fields.get("as_of"),
        reorder_point=_json_reorder_point(fields.get(Field.REORDER_POINT.value, UNSET)),
        low_stock_alerts=_json_flag(fields.get(Field.ALERTS.value, UNSET)),
    )


def _json_reorder_point(value: object) -> object:
    """A reorder point as JSON gives one: an integer, or null for the stack's default. Unlike a level, not a string
    of digits: no client has sent one as text, and a file's `default` is no JSON value."""
    if value is UNSET or value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise InvalidStockInput(f"reorder_point must be a whole number from 0 to {MAX_LEVEL}, or null, not {value!r}")


def _json_flag(value: object) -> object:
    """The alerts switch as JSON gives it: true or false, not the text a file's column holds."""
    if value is UNSET or isinstance(value, bool):
        return value
    raise InvalidStockInput(f"low_stock_alerts must be true or false, not {value!r}")


def request_time(epoch_ms: object) -> datetime:
    """When API Gateway received the request (its epoch milliseconds), or now if the event does not say."""
    if isinstance(epoch_ms, int | float) and not isinstance(epoch_ms, bool):
        return datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return datetime.now(UTC)


# --- The list's cursors.


class CursorSeal(Protocol):
    """What seals the list's cursors, so that no client can make one or alter one: a tag by a key the service alone
    may use (adapters.outbound.kms_cursor_seal holds it in KMS)."""

    @property
    def version(self) -> str:
        """Which key seals: a cursor of another (a key since replaced) is refused without a check of its tag."""
        ...

    def tag(self, message: bytes) -> bytes:
        """The message's tag by the key."""
        ...

    def verifies(self, message: bytes, tag: bytes) -> bool:
        """Whether `tag` is the message's tag by the key; raise only when the check could not be made."""
        ...


INVALID_CURSOR = "cursor is not valid for this list; start again without it"
_CURSOR_FIELDS = frozenset("vfp")
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")
# The longest message KMS tags (docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html: 4096 bytes); a
# position of the longest id, escaped, with the longest table name (255 characters) leaves a cursor well within it.
_LONGEST_MESSAGE = 4096


class ListCursors:
    """The cursors of the list of low items of one table: each carries where the next page starts, bound to the
    table, the list's filter and the key that sealed it. Base64url of a small JSON document, `.`, base64url of its
    tag: opaque to a client, safe in a URL as it is. The table is bound by the tag alone, which covers the document
    and the table's name: the name is no business of a client's, so the document it can decode does not hold it."""

    def __init__(self, seal: CursorSeal, table_name: str) -> None:
        self._seal = seal
        # After the document and a `.`, which base64url never holds: no other document and table make this message.
        self._bound_to = f".{table_name}".encode()

    def cursor(self, position: str) -> str:
        """The cursor a client sends back for the page at `position`."""
        document = {"v": self._seal.version, "f": LOW_ITEMS, "p": position}
        sealed = _encode(json.dumps(document, separators=(",", ":")).encode())
        return f"{sealed}.{_encode(self._seal.tag(self._message(sealed)))}"

    def position(self, cursor: str) -> str:
        """The position a cursor of this list carries; ApiError 400 if it is not one this list sealed as it is."""
        sealed, dot, tag_text = cursor.partition(".")
        if not dot or len(self._message(sealed)) > _LONGEST_MESSAGE:
            raise _invalid_cursor()
        document = _decoded_document(sealed)
        tag = _decoded(tag_text)
        expected = {"v": self._seal.version, "f": LOW_ITEMS}
        if (
            document is None
            or tag is None
            or any(document[name] != value for name, value in expected.items())
            or not self._seal.verifies(self._message(sealed), tag)
        ):
            raise _invalid_cursor()
        return str(document["p"])

    def _message(self, sealed: str) -> bytes:
        """What the tag covers: the document as the cursor carries it, and the table's name."""
        return sealed.encode() + self._bound_to


def _invalid_cursor() -> ApiError:
    return ApiError(400, INVALID_CURSOR)


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decoded(text: str) -> bytes | None:
    """Base64url without padding, only in the one spelling `_encode` gives: another (a last character whose unused
    bits are set) is an altered cursor, even if it decodes to the same bytes."""
    if not _BASE64URL.match(text):
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if _encode(raw) == text else None


def _decoded_document(text: str) -> dict[str, str] | None:
    raw = _decoded(text)
    try:
        document = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    if not isinstance(document, dict) or set(document) != _CURSOR_FIELDS:
        return None
    if not all(isinstance(value, str) for value in document.values()):
        return None
    return document


# --- Answers.


def item_response(stock_id: str, status: ItemStatus | None) -> dict[str, Any]:
    """200 with the item's status, or 404 when the item has never been set."""
    if status is None:
        return error_response(ApiError(404, f"no stock level is stored for {stock_id}"))
    return _response(200, status_document(status))


def saved_response(update: StockUpdate, outcome: ApplyOutcome, rules: StockRules) -> dict[str, Any]:
    """The answer to a stamped update the store applied as `outcome` says: 200 with the item as it is now, naming the
    fields found stale (none, or some); 409 when every field it set was stale, naming them with the times stored,
    and the item as stored."""
    stale = [field.value for field in Field if field in outcome.stale]
    stored = outcome.previous
    if outcome.saved:
        after = apply_update(stored, _only(update, outcome.applied), rules.default_reorder_point).item
        return _response(200, status_document(status_of(after, rules)) | {"stale_fields": stale})
    versions = " and ".join(
        f"{field.value} as of {_time(stored.version(field)) if stored else '?'}"
        for field in Field
        if field in outcome.stale
    )
    document: dict[str, Any] = {
        "message": f"stale update ignored: {update.stock_id} already has {versions}, and this update is as of "
        f"{_time(update.as_of)}"
    }
    if stored is not None:
        document |= status_document(status_of(stored, rules))
    return _response(409, document | {"stale_fields": stale})


def _only(update: StockUpdate, fields: frozenset[Field]) -> StockUpdate:
    """The update without the fields it sets that are not among `fields`."""
    return replace(
        update,
        level=update.level if Field.LEVEL in fields else None,
        reorder_point=update.reorder_point if Field.REORDER_POINT in fields else UNSET,
        low_stock_alerts=update.low_stock_alerts if Field.ALERTS in fields else None,
    )


def list_response(page: LowStatusPage, cursors: ListCursors) -> dict[str, Any]:
    """200 with the page's items and the cursor of the next page (null after the last)."""
    next_cursor = None if page.next_position is None else cursors.cursor(page.next_position)
    return _response(200, {"items": [status_document(status) for status in page.items], "next_cursor": next_cursor})


def error_response(error: ApiError) -> dict[str, Any]:
    """The 4xx response for a refused request."""
    return _response(error.status, {"message": error.message}, error.headers)


def unavailable_response() -> dict[str, Any]:
    """503 when a backing service failed: the client may retry, and nothing was half-written."""
    return _response(503, {"message": "the stock store is unavailable; retry later"}, {"Retry-After": "1"})


def status_document(status: ItemStatus) -> dict[str, Any]:
    """An item as the API shows it: each field with the time it was set (null if never), the reorder point in
    force and where it comes from, and whether the item is low now."""
    item: StockItem = status.item
    return {
        "stock_id": item.stock_id,
        "stock_level": None if item.level is None else item.level.value,
        "as_of": _time(item.version(Field.LEVEL)),
        "reorder_point": status.reorder_point.value,
        "reorder_point_source": status.reorder_point.source.value,
        "reorder_point_as_of": _time(item.version(Field.REORDER_POINT)),
        "low_stock_alerts": item.alerts_on,
        "low_stock_alerts_as_of": _time(item.version(Field.ALERTS)),
        "low": status.low,
    }


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else format_as_of(moment)


def _response(status: int, document: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**_JSON_HEADERS, **(headers or {})},
        "body": json.dumps(document),
        "isBase64Encoded": False,
    }
