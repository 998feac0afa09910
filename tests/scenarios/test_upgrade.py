"""`make upgrade` run against the stack, tried from outside, on items stored as earlier code stored them: the tool as
its command runs it (tools.upgrade_items, with the table the stack's outputs name and the default reorder point its
functions hold), its effects read through the API, the list and the alert channels.

The items are written straight to the table, as the earlier code wrote them. Such a write goes through the table's
stream as any other, so the stream's function judges them as it finds them: each scenario lets that settle and
counts the alerts before it runs the upgrade.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.dynamodb_items import DEFAULT_REORDER_POINT
from domain.stock import format_as_of
from tests.running_stack import eventually
from tests.scenarios.alerts import alert_text
from tests.scenarios.low_list import listed
from tests.scenarios.target import Target
from tools.deployed_settings import DeployedSettings, read_deployed_settings
from tools.upgrade_items import Summary, upgrade

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`

LISTED_TIMEOUT = 180
UNPADDED_TIME = "999-01-01T00:00:00.000000Z"  # how the code before fixed-width times stored 0999-01-01


def stack_settings(target: Target) -> DeployedSettings:
    """What the stack's functions hold, read as `make upgrade` reads it."""
    return read_deployed_settings(target.client("lambda"), target.outputs)


def run_upgrade(target: Target) -> Summary:
    """`make upgrade` against the target: its table, and the default and time limit its functions hold."""
    settings = stack_settings(target)
    return upgrade(
        target.client("dynamodb"),
        target.outputs["table_name"],
        settings.default_reorder_point,
        settings.max_ahead,
        out=io.StringIO(),
        progress=io.StringIO(),
    )


def write_directly(target: Target, stock_id: str, attributes: dict[str, Any]) -> None:
    target.client("dynamodb").put_item(
        TableName=target.outputs["table_name"], Item={"stock_id": {"S": stock_id}, **attributes}
    )


def stored(target: Target, stock_id: str) -> dict[str, Any]:
    item: dict[str, Any] = target.client("dynamodb").get_item(
        TableName=target.outputs["table_name"], Key={"stock_id": {"S": stock_id}}, ConsistentRead=True
    )["Item"]
    return item


def level(value: int, as_of: str) -> dict[str, Any]:
    """A level as the code before reorder points stored it: the level and its time, nothing else."""
    return {"stock_level": {"N": str(value)}, "as_of": {"S": as_of}}


def a_minute_ago() -> str:
    return format_as_of(datetime.now(UTC) - timedelta(minutes=1))


def test_the_upgrade_of_items_stored_before_reorder_points_lists_the_low_ones_alerts_none_again_and_pads_times(
    target, unique, alert_channels
):
    default = stack_settings(target).default_reorder_point
    low = {f"{unique}-empty": 0, f"{unique}-at-default": default}
    high, unpadded = f"{unique}-high", f"{unique}-unpadded"
    for stock_id, value in low.items():
        write_directly(target, stock_id, level(value, a_minute_ago()))
    write_directly(target, high, level(default + 5, a_minute_ago()))
    write_directly(target, unpadded, level(default + 5, UNPADDED_TIME))
    # New items to the stream's function, which judges them by the default it holds: the low ones are alerted now.
    for stock_id, value in low.items():
        expected = alert_text(stock_id, value, default, own=False)
        assert alert_channels.wait_for(stock_id, 1) == alert_channels.each([expected])
    alert_channels.settle()
    once = alert_channels.each(1)
    assert {stock_id: alert_channels.counts(stock_id) for stock_id in low} == dict.fromkeys(low, once)

    run_upgrade(target)

    for stock_id in [*low, high, unpadded]:
        assert stored(target, stock_id)[DEFAULT_REORDER_POINT] == {"N": str(default)}
    assert stored(target, unpadded)["as_of"] == {"S": f"0{UNPADDED_TIME}"}
    eventually(lambda: sorted(listed(target, f"{unique}-")) == sorted(low), timeout=LISTED_TIMEOUT, interval=1)
    # The upgrade's writes reach the stream too; low before them and after, the items cross nothing.
    alert_channels.settle()
    assert {stock_id: alert_channels.counts(stock_id) for stock_id in low} == dict.fromkeys(low, once)
    assert alert_channels.counts(high) == alert_channels.each(0)

    # The item stored with an unpadded year is ordered by its time again: an update dated before it is stale, one
    # dated after it applies.
    stored_level = default + 5
    status, body = target.api("PUT", f"/stocks/{unpadded}", {"stock_level": 40, "as_of": "0998-06-01T00:00:00Z"})
    assert (status, body["stock_level"], body["stale_fields"]) == (409, stored_level, ["stock_level"]), body
    status, body = target.api("PUT", f"/stocks/{unpadded}", {"stock_level": 41, "as_of": "1000-01-01T00:00:00Z"})
    assert (status, body["stock_level"], body["stale_fields"]) == (200, 41, []), body


def test_raising_the_stacks_default_makes_items_stored_with_the_older_one_low_alerting_each_once(
    target, unique, alert_channels
):
    default = stack_settings(target).default_reorder_point
    if default == 0:
        pytest.skip("the stack's default reorder point is 0: no older default lies below it")
    older = default // 2
    becoming_low = {f"{unique}-{value}": value for value in range(older + 1, default + 1)}
    above = f"{unique}-above"
    for stock_id, value in [*becoming_low.items(), (above, default + 1)]:
        write_directly(target, stock_id, {**level(value, a_minute_ago()), DEFAULT_REORDER_POINT: {"N": str(older)}})
    # Above the older default, each was new and not low to the stream's function: no alert.
    alert_channels.settle()
    none = alert_channels.each(0)
    assert {stock_id: alert_channels.counts(stock_id) for stock_id in [*becoming_low, above]} == dict.fromkeys(
        [*becoming_low, above], none
    )

    run_upgrade(target)

    # The stream's function sees each change of default, and alerts those it made low, once on each channel.
    for stock_id, value in becoming_low.items():
        expected = alert_text(stock_id, value, default, own=False)
        assert alert_channels.wait_for(stock_id, 1) == alert_channels.each([expected])
    eventually(lambda: sorted(listed(target, f"{unique}-")) == sorted(becoming_low), timeout=LISTED_TIMEOUT, interval=1)
    alert_channels.settle()
    once = alert_channels.each(1)
    assert {stock_id: alert_channels.counts(stock_id) for stock_id in becoming_low} == dict.fromkeys(becoming_low, once)
    assert alert_channels.counts(above) == none

    # Run again, it finds each item in line and writes nothing: the stream has nothing to judge, nobody is alerted.
    before = {stock_id: stored(target, stock_id) for stock_id in [*becoming_low, above]}
    run_upgrade(target)
    assert {stock_id: stored(target, stock_id) for stock_id in before} == before
    alert_channels.settle()
    assert {stock_id: alert_channels.counts(stock_id) for stock_id in becoming_low} == dict.fromkeys(becoming_low, once)
