"""`make dlq` and `make redrive`: read, export and resend what waits in the import dead-letter queue, the
notifier's failure queue, the drop bucket's and each alert channel's dead letters, on the local stack or a deployed
one.

    python -m tools.dead_letters                       # list (nothing is consumed)
    python -m tools.dead_letters --export fixme.txt    # rejected lines to a file, removed once written
    python -m tools.dead_letters --redrive             # whole messages back to the import queue
    ... --redrive --channel webhook                    # the webhook channel's alerts back to its queue
    ... --stack dev                                    # a deployed stack (`pulumi stack output`)

SQS has no way to look at a message without receiving it: listing receives every message, then makes each one
visible again at once (a visibility timeout of 0, docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/
API_ChangeMessageVisibility.html), so nothing is consumed; each look does add one to a message's receive count.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

from adapters.inbound.alert_messages import STOCK_ID, STOCK_LEVEL
from handlers.settings import Channel
from tools.stack_outputs import sqs_client, stack_outputs

_MOST = 10_000  # messages read per queue at the most
_HIDE_SECONDS = 60  # long enough to list or export, short enough that a crash releases them soon
ALERT_CHANNELS = tuple(channel.value for channel in Channel)  # the keys of the stack's `alert_dead_letter_queue_urls`
_NEXT_STEP: dict[str, str] = {
    Channel.SNS: "not redriven, as publishing again would reach every subscriber; each names the one SNS failed",
    Channel.WEBHOOK: "once the chat takes posts again, `make redrive CHANNEL=webhook` posts them",
}
SNS_REDRIVE_REFUSED = (
    "The sns channel's dead letters are not redriven: publishing them to the topic again would alert every "
    "subscriber and every channel again, not only the one SNS failed. `make dlq` lists each with the subscription "
    "and SNS's reason: fix that subscription, and tell the people it did not reach."
)


@dataclass
class Waiting:
    """What one look at the queues found: rejected lines, whole messages, stream failures, dropped files, and the
    alerts each channel could not deliver, by channel."""

    rejected: list[dict[str, Any]]
    whole: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    dropped: list[dict[str, Any]]
    alerts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertDeadLetter:
    """One alert a channel did not deliver, as a person reads it; "?" or "-" where the dead letter does not say."""

    item: str
    level: str
    channel: str
    status: str
    reason: str

    def line(self) -> str:
        return f"  {self.item}  level {self.level}  channel {self.channel}  status {self.status}  {self.reason}"


def receive_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message on a queue, each received once and now hidden for a minute."""
    seen: dict[str, dict[str, Any]] = {}
    while len(seen) < _MOST:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=_HIDE_SECONDS,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            break
        seen.update((message["MessageId"], message) for message in batch)
    return list(seen.values())


def release(sqs: Any, url: str, messages: list[dict[str, Any]]) -> None:
    """Make received messages visible again at once: looking consumes nothing."""
    for start in range(0, len(messages), 10):
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for i, m in enumerate(messages[start : start + 10])
        ]
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)


def delete(sqs: Any, url: str, messages: list[dict[str, Any]]) -> None:
    for start in range(0, len(messages), 10):
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages[start : start + 10])
        ]
        failed = sqs.delete_message_batch(QueueUrl=url, Entries=entries).get("Failed") or []
        if failed:
            raise RuntimeError(f"{len(failed)} message(s) could not be removed: {failed}")


def look(sqs: Any, outputs: dict[str, Any]) -> Waiting:
    """Receive everything waiting (hidden for a minute); the caller releases or deletes it."""
    dead_letters = receive_all(sqs, outputs["dead_letter_queue_url"])
    rejected = [m for m in dead_letters if "reason" in (m.get("MessageAttributes") or {})]
    whole = [m for m in dead_letters if "reason" not in (m.get("MessageAttributes") or {})]
    failures = receive_all(sqs, outputs["failure_queue_url"]) if outputs.get("failure_queue_url") else []
    dropped = receive_all(sqs, outputs["drop_failure_queue_url"]) if outputs.get("drop_failure_queue_url") else []
    alerts = {channel: receive_all(sqs, url) for channel, url in alert_queues(outputs).items()}
    return Waiting(rejected, whole, failures, dropped, alerts)


def alert_queues(outputs: dict[str, Any]) -> dict[str, str]:
    """The dead-letter queue URL of each alert channel the stack has, by channel (none on an older stack)."""
    return {str(channel): str(url) for channel, url in (outputs.get("alert_dead_letter_queue_urls") or {}).items()}


def release_failures(sqs: Any, outputs: dict[str, Any], waiting: Waiting) -> None:
    """Leave the failure records and alert dead letters where they were: only a person acting on them removes them."""
    for output, messages in (("failure_queue_url", waiting.failures), ("drop_failure_queue_url", waiting.dropped)):
        if outputs.get(output):
            release(sqs, outputs[output], messages)
    for channel, url in alert_queues(outputs).items():
        release(sqs, url, waiting.alerts.get(channel, []))


def describe(waiting: Waiting) -> list[str]:
    """The report a person reads: rejected lines grouped by reason, whole messages, stream failures, dropped
    files, and one line per alert a channel could not deliver."""
    lines: list[str] = []
    if not (waiting.rejected or waiting.whole or waiting.failures or waiting.dropped or any(waiting.alerts.values())):
        return ["Nothing waits: the dead-letter queues and the failure queues are empty."]
    if waiting.rejected:
        reasons = Counter(_attribute(m, "reason").split(": ", 1)[-1] for m in waiting.rejected)
        lines.append(f"{len(waiting.rejected)} rejected line(s) in the dead-letter queue, by reason:")
        for reason, count in reasons.most_common():
            lines.append(f"  {count} x {reason}")
            for message in waiting.rejected:
                if _attribute(message, "reason").split(": ", 1)[-1] == reason:
                    lines.append(f"      {_attribute(message, 'source')}  {message['Body']!r}")
    if waiting.whole:
        since = min(int(m["Attributes"].get("SentTimestamp", "0")) for m in waiting.whole)
        lines.append(
            f"{len(waiting.whole)} whole message(s) that exhausted their retries, the oldest sent "
            f"{_time(since)}: `make redrive` sends them back to the import queue."
        )
    if waiting.failures:
        lines.append(f"{len(waiting.failures)} stream batch(es) the notifier gave up on:")
        for message in waiting.failures:
            lines.append(f"  {_stream_failure(message)}")
    if waiting.dropped:
        lines.append(
            f"{len(waiting.dropped)} dropped file(s) the bucket's function gave up on (upload again to retry):"
        )
        for message in waiting.dropped:
            lines.append(f"  {_drop_failure(message)}")
    for channel, messages in waiting.alerts.items():
        lines.extend(_alert_dead_letters(channel, messages))
    return lines


def _alert_dead_letters(channel: str, messages: list[dict[str, Any]]) -> list[str]:
    if not messages:
        return []
    next_step = _NEXT_STEP.get(channel, "")
    heading = f"{len(messages)} alert(s) the {channel} channel could not deliver" + (
        f"; {next_step}" if next_step else ""
    )
    return [f"{heading}:", *sorted(alert_dead_letter(channel, message).line() for message in messages)]


def alert_dead_letter(channel: str, message: dict[str, Any]) -> AlertDeadLetter:
    """What a dead letter of `channel`'s queue says of its alert."""
    if channel == Channel.SNS:
        return _subscriber_dead_letter(message)
    return AlertDeadLetter(
        item=_attribute(message, STOCK_ID) or "?",
        level=_attribute(message, STOCK_LEVEL) or "?",
        channel=_attribute(message, "channel") or channel,
        status=_attribute(message, "status") or "-",  # no answer came, or SQS moved it
        # The channel's function names why it gave up; SQS, moving a message received too often, names nothing.
        reason=_attribute(message, "reason") or "moved by SQS after repeated failures; no reason recorded",
    )


def _subscriber_dead_letter(message: dict[str, Any]) -> AlertDeadLetter:
    """A dead letter SNS wrote for a subscription: the JSON envelope of an SMS or email one, with the alert's
    attributes as {"Type", "Value"} (docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html), or the
    raw message of a channel's queue, its attributes SQS's own. SNS adds why as `ErrorCode` and `ErrorMessage`
    attributes, and the envelope's `UnsubscribeURL` names the subscription (as recorded against AWS in
    github.com/localstack/localstack/pull/6639). Read defensively: the format is SNS's own."""
    envelope = _json_object(str(message.get("Body", "")))
    attributes = envelope.get("MessageAttributes")
    attributes = attributes if isinstance(attributes, dict) else {}

    def value(name: str) -> str:
        entry = attributes.get(name)
        return str(entry["Value"]) if isinstance(entry, dict) and "Value" in entry else _attribute(message, name)

    subscription = parse_qs(urlsplit(str(envelope.get("UnsubscribeURL", ""))).query).get("SubscriptionArn", [""])[0]
    where = f"to {subscription}" if subscription else "to a subscriber" if envelope else "to a channel's queue"
    why = _attribute(message, "ErrorMessage") or "no reason recorded"
    reason = f"SNS could not deliver it {where}: {why}"
    if not envelope and not value(STOCK_ID):
        reason = f"(not an SNS message) {str(message.get('Body', ''))[:200]!r}"
    status = _attribute(message, "ErrorCode") or "-"
    return AlertDeadLetter(value(STOCK_ID) or "?", value(STOCK_LEVEL) or "?", Channel.SNS, status, reason)


def _json_object(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _attribute(message: dict[str, Any], name: str) -> str:
    return str(((message.get("MessageAttributes") or {}).get(name) or {}).get("StringValue", ""))


def _time(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _stream_failure(message: dict[str, Any]) -> str:
    try:
        failure = json.loads(message["Body"])
        batch = failure["DDBStreamBatchInfo"]
    except (ValueError, KeyError):
        return f"(not a stream failure record) {message['Body'][:200]!r}"
    return (
        f"{batch['batchSize']} record(s), sequence {batch['startSequenceNumber']} to {batch['endSequenceNumber']} "
        f"of {batch['shardId']}, first written {batch['approximateArrivalOfFirstRecord']}: "
        f"{failure['requestContext']['condition']} after {failure['requestContext']['approximateInvokeCount']} "
        "attempt(s)"
    )


def _drop_failure(message: dict[str, Any]) -> str:
    """An asynchronous invocation record (docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html)
    of the S3 event it gave up on."""
    try:
        failure = json.loads(message["Body"])
        files = [
            f"s3://{r['s3']['bucket']['name']}/{unquote_plus(r['s3']['object']['key'])}"
            for r in failure["requestPayload"]["Records"]
        ]
        context = failure["requestContext"]
    except (ValueError, KeyError, TypeError):
        return f"(not an invocation record) {message['Body'][:200]!r}"
    error = (failure.get("responsePayload") or {}).get("errorMessage", "")
    return f"{', '.join(files)}: {context['condition']} after {context['approximateInvokeCount']} attempt(s)" + (
        f": {error}" if error else ""
    )


def export(sqs: Any, outputs: dict[str, Any], destination: Path) -> str:
    """Write the rejected lines as an import file, then remove them from the queue; release the rest."""
    waiting = look(sqs, outputs)
    url = outputs["dead_letter_queue_url"]
    release(sqs, url, waiting.whole)
    release_failures(sqs, outputs, waiting)
    if not waiting.rejected:
        return "No rejected lines to export."
    with destination.open("w", encoding="utf-8") as file:
        file.writelines(f"{message['Body']}\n" for message in waiting.rejected)
        file.flush()
        os.fsync(file.fileno())  # on disk before anything is removed from the queue
    delete(sqs, url, waiting.rejected)
    return (
        f"Exported {len(waiting.rejected)} rejected line(s) to {destination} and removed them from the queue. "
        f"Correct them, then: make send FILE={destination}"
    )


def redrive(sqs: Any, outputs: dict[str, Any]) -> str:
    """Move the whole messages back to the import queue with SQS's message move task."""
    waiting = look(sqs, outputs)
    url = outputs["dead_letter_queue_url"]
    release(sqs, url, waiting.rejected + waiting.whole)
    release_failures(sqs, outputs, waiting)
    if waiting.rejected:
        return (
            f"{len(waiting.rejected)} rejected line(s) wait in the dead-letter queue: a redrive would send them "
            "through the import again, only to be rejected again. Export them first: make dlq EXPORT=fixme.txt"
        )
    if not waiting.whole:
        return "Nothing to redrive: no whole message waits in the dead-letter queue."
    # Named, not left to SQS: without DestinationArn, "the messages will be redriven back to their respective
    # original source queues" (API_StartMessageMoveTask), and the import and drop functions send the lines they
    # reject straight to this queue, so those have none.
    task = sqs.start_message_move_task(SourceArn=_arn(sqs, url), DestinationArn=_arn(sqs, outputs["queue_url"]))
    return f"Moving {len(waiting.whole)} message(s) back to the import queue (task {task['TaskHandle']})."


def redrive_alerts(sqs: Any, outputs: dict[str, Any], channel: str) -> str:
    """Move a channel's alert dead letters back to the channel's queue with SQS's message move task, once the
    channel works again: its function posts each alert once (one posted before is skipped)."""
    if channel == Channel.SNS:
        # SQS could not move them anyway: it moves messages only out of a dead-letter queue whose sources are SQS
        # queues (API_StartMessageMoveTask), and this one's are SNS subscriptions.
        return SNS_REDRIVE_REFUSED
    url = alert_queues(outputs).get(channel)
    if url is None:
        return (
            f"This stack has no {channel} alert channel (alertChannels: {', '.join(alert_queues(outputs)) or 'none'})."
        )
    alerts = receive_all(sqs, url)
    release(sqs, url, alerts)  # visible again at once, for the move to take them now
    if not alerts:
        return f"Nothing to redrive: no alert waits in the {channel} channel's dead letters."
    # Named, not left to SQS: the channel's function sends the alerts it gives up on straight to the dead-letter
    # queue, so those have no source queue to go back to; the channel's queue is the one whose redrive policy
    # names this dead-letter queue.
    task = sqs.start_message_move_task(SourceArn=_arn(sqs, url), DestinationArn=_arn(sqs, _source_queue(sqs, url)))
    return f"Moving {len(alerts)} alert(s) back to the {channel} channel's queue (task {task['TaskHandle']})."


class NoChannelQueue(SystemExit):
    """The channel's queue cannot be told from its dead-letter queue."""


def _source_queue(sqs: Any, dead_letter_url: str) -> str:
    """The one queue whose redrive policy names this dead-letter queue (API_ListDeadLetterSourceQueues)."""
    sources = [str(url) for url in sqs.list_dead_letter_source_queues(QueueUrl=dead_letter_url).get("queueUrls", [])]
    if len(sources) != 1:
        raise NoChannelQueue(
            f"{dead_letter_url} is the dead-letter queue of {len(sources)} queue(s) ({', '.join(sources) or 'none'}), "
            "not of one channel queue: nothing moved"
        )
    return sources[0]


def _arn(sqs: Any, queue_url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make dlq", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", help="a deployed Pulumi stack; the local stack by default")
    parser.add_argument("--outputs", type=Path, default=Path(".local/outputs.json"), help="the local stack's outputs")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--export", type=Path, metavar="FILE", help="write rejected lines to FILE, then remove them")
    action.add_argument("--redrive", action="store_true", help="move whole messages back to the import queue")
    parser.add_argument(
        "--channel", choices=ALERT_CHANNELS, help="with --redrive: move this alert channel's dead letters back instead"
    )
    args = parser.parse_args(argv)
    if args.channel and not args.redrive:
        parser.error("--channel goes with --redrive")
    outputs = stack_outputs(args.stack, args.outputs)
    sqs = sqs_client(outputs)
    if args.export:
        print(export(sqs, outputs, args.export))
    elif args.redrive and args.channel:
        print(redrive_alerts(sqs, outputs, args.channel))
    elif args.redrive:
        print(redrive(sqs, outputs))
    else:
        waiting = look(sqs, outputs)
        release(sqs, outputs["dead_letter_queue_url"], waiting.rejected + waiting.whole)
        release_failures(sqs, outputs, waiting)
        print("\n".join(describe(waiting)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
