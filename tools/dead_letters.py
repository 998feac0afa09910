"""`make dlq` and `make redrive`: read, export and resend what waits in the import dead-letter queue, the
notifier's failure queue and the drop bucket's, on the local stack or a deployed one.

    python -m tools.dead_letters                       # list (nothing is consumed)
    python -m tools.dead_letters --export fixme.txt    # rejected lines to a file, removed once written
    python -m tools.dead_letters --redrive             # whole messages back to the import queue
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from tools.stack_outputs import sqs_client, stack_outputs

_MOST = 10_000  # messages read per queue at the most
_HIDE_SECONDS = 60  # long enough to list or export, short enough that a crash releases them soon


@dataclass
class Waiting:
    """What one look at the queues found: rejected lines, whole messages, stream failures, dropped files."""

    rejected: list[dict[str, Any]]
    whole: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    dropped: list[dict[str, Any]]


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
    return Waiting(rejected, whole, failures, dropped)


def release_failures(sqs: Any, outputs: dict[str, Any], waiting: Waiting) -> None:
    """Leave the failure records where they were: only a person acting on them removes them."""
    for output, messages in (("failure_queue_url", waiting.failures), ("drop_failure_queue_url", waiting.dropped)):
        if outputs.get(output):
            release(sqs, outputs[output], messages)


def describe(waiting: Waiting) -> list[str]:
    """The report a person reads: rejected lines grouped by reason, whole messages, stream failures."""
    lines: list[str] = []
    if not (waiting.rejected or waiting.whole or waiting.failures or waiting.dropped):
        return ["Nothing waits: the dead-letter queue and the failure queues are empty."]
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
    return lines


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


def _arn(sqs: Any, queue_url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make dlq", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", help="a deployed Pulumi stack; the local stack by default")
    parser.add_argument("--outputs", type=Path, default=Path(".local/outputs.json"), help="the local stack's outputs")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--export", type=Path, metavar="FILE", help="write rejected lines to FILE, then remove them")
    action.add_argument("--redrive", action="store_true", help="move whole messages back to the import queue")
    args = parser.parse_args(argv)
    outputs = stack_outputs(args.stack, args.outputs)
    sqs = sqs_client(outputs)
    if args.export:
        print(export(sqs, outputs, args.export))
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
