"""Lambda behind the API, a REST API (payload 1.0) or an HTTP API (payload 2.0) as the stack chose: set and read an
item's level and alert settings, and list the items that are low now."""

from __future__ import annotations

import logging
from typing import Any

from adapters.inbound.api_gateway_v1 import parse_request
from adapters.inbound.api_gateway_v2 import is_http_api_event, parse_http_api_request
from adapters.inbound.stock_api import (
    ApiError,
    GetItemRequest,
    ListCursors,
    ListLowItemsRequest,
    error_response,
    item_response,
    list_response,
    saved_response,
    unavailable_response,
)
from adapters.outbound.dynamodb_low_stock_list import DynamoDbLowStockList
from adapters.outbound.dynamodb_stock_repository import DynamoDbStockRepository
from adapters.outbound.kms_cursor_seal import KmsCursorSeal
from domain.errors import InvalidStockInput
from domain.low_stock import DEFAULT_REORDER_POINT
from domain.ports import LowStockList, StockRepository
from domain.stock import DEFAULT_MAX_AHEAD
from domain.use_cases import StockRules, get_stock_item, list_low_items, receive_update, set_stock_level
from handlers.aws import AwsClients, EntryPoint, Handler
from handlers.settings import ApiSettings
from handlers.time_budget import start_invocation

logger = logging.getLogger(__name__)


def build(settings: ApiSettings[str], clients: AwsClients) -> Handler:
    """The API's function, on the table of stock levels, its list of low items, and the key of the list's cursors."""
    rules = StockRules(
        default_reorder_point=settings.reorder_default.or_(DEFAULT_REORDER_POINT),
        max_ahead=settings.times.max_ahead(DEFAULT_MAX_AHEAD),
    )
    return ApiFunction(
        DynamoDbStockRepository(clients.dynamodb, settings.table_name),
        DynamoDbLowStockList(clients.dynamodb, settings.table_name),
        ListCursors(KmsCursorSeal(clients.kms, settings.cursor_key_id), settings.table_name),
        rules,
    )


class ApiFunction:
    """Sets and reads items in `repository` and pages through `low_list`, its cursors sealed by `cursors`, by the
    stack's `rules` (its default reorder point, how far ahead an update may be dated)."""

    def __init__(
        self, repository: StockRepository, low_list: LowStockList, cursors: ListCursors, rules: StockRules
    ) -> None:
        self._repository = repository
        self._low_list = low_list
        self._cursors = cursors
        self._rules = rules

    def __call__(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        """Answer one API Gateway proxy request, in either payload format; bad input is a 4xx, a failing store a
        503, never a crash."""
        start_invocation(context)  # a slow store gets a 503 in time, not API Gateway's 502 after a time-out
        try:
            request = parse_http_api_request(event) if is_http_api_event(event) else parse_request(event)
            if isinstance(request, GetItemRequest):
                status = get_stock_item(request.stock_id, self._repository, self._rules)
                return item_response(request.stock_id, status)
            if isinstance(request, ListLowItemsRequest):
                after = None if request.cursor is None else self._cursors.position(request.cursor)
                page = list_low_items(after, request.limit, self._low_list, self._rules)
                return list_response(page, self._cursors)
            # Stamped here as the use case stamps it, so that the answer names the time the update was stored as of.
            update = receive_update(request.update, request.received_at, self._rules)
            outcome = set_stock_level(update, request.received_at, self._repository, self._rules)
            return saved_response(update, outcome, self._rules)
        except ApiError as error:
            return error_response(error)
        except InvalidStockInput as error:  # a time the use case refuses, which only it can tell (receipt time)
            return error_response(ApiError(400, str(error)))
        except Exception:
            logger.exception("request failed in a backing service")
            return unavailable_response()


handler = EntryPoint(build, ApiSettings)
