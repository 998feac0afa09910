"""The stock API's requests and answers, whichever payload format carried them (`api_gateway_v1` reads the REST
API's 1.0, `api_gateway_v2` the HTTP API's 2.0): routes, body rules, and the proxy responses both formats take
(docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.errors import InvalidStockInput
from domain.ports import SaveOutcome
from domain.stock import StockLevel, StockUpdate, format_as_of, validate_new_stock_id, validate_stock_id

MAX_BODY_BYTES = 64 * 1024
_COLLECTION = re.compile(r"^/stocks/?$")
_ITEM = re.compile(r"^/stocks/([^/]+)/?$")
_JSON_HEADERS = {"Content-Type": "application/json"}


class ApiError(Exception):
    """A request that gets a 4xx: the status and a message naming what is wrong."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class SetLevelRequest:
    """POST /stocks or PUT /stocks/{stock_id}: store a level, received at `received_at`."""

    update: StockUpdate
    received_at: datetime


@dataclass(frozen=True)
class GetLevelRequest:
    """GET /stocks/{stock_id}."""

    stock_id: str


@dataclass(frozen=True)
class _Route:
    allowed: tuple[str, ...]
    stock_id: str | None = None


@dataclass(frozen=True)
class ProxyRequest:
    """What the API needs of a proxy event, whichever payload format carried it. `stock_id` is the item id from
    the path, already decoded (None when the path names no item); `body` as the event gave it;
    `has_query_string` whether anything followed a `?` in the URL, which the API reads only to refuse it."""

    method: str
    path: str
    stock_id: str | None
    body: Any
    body_is_base64: bool
    received_at: datetime
    has_query_string: bool = False


def item_in_path(path: str) -> str | None:
    """The item id of a `/stocks/{stock_id}` path as the path spells it (None for any other path), for an event
    that does not give its path parameters."""
    item = _ITEM.match(path)
    return item.group(1) if item else None


def interpret(request: ProxyRequest) -> SetLevelRequest | GetLevelRequest:
    """The domain's request for a proxy request, or ApiError with the 4xx to send."""
    route = _route(request)
    if request.method not in route.allowed:
        raise ApiError(
            405,
            f"method {request.method or '(none)'} is not allowed here; use {', '.join(route.allowed)}",
            {"Allow": ", ".join(route.allowed)},
        )
    if route.stock_id is not None and request.has_query_string:
        # An HTTP API cuts a path at a decoded `?` (README, "Validation"): `/stocks/A%3F1` reaches the function as
        # `/stocks/A` with what followed as a query string, which nothing on these routes otherwise sends.
        raise ApiError(
            400,
            f"{request.path} has a query string, which /stocks/{{stock_id}} does not take: the item id goes whole in "
            "the path, percent-encoded",
        )
    try:
        if route.stock_id is None:
            update = _update_from(_json_object(request), required=("stock_id", "stock_level"))
        elif request.method == "GET":
            return GetLevelRequest(validate_stock_id(route.stock_id))
        else:
            update = _update_from(_json_object(request), required=("stock_level",), stock_id=route.stock_id)
    except InvalidStockInput as error:
        raise ApiError(400, str(error)) from None
    return SetLevelRequest(update, request.received_at)


def _route(request: ProxyRequest) -> _Route:
    if _COLLECTION.match(request.path):
        return _Route(("POST",))
    if _ITEM.match(request.path) is None or request.stock_id is None:
        path = request.path or "(empty path)"
        raise ApiError(404, f"no such resource: {path}; use /stocks or /stocks/{{stock_id}}")
    return _Route(("GET", "PUT"), request.stock_id)


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


def _update_from(fields: dict[str, Any], required: tuple[str, ...], stock_id: str | None = None) -> StockUpdate:
    allowed = (*required, "as_of")
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise InvalidStockInput(f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    missing = [name for name in required if name not in fields]
    if missing:
        raise InvalidStockInput(f"missing field(s) {', '.join(missing)}")
    return StockUpdate.from_raw(
        validate_new_stock_id(stock_id if stock_id is not None else fields["stock_id"]),
        fields["stock_level"],
        fields.get("as_of"),
    )


def request_time(epoch_ms: object) -> datetime:
    """When API Gateway received the request (its epoch milliseconds), or now if the event does not say."""
    if isinstance(epoch_ms, int | float) and not isinstance(epoch_ms, bool):
        return datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return datetime.now(UTC)


def level_response(stock_id: str, level: StockLevel | None) -> dict[str, Any]:
    """200 with the level, or 404 when the item has never been set."""
    if level is None:
        return error_response(ApiError(404, f"no stock level is stored for {stock_id}"))
    return _response(200, _level_document(level))


def saved_response(request: SetLevelRequest, outcome: SaveOutcome) -> dict[str, Any]:
    """200 with what is now stored, or 409 when a newer level was already stored."""
    stored = request.update.stamped(request.received_at)
    if outcome.applied:
        return _response(200, _level_document(stored))
    current = outcome.previous
    document: dict[str, Any] = {
        "message": f"stale update ignored: a level as of {format_as_of(current.as_of) if current else '?'} "
        f"is already stored for {stored.stock_id}, and this update is as of {format_as_of(stored.as_of)}"
    }
    if current is not None:
        document |= _level_document(current)
    return _response(409, document)


def error_response(error: ApiError) -> dict[str, Any]:
    """The 4xx response for a refused request."""
    return _response(error.status, {"message": error.message}, error.headers)


def unavailable_response() -> dict[str, Any]:
    """503 when a backing service failed: the client may retry, and nothing was half-written."""
    return _response(503, {"message": "the stock store is unavailable; retry later"}, {"Retry-After": "1"})


def _level_document(level: StockLevel) -> dict[str, Any]:
    return {"stock_id": level.stock_id, "stock_level": level.level, "as_of": format_as_of(level.as_of)}


def _response(status: int, document: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**_JSON_HEADERS, **(headers or {})},
        "body": json.dumps(document),
        "isBase64Encoded": False,
    }
