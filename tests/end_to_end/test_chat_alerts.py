"""Low-stock alerts on the local chat webhook, beside the topic's subscribers."""

import json
import time
import urllib.request
from collections import Counter

import pytest

from tests.running_stack import AlertInbox, RunningStack, eventually, settle_alerts

pytestmark = pytest.mark.local_stack


def chat(local_stack: RunningStack, path: str, payload: object = None) -> object:
    url = local_stack.outputs["chat_webhook_url"] + path
    data = None if payload is None else json.dumps(payload).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
        return json.loads(response.read() or b"null") if payload is None else None


def chat_alerts(local_stack: RunningStack, prefix: str) -> Counter[str]:
    posts = chat(local_stack, "/posts")
    assert isinstance(posts, list)
    return Counter(post["stock_id"] for post in posts if post["stock_id"].startswith(prefix))


def test_an_alert_reaches_the_chat_webhook_and_the_topic(local_stack):
    inbox = AlertInbox(local_stack, "chat-e2e-inbox")
    assert local_stack.request("PUT", "/stocks/CHAT-E2E-1", json.dumps({"stock_level": 0}))[0] == 200
    assert eventually(lambda: chat_alerts(local_stack, "CHAT-E2E-") == Counter({"CHAT-E2E-1": 1}), timeout=60)
    assert eventually(lambda: inbox.per_item()["CHAT-E2E-1"] == 1, timeout=60)
    assert any("chat webhook: Low stock: item CHAT-E2E-1" in line for line in local_stack.console)


def test_a_webhook_failing_for_a_while_delays_alerts_but_loses_none(local_stack):
    inbox = AlertInbox(local_stack, "chat-outage-inbox")
    chat(local_stack, "/failures", {"status": 503, "seconds": 8})
    outage_ends = time.monotonic() + 8
    items = [f"CHAT-OUTAGE-{n}" for n in range(5)]
    for item in items:
        assert local_stack.request("PUT", f"/stocks/{item}", json.dumps({"stock_level": 1}))[0] == 200

    delivered = eventually(lambda: chat_alerts(local_stack, "CHAT-OUTAGE-") == Counter(items), timeout=120)

    assert delivered
    assert time.monotonic() >= outage_ends  # they waited out the outage
    assert eventually(lambda: inbox.per_item() == Counter(items), timeout=60)  # each SMS/email once
    # Each channel once, and none again later: the sentinel's chat alert comes after any of theirs could.
    settle_alerts(local_stack, lambda sentinel: chat_alerts(local_stack, sentinel)[sentinel] > 0)
    assert chat_alerts(local_stack, "CHAT-OUTAGE-") == Counter(items)
    assert +Counter({item: count for item, count in inbox.per_item().items() if item in items}) == Counter(items)
