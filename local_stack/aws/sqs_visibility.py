"""SQS's 12 hours of visibility counted from a message's receipt, where moto counts them from its sending.

ChangeMessageVisibility refuses a timeout greater than the time left of the 12 hours that began when SQS received
the ReceiveMessage request that returned the receipt handle, and extending the timeout does not start them again:
"The maximum visibility timeout is 12 hours from the time that Amazon SQS receives the ReceiveMessage request.
Extending the visibility timeout does not reset the 12 hour maximum"
(docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/best-practices-processing-messages-timely-manner
.html); "If you attempt to set the VisibilityTimeout to a value greater than the maximum time left, Amazon SQS returns
an error" (docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html). moto
5.2.5 counts the 12 hours from the message's SentTimestamp instead (`SQSBackend.change_message_visibility`), so it
refuses any long wait for a message received hours after it was sent, or received again, which SQS takes. Here each
receipt notes when it was given, and the limit counts from the receipt the request names.

The time is moto's own (`moto.sqs.models.unix_time_millis`, looked up at each call), so a test that sets that clock
sets this one too.
"""

from __future__ import annotations

import moto.sqs.models as sqs_models
from moto.sqs.constants import MAXIMUM_VISIBILITY_TIMEOUT
from moto.sqs.exceptions import InvalidParameterValue, ReceiptHandleIsInvalid
from moto.sqs.models import Message, SQSBackend

_RECEIPTS = "_received_at_by_receipt"  # on each moto Message: receipt handle -> when it was given, in ms


def count_visibility_from_receipt() -> None:
    """Patch moto (once per process) so that ChangeMessageVisibility counts the 12 hours from the receipt."""
    original_mark_received = Message.mark_received
    if getattr(original_mark_received, "_notes_receipt_times", False):
        return

    def mark_received(self: Message, visibility_timeout: int | None = None) -> None:
        original_mark_received(self, visibility_timeout)
        _receipt_times(self)[str(self.receipt_handle)] = _now_ms()

    def change_message_visibility(
        self: SQSBackend, queue_name: str, receipt_handle: str, visibility_timeout: int
    ) -> None:
        queue = self.get_queue(queue_name)
        for message in queue._messages:
            if message.had_receipt_handle(receipt_handle):
                received_at = _receipt_times(message).get(receipt_handle, float(message.sent_timestamp or 0))
                hidden_until = _now_ms() + int(visibility_timeout) * 1000
                if hidden_until - received_at > MAXIMUM_VISIBILITY_TIMEOUT * 1000:
                    # SQS's own words for this refusal, as moto has them.
                    raise InvalidParameterValue(
                        f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. Reason: Total "
                        f"VisibilityTimeout for the message is beyond the limit [{MAXIMUM_VISIBILITY_TIMEOUT} seconds]"
                    )
                message.change_visibility(visibility_timeout)
                if message.visible and message in queue.pending_messages:
                    queue.pending_messages.remove(message)
                return
        raise ReceiptHandleIsInvalid

    mark_received._notes_receipt_times = True  # type: ignore[attr-defined]
    Message.mark_received = mark_received  # type: ignore[method-assign]
    SQSBackend.change_message_visibility = change_message_visibility  # type: ignore[method-assign]


def _now_ms() -> float:
    # Read through moto's SQS module at each call, where moto's own SQS code finds it: one clock for both.
    return float(sqs_models.unix_time_millis())  # type: ignore[attr-defined]


def _receipt_times(message: Message) -> dict[str, float]:
    times: dict[str, float] = message.__dict__.setdefault(_RECEIPTS, {})
    return times
