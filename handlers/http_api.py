"""Lambda behind the API, a REST API (payload 1.0) or an HTTP API (payload 2.0) as the stack chose: set and read
the stock level of an item."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from adapters.inbound.api_gateway_v1 import parse_request
from adapters.inbound.api_gateway_v2 import is_http_api_event, parse_http_api_request
from adapters.inbound.stock_api import (
    ApiError,
    GetLevelRequest,
    error_response,
    level_response,
    saved_response,
    unavailable_response,
)
from adapters.outbound.dynamodb_stock_repository import DynamoDbStockRepository
from domain.errors import InvalidStockInput
from domain.ports import StockRepository
from domain.stock import DEFAULT_MAX_AHEAD
from domain.use_cases import get_stock_level, set_stock_level
from handlers.aws import AwsClients, EntryPoint, Handler
from handlers.settings import ApiSettings
from handlers.time_budget import start_invocation

logger = logging.getLogger(__name__)


def build(settings: ApiSettings[str], clients: AwsClients) -> Handler:
    """The API's function, on the table of stock levels."""
    repository = DynamoDbStockRepository(clients.dynamodb, settings.table_name)
    return ApiFunction(repository, settings.times.max_ahead(DEFAULT_MAX_AHEAD))


class ApiFunction:
    """Sets and reads stock levels in `repository`; an update may be dated at most `max_ahead` past its request."""

    def __init__(self, repository: StockRepository, max_ahead: timedelta = DEFAULT_MAX_AHEAD) -> None:
        self._repository = repository
        self._max_ahead = max_ahead

    def __call__(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        """Answer one API Gateway proxy request, in either payload format; bad input is a 4xx, a failing store a
        503, never a crash."""
        start_invocation(context)  # a slow store gets a 503 in time, not API Gateway's 502 after a time-out
        try:
            request = parse_http_api_request(event) if is_http_api_event(event) else parse_request(event)
            if isinstance(request, GetLevelRequest):
                return level_response(request.stock_id, get_stock_level(request.stock_id, self._repository))
            saved = set_stock_level(request.update, request.received_at, self._repository, self._max_ahead)
            return saved_response(request, saved)
        except ApiError as error:
            return error_response(error)
        except InvalidStockInput as error:  # a time the use case refuses, which only it can tell (receipt time)
            return error_response(ApiError(400, str(error)))
        except Exception:
            logger.exception("request failed in a backing service")
            return unavailable_response()


handler = EntryPoint(build, ApiSettings)
