"""The reorder-point tools on a local stack, as a person runs them: `make low EXPORT=` edited and sent back with
`make send`, and `make stock ID=` naming each channel's record of an item's alert. (What a client of the stack sees
is in tests/scenarios, which also run against AWS.)"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.running_stack import RunningStack, eventually
from tools import low_items, send_stock_file, stock_report

pytestmark = pytest.mark.local_stack

TIMEOUT = 120


def put(local_stack: RunningStack, stock_id: str, body: dict[str, Any]) -> None:
    status, answer = local_stack.request("PUT", f"/stocks/{stock_id}", json.dumps(body))
    assert status == 200, answer


def item(local_stack: RunningStack, stock_id: str) -> dict[str, Any]:
    status, body = local_stack.request("GET", f"/stocks/{stock_id}")
    assert status == 200, body
    return body


def listed(local_stack: RunningStack, prefix: str) -> list[str]:
    """The ids starting with `prefix` that `make low` lists now."""
    return [
        each.stock_id
        for each in low_items.all_low_items(low_items.SignedApi(local_stack.outputs))
        if each.stock_id.startswith(prefix)
    ]


def test_the_low_items_make_low_exports_go_back_through_make_send_with_the_edits_made_to_them(
    local_stack, tmp_path, monkeypatch, capsys
):
    local_stack.reach_as_aws(monkeypatch)
    outputs = str(local_stack.work_dir / "outputs.json")
    prefix = f"RP-{uuid.uuid4().hex[:8]}-"
    own, default = f"{prefix}own", f"{prefix}default"
    put(local_stack, own, {"stock_level": 2, "reorder_point": 4})
    put(local_stack, default, {"stock_level": 0})
    eventually(lambda: sorted(listed(local_stack, prefix)) == [default, own], timeout=TIMEOUT)

    exported = tmp_path / "low.txt"
    assert low_items.main(["--outputs", outputs, "--export", str(exported)]) == 0
    lines = sorted(line for line in exported.read_text().splitlines() if line.startswith(prefix))
    assert lines == [f"{default};stock_level=0;reorder_point=default", f"{own};stock_level=2;reorder_point=4"]
    # The person restocks one item and lowers the other's reorder point, and deletes every other line.
    edited = tmp_path / "edited.txt"
    edited.write_text(f"{default};stock_level=5;reorder_point=default\n{own};stock_level=2;reorder_point=1\n")
    capsys.readouterr()
    assert send_stock_file.main([str(edited), "--outputs", outputs]) == 0
    assert "sent 2 lines in 1 messages" in capsys.readouterr().out

    def applied() -> bool:
        restocked, lowered = item(local_stack, default), item(local_stack, own)
        shown = [(each["stock_level"], each["reorder_point_source"], each["low"]) for each in (restocked, lowered)]
        return shown == [(5, "default", False), (2, "item", False)] and lowered["reorder_point"] == 1

    eventually(applied, timeout=TIMEOUT)
    eventually(lambda: listed(local_stack, prefix) == [], timeout=TIMEOUT)


def test_make_stock_names_each_channels_record_of_an_items_alert(local_stack, monkeypatch, capsys):
    local_stack.reach_as_aws(monkeypatch)
    outputs = str(local_stack.work_dir / "outputs.json")
    stock_id = f"RP-{uuid.uuid4().hex[:8]}"
    put(local_stack, stock_id, {"stock_level": 2, "reorder_point": 3})

    def report() -> str | None:
        capsys.readouterr()
        assert stock_report.main([stock_id, "--outputs", outputs]) == 0
        text = capsys.readouterr().out
        return None if f"none for {stock_id}" in text or "listed as low: yes" not in text else text

    text = eventually(report, timeout=TIMEOUT)
    assert "reorder point in force: 3, the item's own" in text
    assert "low now: yes (level 2 <= 3)" in text
    records = {channel: records_of(text, channel) for channel in ("sns", "webhook")}
    assert {channel: len(found) for channel, found in records.items()} == {"sns": 1, "webhook": 1}, text
    # Each channel claims the same change, the chat channel under its name.
    [[sns], [webhook]] = records.values()
    assert webhook.split()[1] == f"webhook:{sns.split()[1]}"


def records_of(report: str, channel: str) -> list[str]:
    """The record lines under a channel's heading in `make stock`'s alerts part."""
    lines = report.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(f"  {channel} ("))
    found = []
    for line in lines[start + 1 :]:
        if not line.startswith("    change "):
            break
        found.append(line.strip())
    return found
