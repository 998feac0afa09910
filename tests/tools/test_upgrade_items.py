"""`make upgrade` on a table filled the old way: items without the stack's default, times with an unpadded year, a
time dated in the future, marks in the list of low items that disagree with the items. The first run fixes what it
must, the next (once the stream has set the marks) writes nothing, a change made between the scan and the write is
left as it is; a run stopped midway says how to go on from there."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from adapters.dynamodb_items import item_from_attributes
from adapters.outbound.dynamodb_low_stock_list import DynamoDbLowStockList
from domain.low_stock import is_low
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

    assert summary == Summary(scanned=6, defaults_set=4, times_repaired=2, future_found=1, relisted=2)
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


def the_stream_sets_the_marks(table: Table) -> None:
    """What the stack's stream function does with the record of each write: list each item low now, take off each
    other (react_to_item_change, with the stack's default)."""
    low_list = DynamoDbLowStockList(table.client, TABLE)
    for attributes in table.everything().values():
        item = item_from_attributes(attributes)
        if is_low(item, DEFAULT) != item.listed_low:
            low_list.list_as_low(item, is_low(item, DEFAULT))


def test_a_second_run_writes_nothing(table, mocker):
    run(table.client)
    the_stream_sets_the_marks(table)
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

    the_stream_sets_the_marks(table)
    again, _ = run(table.client, repair_future=True)
    assert again == Summary(scanned=6)


def test_a_dry_run_writes_nothing_and_prints_each_write_it_would_make(table, mocker):
    before = table.everything()
    writes = mocker.spy(table.client, "update_item")

    summary, out = run(table.client, dry_run=True, repair_future=True)

    assert writes.call_count == 0
    assert table.everything() == before
    assert summary == Summary(
        scanned=6, defaults_set=4, times_repaired=2, future_found=1, future_repaired=1, relisted=2
    )
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
    assert (
        "OLD-1: changed since it was read, skipped (default_reorder_point absent -> 5; list_checked_at -> "
        "2025-03-01T12:00:00.000000Z, low now but not listed: for the stream to list it)"
    ) in out
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
    summary = Summary(scanned=6, defaults_set=4, times_repaired=2, future_found=1, skipped=1, relisted=3)
    assert summary.lines(TABLE, DEFAULT, MAX_AHEAD, dry_run=False) == [
        "Scanned 6 item(s) of stock-levels; the stack's default reorder point is 5, asOfMaxAheadSeconds 300.",
        "  default reorder point set: 4 item(s)",
        "  times rewritten in the fixed-width form: 2",
        "  times dated in the future: 1 found, 0 set to now (--repair-future sets them to now)",
        "  relisted, the list of low items disagreeing (the table's stream sets each right): 3 item(s)",
        "  skipped, changed since read: 1 item(s) (run again: the next run sees them as they are now)",
    ]
    assert summary.lines(TABLE, DEFAULT, MAX_AHEAD, dry_run=False, start_after="OLD-1")[0] == (
        "Scanned 6 item(s) of stock-levels after OLD-1; the stack's default reorder point is 5, asOfMaxAheadSeconds "
        "300."
    )
    assert summary.lines(TABLE, DEFAULT, MAX_AHEAD, dry_run=True)[0].endswith(
        "Dry run: nothing written, the counts are of the writes it would make."
    )


# --- Relisting: an item whose change a stream function still on the earlier code handled carries no mark.

IN_LINE_TIMES = {"as_of": s("2024-05-01T12:00:00.000000Z"), "default_reorder_point": n(DEFAULT)}


def put(table: Table, stock_id: str, level: int, **more: dict[str, Any]) -> None:
    table.client.put_item(
        TableName=TABLE, Item={"stock_id": s(stock_id), "stock_level": n(level), **IN_LINE_TIMES, **more}
    )


def test_an_item_whose_mark_disagrees_gets_one_write_for_the_stream_and_never_a_mark_from_the_tool(table, mocker):
    put(table, "LOW-UNLISTED", 1)
    put(table, "HIGH-LISTED", 9, low_list_shard=s("4"))
    put(
        table,
        "OFF-LISTED",
        0,
        low_stock_alerts={"BOOL": False},
        low_stock_alerts_as_of=s("2024-05-02T00:00:00.000000Z"),
        low_list_shard=s("2"),
    )
    put(table, "LOW-LISTED", 0, low_list_shard=s("6"))
    put(table, "HIGH-UNLISTED", 9)
    writes = mocker.spy(table.client, "update_item")

    summary, _ = run(table.client)

    relisted = {"LOW-UNLISTED", "HIGH-LISTED", "OFF-LISTED"}
    assert summary.relisted == 2 + len(relisted)  # OLD-1 and FUTURE too, low by the stack's default
    written = {call.kwargs["Key"]["stock_id"]["S"]: call.kwargs for call in writes.call_args_list}
    assert relisted <= set(written)
    assert not {"LOW-LISTED", "HIGH-UNLISTED", "IN-LINE"} & set(written)
    for stock_id in relisted:
        stored = table.item(stock_id)
        assert stored["list_checked_at"] == s("2025-03-01T12:00:00.000000Z")
        # One attribute outside the item, never the mark.
        assert written[stock_id]["UpdateExpression"] == "SET #a0 = :new0"
        assert written[stock_id]["ExpressionAttributeNames"]["#a0"] == "list_checked_at"
    assert "low_list_shard" not in table.item("LOW-UNLISTED")
    assert table.item("HIGH-LISTED")["low_list_shard"] == s("4")


def test_a_relisting_is_conditional_on_the_fields_times_and_default_being_as_read(table):
    put(table, "LOW-UNLISTED", 1)

    def restocked(client: Any) -> None:
        client.update_item(
            TableName=TABLE,
            Key={"stock_id": s("LOW-UNLISTED")},
            UpdateExpression="SET stock_level = :level, as_of = :as_of",
            ExpressionAttributeValues={":level": n(9), ":as_of": s("2025-03-01T11:00:00.000000Z")},
        )

    summary, out = run(ChangedBeforeWrite(table.client, "LOW-UNLISTED", restocked))

    assert summary.skipped == 1
    assert "list_checked_at" not in table.item("LOW-UNLISTED")
    assert "LOW-UNLISTED: changed since it was read, skipped (list_checked_at -> " in out


def test_a_relisting_of_an_item_given_a_default_or_its_alerts_meanwhile_is_skipped(table):
    put(table, "HIGH-LISTED", 9, low_list_shard=s("4"))

    def alerts_set(client: Any) -> None:
        client.update_item(
            TableName=TABLE,
            Key={"stock_id": s("HIGH-LISTED")},
            UpdateExpression="SET low_stock_alerts = :on, low_stock_alerts_as_of = :at, default_reorder_point = :d",
            ExpressionAttributeValues={":on": {"BOOL": True}, ":at": s("2025-03-01T11:00:00.000000Z"), ":d": n(9)},
        )

    summary, _ = run(ChangedBeforeWrite(table.client, "HIGH-LISTED", alerts_set))

    assert summary.skipped == 1
    assert "list_checked_at" not in table.item("HIGH-LISTED")


def test_a_dry_run_names_the_items_the_stream_would_set_right(table):
    put(table, "HIGH-LISTED", 9, low_list_shard=s("4"))
    _, out = run(table.client, dry_run=True)
    assert (
        "HIGH-LISTED: would set list_checked_at -> 2025-03-01T12:00:00.000000Z, listed but not low now: for the "
        "stream to take it off\n"
    ) in out
    assert "list_checked_at" not in table.item("HIGH-LISTED")


def test_once_the_stream_has_set_the_marks_a_run_finds_nothing_to_relist(table, mocker):
    put(table, "LOW-UNLISTED", 1)
    put(table, "HIGH-LISTED", 9, low_list_shard=s("4"))
    run(table.client)
    the_stream_sets_the_marks(table)
    writes = mocker.spy(table.client, "update_item")

    again, _ = run(table.client)

    assert again.relisted == 0
    assert writes.call_count == 0


def test_an_item_the_functions_cannot_read_is_not_judged():
    plan = plan_item(
        {"stock_id": s("A1"), "stock_level": n(0), "as_of": s("yesterday"), "default_reorder_point": n(DEFAULT)},
        DEFAULT,
        NOW,
        MAX_AHEAD,
        False,
    )
    assert plan.changes == []


# --- Resuming.


def scan_order(table: Table) -> list[str]:
    return [item["stock_id"]["S"] for item in table.client.scan(TableName=TABLE)["Items"]]


def test_a_run_started_after_an_item_reads_from_the_next_one_on(table, mocker):
    order = scan_order(table)
    scans = mocker.spy(table.client, "scan")

    summary, _ = run(table.client, start_after=order[2])

    assert summary.scanned == len(order) - 3
    assert scans.call_args_list[0].kwargs["ExclusiveStartKey"] == {"stock_id": s(order[2])}


class FailsAt:
    """A DynamoDB client whose write of one item fails with `error`."""

    def __init__(self, client: Any, stock_id: str, error: BaseException) -> None:
        self._client = client
        self._stock_id = stock_id
        self._error = error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def update_item(self, **request: Any) -> Any:
        if request["Key"]["stock_id"]["S"] == self._stock_id:
            raise self._error
        return self._client.update_item(**request)


def first_written_after_the_first(table: Table) -> tuple[str, str]:
    """An item the run writes, not the first of the scan, and the item before it."""
    order = scan_order(table)
    index = next(index for index, stock_id in enumerate(order) if index and stock_id != "IN-LINE")
    return order[index], order[index - 1]


@pytest.mark.parametrize(
    "error",
    [KeyboardInterrupt(), ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "UpdateItem")],
)
def test_a_run_stopped_mid_scan_prints_the_command_that_resumes_after_the_last_item_done(table, error):
    failing, last_done = first_written_after_the_first(table)
    out = io.StringIO()

    with pytest.raises(type(error)):
        upgrade(
            FailsAt(table.client, failing, error),
            TABLE,
            DEFAULT,
            MAX_AHEAD,
            clock=lambda: NOW,
            out=out,
            progress=io.StringIO(),
            resume_command=lambda after: f"resume --start-after {after}",
        )

    assert out.getvalue().endswith(
        f"Stopped after {last_done}; the items after it are not done. To go on from there:\n"
        f"  resume --start-after {last_done}\n"
    )


def test_a_run_stopped_before_any_item_was_done_says_to_run_it_again(table):
    failing = scan_order(table)[0]
    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        upgrade(
            FailsAt(table.client, failing, KeyboardInterrupt()),
            TABLE,
            DEFAULT,
            MAX_AHEAD,
            clock=lambda: NOW,
            out=out,
            progress=io.StringIO(),
            resume_command=lambda after: f"resume {after}",
        )
    assert out.getvalue().endswith("Stopped before any item was done. To start again:\n  resume None\n")


def test_main_stopped_by_the_keyboard_prints_its_own_command_line_with_the_last_item_done(
    table, mocker, capsys, tmp_path, monkeypatch
):
    settings = mocker.patch.object(upgrade_items, "read_deployed_settings")
    settings.return_value.default_reorder_point = DEFAULT
    settings.return_value.max_ahead = MAX_AHEAD
    outputs = tmp_path / "outputs.json"
    outputs.write_text(f'{{"table_name": "{TABLE}", "topic_arn": "arn:aws:sns:{REGION}:123456789012:alerts"}}')
    order = scan_order(table)
    real_plan = upgrade_items.plan_item

    def interrupted_at_the_third(attributes: Any, *rest: Any) -> Any:
        if attributes["stock_id"]["S"] == order[3]:
            raise KeyboardInterrupt
        return real_plan(attributes, *rest)

    mocker.patch.object(upgrade_items, "plan_item", side_effect=interrupted_at_the_third)
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)

    assert upgrade_items.main(["--outputs", str(outputs), "--dry-run", "--start-after", order[0]]) == 130

    printed = capsys.readouterr().out
    assert printed.endswith(f"  python -m tools.upgrade_items --outputs {outputs} --dry-run --start-after {order[2]}\n")


def test_an_id_is_quoted_in_the_command_line_as_a_shell_reads_it():
    assert upgrade_items.command_line(["--stack", "dev"], "A 1;x", {"HOME": "/home/me"}) == (
        "python -m tools.upgrade_items --stack dev --start-after 'A 1;x'"
    )


def test_the_command_line_to_resume_on_the_local_stack_names_the_aws_configuration_make_gave_it():
    environment = {"AWS_CONFIG_FILE": ".local/config", "AWS_SHARED_CREDENTIALS_FILE": ".local/credentials"}
    assert upgrade_items.command_line([], "A1", {**environment, "AWS_PROFILE": "local"}) == (
        "AWS_CONFIG_FILE=.local/config AWS_SHARED_CREDENTIALS_FILE=.local/credentials AWS_PROFILE=local "
        "python -m tools.upgrade_items --start-after A1"
    )
