"""Lambda on the import queue: apply stock lines (adapters.inbound.stock_lines), keep bad lines in the dead-letter
queue."""

from __future__ import annotations

import logging
from typing import Any

from adapters.inbound.sqs_batch import QueueMessage, parse_queue_messages, partial_batch_response
from adapters.inbound.stock_lines import parse_stock_lines
from adapters.outbound.dynamodb_stock_repository import DynamoDbStockRepository
from adapters.outbound.sqs_rejected_input_store import SqsRejectedInputStore
from domain.low_stock import DEFAULT_REORDER_POINT
from domain.ports import RejectedInputStore, StockRepository
from domain.stock import DEFAULT_MAX_AHEAD
from domain.use_cases import StockRules, set_stock_levels
from handlers.aws import WRITE_CONCURRENCY, AwsClients, EntryPoint, Handler
from handlers.settings import ImportFunctionSettings
from handlers.time_budget import start_invocation

logger = logging.getLogger(__name__)
DOMAIN_RULES = StockRules()  # the domain's defaults, where no stack gave its own


def build(settings: ImportFunctionSettings, clients: AwsClients) -> Handler:
    """The import queue's function, on the table of stock levels and the queue's dead letters."""
    repository = DynamoDbStockRepository(clients.dynamodb, settings.table_name, concurrency=WRITE_CONCURRENCY)
    rejected = SqsRejectedInputStore(clients.sqs, settings.dead_letters.url)
    rules = StockRules(
        default_reorder_point=settings.reorder_default.or_(DEFAULT_REORDER_POINT),
        max_ahead=settings.times.max_ahead(DEFAULT_MAX_AHEAD),
    )
    return ImportFunction(repository, rejected, rules)


class ImportFunction:
    """Applies each message's lines to `repository`; keeps the lines it rejects in `rejected`."""

    def __init__(
        self, repository: StockRepository, rejected: RejectedInputStore, rules: StockRules = DOMAIN_RULES
    ) -> None:
        self._repository = repository
        self._rejected = rejected
        self._rules = rules

    def __call__(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        """Apply every message of the batch; report for retry those that failed for a transient reason, and those
        left unstarted when the time left might not fit one more (a time-out would redo the finished ones too)."""
        budget = start_invocation(context)
        failed = []
        for message in parse_queue_messages(event):
            if not budget.allows_another() or not self._apply(message):
                failed.append(message.message_id)
            budget.finished_one()
        return partial_batch_response(failed)

    def _apply(self, message: QueueMessage) -> bool:
        parsed = parse_stock_lines(message.body, source=message.message_id)
        try:
            # Valid lines first: a retry re-applies them as no-ops, while rejected lines would be kept twice.
            outcome = set_stock_levels(parsed.updates, message.sent_at, self._repository, self._rules)
            rejected = parsed.rejected + [parsed.origins[at].refused(why) for at, why in outcome.refused.items()]
            if rejected:
                self._rejected.keep(rejected)
        except Exception:
            logger.exception("message failed; it will be retried", extra={"message_id": message.message_id})
            return False
        for rejected_line in rejected:
            logger.warning(
                "line %s rejected and kept in the dead-letter queue: %s",
                rejected_line.source,
                rejected_line.reason,
                extra={"source": rejected_line.source, "line": rejected_line.content, "reason": rejected_line.reason},
            )
        logger.info(
            "message applied",
            extra={
                "message_id": message.message_id,
                "applied": sum(saved.saved for saved in outcome.saved),
                "stale": sum(not saved.saved for saved in outcome.saved),
                "rejected": len(rejected),
            },
        )
        return True


handler = EntryPoint(build, ImportFunctionSettings)
