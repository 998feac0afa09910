"""Files mixing valid and invalid lines, duplicates, redeliveries and shuffled times: nothing is lost."""

import random
from collections import Counter
from typing import Any

import pytest

from tests.reliability.conftest import stored_levels
from tests.reliability.scenarios import INVALID_LINES, shuffled_updates
from tests.running_stack import eventually

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`


def test_the_final_table_is_the_latest_of_every_item_and_every_bad_line_is_kept(stack):
    workload = shuffled_updates("RQ-", items=60, updates_per_item=5, lines_per_message=25, seed=7)
    rng = random.Random(7)
    bodies = []
    for index, body in enumerate(workload.bodies):
        lines = body.split("\n")
        lines.insert(rng.randrange(len(lines) + 1), INVALID_LINES[index % len(INVALID_LINES)])
        lines.append(lines[0])  # a duplicate line inside the message
        bodies.append("\n".join(lines))
    redelivered = bodies[:3]  # the same messages again, as an at-least-once queue may deliver them
    sqs = stack.client("sqs")
    for body in bodies + redelivered:
        sqs.send_message(QueueUrl=stack.outputs["queue_url"], MessageBody=body)

    eventually(lambda: stored_levels(stack, "RQ-") == workload.expected, timeout=180, interval=1)
    expected_rejects = sorted(INVALID_LINES[i % len(INVALID_LINES)] for i in range(len(bodies))) + sorted(
        INVALID_LINES[i % len(INVALID_LINES)] for i in range(3)
    )
    kept: list[dict[str, Any]] = []

    def every_reject_kept() -> bool:
        kept.extend(stack.drain(stack.outputs["dead_letter_queue_url"]))
        return len(kept) >= len(expected_rejects)

    eventually(every_reject_kept, timeout=90)
    # At least once: a batch cut short by a crash or a time-out is delivered again, and SQS does not deduplicate.
    kept_bodies = Counter(m["Body"] for m in kept)
    assert set(kept_bodies) == set(expected_rejects)
    assert all(kept_bodies[line] >= count for line, count in Counter(expected_rejects).items())
    assert all(m["MessageAttributes"]["reason"]["StringValue"].startswith("line ") for m in kept)
    lost = {k: v for k, v in workload.expected.items() if stored_levels(stack, "RQ-").get(k) != v}
    assert lost == {}
