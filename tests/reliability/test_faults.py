"""Faults injected into the local stack's AWS: once they clear, the state is right and every alert went out."""

import json
import os
import signal

import pytest

from handlers.aws import WRITE_CONCURRENCY
from tests.reliability.conftest import stored_levels
from tests.reliability.scenarios import shuffled_updates
from tests.running_stack import AlertInbox, eventually, processes_in, settle_alerts

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`


@pytest.fixture(autouse=True)
def _no_faults_left(stack):
    yield
    stack.faults("DELETE")


def put_until_accepted(stack, stock_id, level, as_of, attempts=30):
    """A client that retries on 5xx, as clients of a 503 should."""
    for _ in range(attempts):
        status, _ = stack.request("PUT", f"/stocks/{stock_id}", json.dumps({"stock_level": level, "as_of": as_of}))
        if status < 500:
            return status
    return status


def test_throttled_writes_are_retried_until_every_update_is_applied(stack):
    stack.faults(
        "POST",
        service="dynamodb",
        operation="UpdateItem",
        error="ProvisionedThroughputExceededException",
        status=400,
        rate=0.5,
        seconds=8,
    )
    workload = shuffled_updates("RT-", items=30, updates_per_item=3, lines_per_message=10, seed=11)
    for body in workload.bodies:
        stack.client("sqs").send_message(QueueUrl=stack.outputs["queue_url"], MessageBody=body)
    api_statuses = [put_until_accepted(stack, f"RT-API-{n}", n, "2024-05-01T00:00:00Z") for n in range(10)]

    assert api_statuses == [200] * 10
    assert stack.faults()["injected"]["dynamodb:UpdateItem:ProvisionedThroughputExceededException"] > 0
    eventually(
        lambda: stored_levels(stack, "RT-") == workload.expected | {f"RT-API-{n}": n for n in range(10)},
        timeout=180,
        interval=1,  # a scan of the table waits for the writes it reads: polled often, it slows them down
    )


def test_alerts_held_up_by_an_sns_outage_are_sent_once_it_clears(stack):
    inbox = AlertInbox(stack, "reliability-sns-outage")
    stack.faults("POST", service="sns", operation="Publish", error="InternalError", status=500, rate=1.0, seconds=6)
    for n in range(5):
        stack.request("PUT", f"/stocks/RS-{n}", json.dumps({"stock_level": 0}))
    eventually(lambda: {f"RS-{n}" for n in range(5)} <= set(inbox.per_item()), timeout=120)
    assert stack.faults()["injected"]["sns:Publish:InternalError"] > 0


def held_writes(stack):
    """How many table writes the hold below has caught so far."""
    return stack.faults()["injected"].get("dynamodb:UpdateItem:latency", 0)


def hold_table_writes(stack):
    """Hold every `UpdateItem` until the faults are cleared (then each is served, as a write a dead client sent)."""
    stack.faults("POST", service="dynamodb", operation="UpdateItem", latency=600, seconds=600)


def test_a_function_that_crashes_mid_batch_loses_nothing(stack):
    # More lines than the function writes at once, so most are still unwritten at the kill; few enough that the
    # retry fits the function's time-out on a busy machine (the embedded DynamoDB takes one write at a time).
    workload = shuffled_updates("RC-", items=50, updates_per_item=1, lines_per_message=50, seed=3)
    held_before = held_writes(stack)
    hold_table_writes(stack)  # the batch cannot end before the kill, however slow the machine
    stack.client("sqs").send_message(QueueUrl=stack.outputs["queue_url"], MessageBody=workload.bodies[0])
    # Every writer of the function is held in its batch (a write left over from another test is one at most).
    eventually(lambda: held_writes(stack) - held_before >= WRITE_CONCURRENCY, timeout=120)
    killed = processes_in(stack.work_dir / "functions" / "stock-import-function")
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    stored_at_crash = stored_levels(stack, "RC-")
    stack.faults("DELETE")  # the writes the dead function had in flight now land; the rest is its retry's

    assert killed
    assert stored_at_crash == {}  # the crash really came mid-batch: none of its writes had finished
    eventually(lambda: stored_levels(stack, "RC-") == workload.expected, timeout=180, interval=1)


def test_without_faults_each_crossing_is_notified_exactly_once(stack):
    inbox = AlertInbox(stack, "reliability-exactly-once")
    journeys = {"RX-A": [5, 1, 0, 4, 1], "RX-B": [3, 2, 2], "RX-C": [0, 0, 9, 0], "RX-D": [1]}
    crossings = {"RX-A": 2, "RX-C": 2, "RX-D": 1}
    for stock_id, levels in journeys.items():
        for second, level in enumerate(levels):
            assert put_until_accepted(stack, stock_id, level, f"2024-05-01T00:00:{second:02d}Z") == 200

    def own_alerts():  # other tests' alerts may still be in flight on the shared topic
        return {item: count for item, count in inbox.per_item().items() if item in journeys}

    eventually(lambda: own_alerts() == crossings, timeout=60)
    assert stack.faults()["active"] == []
    settle_alerts(stack, lambda sentinel: inbox.per_item()[sentinel] > 0)  # "once": none comes later either
    assert own_alerts() == crossings


def test_a_slow_table_gets_a_503_with_a_message_before_the_api_function_times_out(stack):
    # Three attempts of up to 7 s each would outlast the function's 10 s: API Gateway would answer 502.
    stack.faults("POST", service="dynamodb", operation="UpdateItem", latency=30, seconds=120)
    status, body = stack.request("PUT", "/stocks/RSLOW-API", json.dumps({"stock_level": 3}))
    assert (status, body) == (503, {"message": "the stock store is unavailable; retry later"})


def test_a_slow_publish_never_sends_an_alert_twice(stack):
    inbox = AlertInbox(stack, "reliability-slow-publish")
    items = {f"RP-{n:02d}" for n in range(16)}
    # 16 publishes of 1 s each outlast the notifier's 10 s: a time-out would resend the batch's alerts.
    stack.faults("POST", service="sns", operation="Publish", latency=1.0, seconds=600)
    body = "\n".join(f"{item};0" for item in sorted(items))
    stack.client("sqs").send_message(QueueUrl=stack.outputs["queue_url"], MessageBody=body)

    def own_alerts():
        return {item: count for item, count in inbox.per_item().items() if item in items}

    eventually(lambda: set(own_alerts()) == items, timeout=240)
    stack.faults("DELETE")
    settle_alerts(stack, lambda sentinel: inbox.per_item()[sentinel] > 0)  # "never twice": not later either
    assert own_alerts() == dict.fromkeys(items, 1)


def test_a_notifier_killed_right_after_a_publish_sends_each_alert_once(stack):
    inbox = AlertInbox(stack, "reliability-killed-notifier")
    items = {f"RK-{n}" for n in range(4)}

    def own_alerts():
        return {item: count for item, count in inbox.per_item().items() if item in items}

    # Recording an alert as sent (an UpdateItem) is held until the kill: the notifier, which takes its records
    # one at a time, is killed after a publish, before it can answer. The levels are written with PutItem, which
    # the hold lets through, so the changes reach the stream.
    held_before = held_writes(stack)
    hold_table_writes(stack)
    for item in sorted(items):
        stack.client("dynamodb").put_item(
            TableName=stack.outputs["table_name"],
            Item={"stock_id": {"S": item}, "stock_level": {"N": "0"}, "as_of": {"S": "2024-05-01T00:00:00.000000Z"}},
        )
    eventually(lambda: own_alerts() and held_writes(stack) > held_before, timeout=120, interval=0.05)
    killed = processes_in(stack.work_dir / "functions" / "low-stock-notifier-function")
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    sent_before_the_kill = sum(own_alerts().values())
    stack.faults("DELETE")  # the dead notifier's record of its last publish now lands

    assert killed
    assert sent_before_the_kill == 1  # the kill really came mid-batch, right after a publish
    eventually(lambda: set(own_alerts()) == items, timeout=180)
    settle_alerts(stack, lambda sentinel: inbox.per_item()[sentinel] > 0)  # "once": none comes later either
    assert own_alerts() == dict.fromkeys(items, 1)
