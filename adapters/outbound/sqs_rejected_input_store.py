"""Rejected input kept in an SQS dead-letter queue, the reason in message attributes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from domain.ports import RejectedInput

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

_MAX_BATCH = 10  # SendMessageBatch takes at most ten entries
# The characters a message may hold (docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/
# quotas-messages.html says others are rejected; API_SendMessage.html now says SQS replaces them with U+FFFD).
# Replacing them here, as a line of a binary file needs, gives the same message whichever rule applies.
_NOT_ALLOWED_IN_MESSAGES = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class SqsRejectedInputStore:
    """Implements RejectedInputStore: the rejected text is the body, its source and reason are attributes."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def keep(self, rejected: list[RejectedInput]) -> None:
        for start in range(0, len(rejected), _MAX_BATCH):
            chunk = rejected[start : start + _MAX_BATCH]
            response = self._client.send_message_batch(
                QueueUrl=self._queue_url, Entries=[_entry(str(i), item) for i, item in enumerate(chunk)]
            )
            failed = response.get("Failed") or []
            if failed:
                raise RuntimeError(f"dead-letter queue refused {len(failed)} rejected line(s): {failed}")


def _entry(entry_id: str, rejected: RejectedInput) -> SendMessageBatchRequestEntryTypeDef:
    return {
        "Id": entry_id,
        "MessageBody": _NOT_ALLOWED_IN_MESSAGES.sub("\ufffd", rejected.content) or "(empty)",
        "MessageAttributes": {
            "reason": {"DataType": "String", "StringValue": rejected.reason[:1024]},
            "source": {"DataType": "String", "StringValue": rejected.source},
        },
    }
