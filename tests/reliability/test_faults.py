"""Faults injected into the local stack's AWS: once they clear, the state is right and every alert went out."""

import json
import os
import signal

import pytest

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
        lambda: stored_levels(stack, "RT-") == workload.expected | {f"RT-API-{n}": n for n in range(10)}, timeout=180
    )


def test_alerts_held_up_by_an_sns_outage_are_sent_once_it_clears(stack):
    inbox = AlertInbox(stack, "reliability-sns-outage")
    stack.faults("POST", service="sns", operation="Publish", error="InternalError", status=500, rate=1.0, seconds=6)
    for n in range(5):
        stack.request("PUT", f"/stocks/RS-{n}", json.dumps({"stock_level": 0}))
    eventually(lambda: {f"RS-{n}" for n in range(5)} <= set(inbox.per_item()), timeout=120)
    assert stack.faults()["injected"]["sns:Publish:InternalError"] > 0


def test_a_function_that_crashes_mid_batch_loses_nothing(stack):
    workload = shuffled_updates("RC-", items=200, updates_per_item=1, lines_per_message=200, seed=3)
    stack.client("sqs").send_message(QueueUrl=stack.outputs["queue_url"], MessageBody=workload.bodies[0])
    eventually(lambda: len(stored_levels(stack, "RC-")) > 0, interval=0.02)
    killed = processes_in(stack.work_dir / "functions" / "stock-import-function")
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    applied_at_crash = len(stored_levels(stack, "RC-"))

    assert killed
    assert 0 < applied_at_crash < 200  # the crash really happened mid-batch
    eventually(lambda: stored_levels(stack, "RC-") == workload.expected, timeout=180)


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

    # Recording an alert as sent is held 1.5 s: the notifier is killed after a publish, before it can answer.
    stack.faults("POST", service="dynamodb", operation="UpdateItem", latency=1.5, seconds=600)
    body = "\n".join(f"{item};0" for item in sorted(items))
    stack.client("sqs").send_message(QueueUrl=stack.outputs["queue_url"], MessageBody=body)
    eventually(own_alerts, interval=0.05)
    killed = processes_in(stack.work_dir / "functions" / "low-stock-notifier-function")
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    sent_before_the_kill = sum(own_alerts().values())

    assert killed
    assert 0 < sent_before_the_kill < len(items)  # the kill really came mid-batch, right after a publish
    eventually(lambda: set(own_alerts()) == items, timeout=180)
    stack.faults("DELETE")
    settle_alerts(stack, lambda sentinel: inbox.per_item()[sentinel] > 0)  # "once": none comes later either
    assert own_alerts() == dict.fromkeys(items, 1)
