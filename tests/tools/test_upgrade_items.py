"""`make upgrade` on a table filled the old way: items without the stack's default, times with an unpadded year, a
time dated in the future. The first run fixes what it must, the next writes nothing, a change made between the scan
and the write is left as it is."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from adapters.dynamodb_items import item_from_attributes
from tools import upgrade_items
from tools.upgrade_items import Summary, plan_item, read_stored_time, upgrade

REGION = "eu-west-3"
TABLE = "stock-levels"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MAX_AHEAD = timedelta(seconds=300)
DEFAULT = 5


def s(text: str) -> dict[str, str]:
    return {"S": text}


def n(number: int) -> dict[str, str]:
    return {"N": str(number)}


# As the code before per-item reorder points stored them (a level and its time only), and as this code stores them.
OLD_ITEMS: dict[str, dict[str, Any]] = {
    "OLD-1": {"stock_level": n(3), "as_of": s("2024-05-01T12:00:00.000000Z")},
    # strftime("%Y") wrote years below 1000 unpadded: "999-..." sorts after "2024-...", so the item froze.
    "OLD-YEAR": {"stock_level": n(7), "as_of": s("999-01-01T00:00:00.000000Z")},
    "FUTURE": {"stock_level": n(2), "as_of": s("2025-03-02T12:00:00.000000Z")},  # a day ahead of NOW
    "OLD-DEFAULT": {
        "stock_level": n(4),
        "as_of": s("2024-05-01T12:00:00.000000Z"),
        "reorder_point": n(2),
        "reorder_point_as_of": s("2024-05-01T12:00:00.000000Z"),
        "default_reorder_point": n(1),  # lowStockThreshold was 1 when it was written
    },
    "ALERTS-YEAR": {
        "stock_level": n(9),
        "as_of": s("2024-05-01T12:00:00.000000Z"),
        "low_stock_alerts": {"BOOL": False},
        "low_stock_alerts_as_of": s("12-06-30T00:00:00.000000Z"),
        "default_reorder_point": n(DEFAULT),
    },
    "IN-LINE": {
        "stock_level": n(1),
        "as_of": s("2024-05-01T12:00:00.000000Z"),
        "default_reorder_point": n(DEFAULT),
        "low_list_shard": s("3"),
    },
}


class Table:
    """The stock table in an emulated account, filled the old way."""

    def __init__(self) -> None:
        self.client = boto3.client("dynamodb", region_name=REGION)
        self.client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "stock_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "stock_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for stock_id, attributes in OLD_ITEMS.items():
            self.client.put_item(TableName=TABLE, Item={"stock_id": s(stock_id), **attributes})

    def item(self, stock_id: str) -> dict[str, Any]:
        item: dict[str, Any] = self.client.get_item(TableName=TABLE, Key={"stock_id": s(stock_id)})["Item"]
        return item

    def everything(self) -> dict[str, dict[str, Any]]:
        return {item["stock_id"]["S"]: item for item in self.client.scan(TableName=TABLE)["Items"]}


@pytest.fixture
def table() -> Iterator[Table]:
    with mock_aws():
        yield Table()


def run(client: Any, **options: Any) -> tuple[Summary, str]:
    out = io.StringIO()
    summary = upgrade(client, TABLE, DEFAULT, MAX_AHEAD, clock=lambda: NOW, out=out, progress=io.StringIO(), **options)
    return summary, out.getvalue()


def test_the_first_run_sets_the_default_and_pads_the_times_in_the_stored_form(table):
    summary, out = run(table.client)

    assert summary == Summary(scanned=6, defaults_set=4, times_repaired=2, future_found=1)
    stored = table.everything()
    assert {stock_id: item["default_reorder_point"] for stock_id, item in stored.items()} == dict.fromkeys(
        OLD_ITEMS, n(DEFAULT)
    )
    assert stored["OLD-YEAR"]["as_of"] == s("0999-01-01T00:00:00.000000Z")
    assert stored["ALERTS-YEAR"]["low_stock_alerts_as_of"] == s("0012-06-30T00:00:00.000000Z")
    # Only the default and the times' form change: every value, the list's mark and the future time stay.
    for stock_id, attributes in OLD_ITEMS.items():
        kept = {name: value for name, value in attributes.items() if name not in ("default_reorder_point",)}
        assert {name: stored[stock_id][name] for name in kept if not name.endswith("as_of")} == {
            name: value for name, value in kept.items() if not name.endswith("as_of")
        }
    assert stored["FUTURE"]["as_of"] == OLD_ITEMS["FUTURE"]["as_of"]
    assert "FUTURE: as_of 2025-03-02T12:00:00.000000Z is more than 300 s ahead" in out
    for stock_id, item in stored.items():
        # the same item, its times read as the times they stood for
        before = {"stock_id": s(stock_id), **OLD_ITEMS[stock_id], "default_reorder_point": n(DEFAULT)}
        assert item_from_attributes(item) == item_from_attributes(before)


def test_a_second_run_writes_nothing(table, mocker):
    run(table.client)
    before = table.everything()
    writes = mocker.spy(table.client, "update_item")

    summary, _ = run(table.client)

    assert writes.call_count == 0
    assert summary == Summary(scanned=6, future_found=1)
    assert table.everything() == before


def test_repair_future_sets_a_time_dated_in_the_future_to_now_and_the_next_run_finds_none(table):
    summary, _ = run(table.client, repair_future=True)
    assert (summary.future_found, summary.future_repaired) == (1, 1)
    assert table.item("FUTURE")["as_of"] == s("2025-03-01T12:00:00.000000Z")
    assert table.item("FUTURE")["stock_level"] == n(2)

    again, _ = run(table.client, repair_future=True)
    assert again == Summary(scanned=6)


def test_a_dry_run_writes_nothing_and_prints_each_write_it_would_make(table, mocker):
    before = table.everything()
    writes = mocker.spy(table.client, "update_item")

    summary, out = run(table.client, dry_run=True, repair_future=True)

    assert writes.call_count == 0
    assert table.everything() == before
    assert summary == Summary(scanned=6, defaults_set=4, times_repaired=2, future_found=1, future_repaired=1)
    assert (
        "OLD-YEAR: would set default_reorder_point absent -> 5; as_of 999-01-01T00:00:00.000000Z -> "
        "0999-01-01T00:00:00.000000Z\n"
    ) in out
    assert "OLD-DEFAULT: would set default_reorder_point 1 -> 5\n" in out
    assert "IN-LINE" not in out


class ChangedBeforeWrite:
    """A DynamoDB client on which another writer changes an item between the upgrade's scan and its write."""

    def __init__(self, client: Any, stock_id: str, change: Callable[[Any], None]) -> None:
        self._client = client
        self._stock_id = stock_id
        self._change: Callable[[Any], None] | None = change

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def update_item(self, **request: Any) -> Any:
        if request["Key"]["stock_id"]["S"] == self._stock_id and self._change is not None:
            self._change(self._client)
            self._change = None
        return self._client.update_item(**request)


def test_an_item_given_a_new_default_between_scan_and_write_is_skipped_not_clobbered(table):
    def newer_deployment_writes(client: Any) -> None:
        # The API of a stack deployed meanwhile with lowStockThreshold 7 sets the level, and writes its default.
        client.update_item(
            TableName=TABLE,
            Key={"stock_id": s("OLD-1")},
            UpdateExpression="SET stock_level = :level, as_of = :as_of, default_reorder_point = :default",
            ExpressionAttributeValues={":level": n(6), ":as_of": s("2025-03-01T11:59:00.000000Z"), ":default": n(7)},
        )

    summary, out = run(ChangedBeforeWrite(table.client, "OLD-1", newer_deployment_writes))

    assert summary.skipped == 1
    assert summary.defaults_set == 3
    assert "OLD-1: changed since it was read, skipped (default_reorder_point absent -> 5)" in out
    assert table.item("OLD-1")["default_reorder_point"] == n(7)
    assert table.item("OLD-1")["stock_level"] == n(6)


def test_a_time_changed_between_scan_and_write_is_skipped_not_clobbered(table):
    def set_by_hand(client: Any) -> None:
        client.update_item(
            TableName=TABLE,
            Key={"stock_id": s("OLD-YEAR")},
            UpdateExpression="SET stock_level = :level, as_of = :as_of",
            ExpressionAttributeValues={":level": n(8), ":as_of": s("2025-03-01T11:00:00.000000Z")},
        )

    summary, _ = run(ChangedBeforeWrite(table.client, "OLD-YEAR", set_by_hand))

    assert (summary.skipped, summary.times_repaired) == (1, 1)
    assert table.item("OLD-YEAR")["as_of"] == s("2025-03-01T11:00:00.000000Z")
    assert "default_reorder_point" not in table.item("OLD-YEAR")  # the one write was not made at all
    # The next run sees it as it is now.
    again, _ = run(table.client)
    assert (again.skipped, again.defaults_set, again.times_repaired) == (0, 1, 0)


def test_the_progress_bar_counts_items_done_of_the_tables_estimate(table):
    progress = io.StringIO()
    upgrade(table.client, TABLE, DEFAULT, MAX_AHEAD, clock=lambda: NOW, out=io.StringIO(), progress=progress)
    assert progress.getvalue() == f"[{' ' * 30}] 0/~6 items\n[{'#' * 30}] 6/~6 items\n"  # not a terminal: a log


def test_times_are_read_in_the_stored_form_and_with_an_unpadded_year_and_nothing_else():
    assert read_stored_time("2024-05-01T12:00:00.000000Z") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert read_stored_time("999-01-01T00:00:00.000000Z") == datetime(999, 1, 1, tzinfo=UTC)
    assert read_stored_time("0999-01-01T00:00:00.000000Z") == datetime(999, 1, 1, tzinfo=UTC)
    for other in ("2024-05-01T12:00:00Z", "0-01-01T00:00:00.000000Z", "2024-13-01T00:00:00.000000Z", "soon"):
        assert read_stored_time(other) is None


def test_a_time_in_no_form_this_service_wrote_is_reported_and_left():
    plan = plan_item(
        {"stock_id": s("A1"), "as_of": s("yesterday"), "default_reorder_point": n(DEFAULT)},
        DEFAULT,
        NOW,
        MAX_AHEAD,
        True,
    )
    assert (plan.changes, plan.unreadable) == (
        [],
        ["as_of 'yesterday' is in no form this service wrote; left as it is"],
    )


def test_main_reads_the_default_from_the_stacks_functions_and_prints_the_summary(table, mocker, capsys, tmp_path):
    settings = mocker.patch.object(upgrade_items, "read_deployed_settings")
    settings.return_value.default_reorder_point = DEFAULT
    settings.return_value.max_ahead = MAX_AHEAD
    outputs = tmp_path / "outputs.json"
    outputs.write_text(f'{{"table_name": "{TABLE}", "topic_arn": "arn:aws:sns:{REGION}:123456789012:alerts"}}')

    assert upgrade_items.main(["--outputs", str(outputs), "--dry-run"]) == 0

    printed = capsys.readouterr()
    assert "Scanned 6 item(s) of stock-levels; the stack's default reorder point is 5" in printed.out
    assert "] 6/~6 items" in printed.err
    assert "default_reorder_point" not in table.item("OLD-1")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_is_redrawn_in_place_and_cleared_before_a_line_is_printed(table):
    progress = Terminal()
    upgrade(table.client, TABLE, DEFAULT, MAX_AHEAD, clock=lambda: NOW, out=io.StringIO(), progress=progress)
    drawn = f"[{' ' * 30}] 0/~6 items"
    assert progress.getvalue().startswith(f"\r{drawn}\r{' ' * len(drawn)}\r")
    assert progress.getvalue().endswith(f"\r[{'#' * 30}] 6/~6 items\n")


def test_the_summary_says_what_was_written_and_what_is_left_to_do():
    summary = Summary(scanned=6, defaults_set=4, times_repaired=2, future_found=1, skipped=1)
    assert summary.lines(TABLE, DEFAULT, MAX_AHEAD, dry_run=False) == [
        "Scanned 6 item(s) of stock-levels; the stack's default reorder point is 5, asOfMaxAheadSeconds 300.",
        "  default reorder point set: 4 item(s)",
        "  times rewritten in the fixed-width form: 2",
        "  times dated in the future: 1 found, 0 set to now (--repair-future sets them to now)",
        "  skipped, changed since read: 1 item(s) (run again: the next run sees them as they are now)",
    ]
    assert summary.lines(TABLE, DEFAULT, MAX_AHEAD, dry_run=True)[0].endswith(
        "Dry run: nothing written, the counts are of the writes it would make."
    )
