"""Reorder points, tried from outside: set by the API, by a file sent to the queue or dropped in the bucket, and read
back; an item made low by its reorder point alerted once on each channel, and again only when it becomes low again.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.running_stack import eventually
from tests.scenarios.alerts import alert_text
from tests.scenarios.target import Target

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`

IMPORT_TIMEOUT = 120


def status_of(target: Target, stock_id: str) -> dict[str, Any] | None:
    """The item as GET /stocks/{id} answers it; None while it does not exist."""
    status, body = target.api("GET", f"/stocks/{stock_id}")
    return body if status == 200 else None


def reorder_point_of(target: Target, stock_id: str) -> tuple[int, str] | None:
    """The reorder point in force and whose it is, once the item exists."""
    body = status_of(target, stock_id)
    return None if body is None else (body["reorder_point"], body["reorder_point_source"])


def applied(target: Target, stock_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The item as a PUT that applied answers it."""
    status, answer = target.api("PUT", f"/stocks/{stock_id}", body)
    assert status == 200, answer
    return answer


def test_a_reorder_point_set_through_the_api_before_any_level_is_read_back(target, unique):
    status, body = target.api("PUT", f"/stocks/{unique}", {"reorder_point": 5})
    assert (status, body["reorder_point"], body["reorder_point_source"], body["stale_fields"]) == (200, 5, "item", [])
    body = status_of(target, unique)
    assert body is not None
    assert (body["stock_level"], body["as_of"], body["reorder_point"], body["low"]) == (None, None, 5, False)


def test_reorder_points_sent_in_a_file_through_the_queue_are_read_back(target, unique):
    own, default = f"{unique}-own", f"{unique}-default"
    lines = [f"{own};reorder_point=7", f"{default};stock_level=12;reorder_point=default"]
    target.client("sqs").send_message(QueueUrl=target.outputs["queue_url"], MessageBody="\n".join(lines))
    assert eventually(lambda: reorder_point_of(target, own), timeout=IMPORT_TIMEOUT) == (7, "item")
    body = eventually(lambda: status_of(target, default), timeout=IMPORT_TIMEOUT)
    assert (body["stock_level"], body["reorder_point_source"]) == (12, "default")


def test_a_reorder_point_in_a_file_dropped_in_the_bucket_is_read_back(target, unique):
    if "drop_bucket_name" not in target.outputs:
        pytest.skip("this stack has no drop bucket (dropBucket is off)")
    key = f"{target.outputs['drop_prefix']}{unique}.txt"
    target.client("s3").put_object(
        Bucket=target.outputs["drop_bucket_name"], Key=key, Body=f"{unique};reorder_point=9\n".encode()
    )
    assert eventually(lambda: reorder_point_of(target, unique), timeout=IMPORT_TIMEOUT) == (9, "item")


def test_raising_the_reorder_point_above_the_level_alerts_once_per_channel_until_the_item_is_low_again(
    target, unique, alert_channels
):
    def put(body: dict[str, Any]) -> dict[str, Any]:
        return applied(target, unique, body)

    # Its own reorder point below its level: not low, whatever the stack's default.
    assert put({"stock_level": 5, "reorder_point": 2})["low"] is False
    assert put({"reorder_point": 6})["low"] is True
    first = alert_text(unique, 5, 6, own=True)
    assert alert_channels.wait_for(unique, 1) == alert_channels.each([first])

    assert put({"reorder_point": 8})["low"] is True  # raised again while low: no new crossing
    alert_channels.settle()
    assert alert_channels.counts(unique) == alert_channels.each(1)

    assert put({"low_stock_alerts": False})["low"] is False
    assert put({"low_stock_alerts": True})["low"] is True  # on again while low: low again
    again = alert_text(unique, 5, 8, own=True)
    assert alert_channels.wait_for(unique, 2) == alert_channels.each([first, again])
    alert_channels.settle()
    assert alert_channels.counts(unique) == alert_channels.each(2)
