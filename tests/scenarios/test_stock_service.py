"""What a user of the stock service relies on, tried from outside: only the stack's outputs and AWS's clients.

The same scenarios run against a local stack (`make test`), a running one (`STACK_OUTPUTS=...`), or an
ephemeral stack in AWS (`make test-aws`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.running_stack import eventually
from tests.scenarios.alerts import TopicInbox
from tests.scenarios.target import Target

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`


def level_of(target: Target, stock_id: str) -> int | None:
    status, body = target.api("GET", f"/stocks/{stock_id}")
    return int(body["stock_level"]) if status == 200 else None


def test_levels_are_set_and_read_through_the_signed_api(target, unique):
    status, body = target.api("POST", "/stocks", {"stock_id": f"{unique}-A", "stock_level": 7})  # the original body
    assert (status, body["stock_id"], body["stock_level"]) == (200, f"{unique}-A", 7)
    assert target.api("PUT", f"/stocks/{unique}-A", {"stock_level": 4})[0] == 200
    status, body = target.api("GET", f"/stocks/{unique}-A")
    assert (status, body["stock_level"]) == (200, 4)


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("POST", "/stocks", {"stock_id": "{id}", "stock_level": -1}, 400),
        ("POST", "/stocks", "{not json", 400),
        ("PUT", "/stocks/{id}", {"stock_level": 2.5}, 400),
        ("PUT", "/stocks/{id}", {"stock_level": 3, "colour": "red"}, 400),
        ("POST", "/stocks", {"stock_id": "{id}", "stock_level": 1, "as_of": "yesterday"}, 400),
    ],
)
def test_bad_input_is_refused_with_a_4xx_message_and_nothing_is_written(target, unique, method, path, body, expected):
    if isinstance(body, dict):
        body = json.loads(json.dumps(body).replace("{id}", unique))
    status, document = target.api(method, path.replace("{id}", unique), body)
    assert status == expected
    assert document["message"]
    assert target.api("GET", f"/stocks/{unique}")[0] == 404


def test_an_id_cut_at_its_encoded_question_mark_is_refused_and_the_id_before_it_is_not_set(target, unique):
    """`PUT /stocks/A%3F1` names `A?1`, which no new item may be called. A REST API hands the function `A?1`; an
    HTTP API cuts the path at the decoded `?` and hands on `A`, with what followed as a query string (docs/design.md,
    "Validation"). Either way the answer is a 4xx with a message (a 400 from the function; on AWS, API Gateway may
    refuse the signature of a cut path first, with its 403), and `A` is not set."""
    status, document = target.api("PUT", f"/stocks/{unique}%3F1", {"stock_level": 3})
    assert (400 <= status < 500, bool(document.get("message"))) == (True, True), (status, document)
    assert target.api("GET", f"/stocks/{unique}")[0] == 404


def test_out_of_order_updates_resolve_by_as_of(target, unique):
    newer = {"stock_level": 5, "as_of": "2024-05-01T12:00:00Z"}
    older = {"stock_level": 9, "as_of": "2024-05-01T11:00:00Z"}
    assert target.api("PUT", f"/stocks/{unique}", newer)[0] == 200
    status, body = target.api("PUT", f"/stocks/{unique}", older)
    assert (status, body["stock_level"]) == (409, 5)
    # The import keeps a message's bad lines only once its valid lines are stored or found stale: the bad line's
    # arrival in the dead-letter queue shows the older line was handled, not merely still waiting.
    marker = f"{unique}-marker line without a level"
    target.client("sqs").send_message(
        QueueUrl=target.outputs["queue_url"], MessageBody=f"{unique};7;2024-05-01T10:00:00Z\n{marker}"
    )
    eventually(lambda: dead_letter(target, marker), timeout=120)
    assert level_of(target, unique) == 5


def test_a_file_is_imported_and_its_bad_line_is_kept_with_its_reason(target, unique):
    bad_line = f"{unique}-this line has no level"
    body = f"{unique}-1;3\n{unique}-2;0\n{bad_line}"
    target.client("sqs").send_message(QueueUrl=target.outputs["queue_url"], MessageBody=body)
    eventually(lambda: level_of(target, f"{unique}-2") == 0, timeout=120)
    assert level_of(target, f"{unique}-1") == 3
    kept = eventually(lambda: dead_letter(target, bad_line), timeout=120)
    assert kept["MessageAttributes"]["reason"]["StringValue"].startswith("line 3")
    assert kept["MessageAttributes"]["source"]["StringValue"].endswith(":3")


def dead_letter(target: Target, body: str) -> dict[str, Any] | None:
    """The dead letter with this body, deleted once found; others are left for their owners."""
    sqs = target.client("sqs")
    url = target.outputs["dead_letter_queue_url"]
    for message in sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=2
    ).get("Messages", []):
        if message["Body"] == body:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            found: dict[str, Any] = message
            return found
    return None


@pytest.fixture
def subscriber(target: Target, unique: str) -> Iterator[TopicInbox]:
    """A queue the test subscribes to the alerts topic, allowed to receive from it, removed afterwards."""
    inbox = TopicInbox(target, f"{unique}-inbox")
    try:
        yield inbox
    finally:
        inbox.close()


def test_a_low_stock_alert_reaches_a_subscriber(target, unique, subscriber):
    assert target.api("PUT", f"/stocks/{unique}", {"stock_level": 0})[0] == 200
    [text] = eventually(lambda: subscriber.alerts(unique), timeout=120)
    assert f"item {unique} is down to 0" in text
