"""`make upgrade`: bring every stored item in line with the stack's default reorder point and with the stored form of
times, after the upgrade to per-item reorder points and after each change of `lowStockThreshold`.

    python -m tools.upgrade_items                    # the local stack (.local/outputs.json)
    python -m tools.upgrade_items --stack dev        # a deployed stack (`pulumi stack output`)
    ... --dry-run                                    # print the writes it would make; write nothing
    ... --repair-future                              # also set each time dated in the future to now
    ... --start-after STOCK_ID                       # go on from where a run stopped (it prints this line)

It scans the table and gives each item that needs it one UpdateItem, conditional on every attribute it sets still
holding what the scan read:
- `default_reorder_point` set to the stack's default, which its functions hold (tools.deployed_settings). The table's
  stream then raises the alerts of the items this makes low, once, and lists them: this tool never publishes.
- each stored time not in the fixed-width form rewritten in it. Years below 1000 were once written unpadded
  (`999-01-01T00:00:00.000000Z`): such a time sorts after any later one as a string, so the functions read it and
  compare with it only through a wider condition kept for that form (adapters.outbound.dynamodb_stock_repository);
  padded, it orders as every other time does.
- each time dated more than the stack's asOfMaxAheadSeconds ahead reported; with --repair-future, set to now, so that
  later updates of its field apply again.
- `list_checked_at` set to now on each item whose mark in the list of low items (`low_list_shard`) disagrees with
  whether it is low now, by the stack's default: a change handled by a stream function still on the code before the
  list (during the deploy) set no mark. The write changes the item's record, so the table's stream sends it again and
  its function sets the mark right; the tool never sets the mark itself, so that the list never disagrees with the
  alert decision. This write is conditional on the fields' times and the default being as the scan read them.

Safe while updates arrive: an item changed since the scan read it fails its condition, is skipped and counted, and
the next run sees it as it is then. Some skipped: run it again. A run reads the whole table (each item once), or the
part after --start-after, and writes only what is still needed, so a second run, once the stream has set the marks,
writes nothing. Stopped by Ctrl-C or an error, it prints the command that goes on after the last item it finished.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import ClientError

from adapters.dynamodb_items import (
    DEFAULT_REORDER_POINT,
    LOW_LIST_SHARD,
    STOCK_ID,
    TIME,
    VALUE,
    item_from_attributes,
    parse_stored_time,
)
from domain.errors import InvalidStockInput
from domain.low_stock import is_low
from domain.stock import format_as_of
from tools.deployed_settings import read_deployed_settings
from tools.stack_outputs import LOCAL_VARIABLES, stack_client, stack_outputs

# A stored time as this service has ever written one: the fixed-width form, or the same with fewer digits of year.
_WRITTEN_TIME = re.compile(r"(\d{1,4})(-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")
# An attribute outside the item (adapters.dynamodb_items reads no such name), written to make a stream record.
LIST_CHECKED_AT = "list_checked_at"
_READ = (STOCK_ID, DEFAULT_REORDER_POINT, LOW_LIST_SHARD, *TIME.values(), *VALUE.values())
# What the list's mark depends on besides the values, which change only with their times: the stream's function
# marks an item on the same condition (adapters.outbound.dynamodb_low_stock_list).
_JUDGED_BY = (*TIME.values(), DEFAULT_REORDER_POINT)
_INTERRUPTED = 130  # a shell's status for a command ended by SIGINT
_LOCAL_OUTPUTS = Path(".local/outputs.json")


class Fix(StrEnum):
    """Why an attribute is rewritten."""

    DEFAULT = "the stack's default reorder point"
    FORM = "the fixed-width form"
    FUTURE = "dated in the future, set to now"
    LIST = "low now but not listed: for the stream to list it"
    UNLIST = "listed but not low now: for the stream to take it off"


@dataclass(frozen=True)
class Change:
    """One attribute to set: its typed value as read (None: absent) and as written."""

    attribute: str
    read: dict[str, str] | None
    written: dict[str, str]
    fix: Fix

    def describe(self) -> str:
        after = next(iter(self.written.values()))
        if self.fix in (Fix.LIST, Fix.UNLIST):
            return f"{self.attribute} -> {after}, {self.fix}"
        before = "absent" if self.read is None else next(iter(self.read.values()))
        return f"{self.attribute} {before} -> {after}"


@dataclass(frozen=True)
class ItemPlan:
    """What an item needs: the changes of its one write, and the attributes it is conditional on, as read (None:
    absent); and what to tell of its times dated in the future, and of those no form reads, left as they are."""

    key: dict[str, Any]
    changes: list[Change] = field(default_factory=list)
    held: dict[str, dict[str, str] | None] = field(default_factory=dict)
    future: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def stock_id(self) -> str:
        return str(self.key[STOCK_ID]["S"])

    def change(self, change: Change) -> None:
        """Make `change` part of the write, conditional on its attribute holding what was read."""
        self.changes.append(change)
        self.held[change.attribute] = change.read


def read_stored_time(text: str) -> datetime | None:
    """A time as stored, padded or not (None if it is in neither form, or no time)."""
    match = _WRITTEN_TIME.fullmatch(text)
    if match is None:
        return None
    try:
        return parse_stored_time(f"{int(match[1]):04d}{match[2]}")
    except ValueError:
        return None


def plan_item(
    attributes: Mapping[str, Any], stack_default: int, now: datetime, max_ahead: timedelta, repair_future: bool
) -> ItemPlan:
    """The write an item (as the scan read it) needs, if any."""
    plan = ItemPlan(key={STOCK_ID: attributes[STOCK_ID]})
    default = attributes.get(DEFAULT_REORDER_POINT)
    # DynamoDB hands numbers back in their normal form, so the text compares.
    if default is None or default.get("N") != str(stack_default):
        plan.change(Change(DEFAULT_REORDER_POINT, default, {"N": str(stack_default)}, Fix.DEFAULT))
    for attribute in TIME.values():
        stored = attributes.get(attribute)
        if stored is None:
            continue
        text = stored.get("S")
        moment = read_stored_time(text) if isinstance(text, str) else None
        if moment is None:
            shown = text if isinstance(text, str) else stored
            plan.unreadable.append(f"{attribute} {shown!r} is in no form this service wrote; left as it is")
            continue
        if moment - now > max_ahead:
            plan.future.append(f"{attribute} {text} is more than {int(max_ahead.total_seconds())} s ahead")
            if repair_future:
                plan.change(Change(attribute, stored, {"S": format_as_of(now)}, Fix.FUTURE))
                continue
        if format_as_of(moment) != text:
            plan.change(Change(attribute, stored, {"S": format_as_of(moment)}, Fix.FORM))
    _relist(plan, attributes, stack_default, now)
    return plan


def _relist(plan: ItemPlan, attributes: Mapping[str, Any], stack_default: int, now: datetime) -> None:
    """Add the write that makes the stream judge the item again, if its mark disagrees with its state now; an item the
    functions cannot read is not judged (its times are reported)."""
    try:
        item = item_from_attributes(attributes)
    except (InvalidStockInput, KeyError, TypeError, ValueError):
        return
    low = is_low(item, stack_default)
    if low == item.listed_low:
        return
    plan.changes.append(Change(LIST_CHECKED_AT, None, {"S": format_as_of(now)}, Fix.LIST if low else Fix.UNLIST))
    plan.held.update({attribute: attributes.get(attribute) for attribute in _JUDGED_BY})


def write(dynamodb: Any, table: str, plan: ItemPlan) -> bool:
    """Make the item's changes in one UpdateItem, if each attribute it is conditional on still holds what was read
    and the item still exists; False, nothing written, if not."""
    names = {"#id": STOCK_ID}
    values: dict[str, Any] = {}
    sets: list[str] = []
    conditions = ["attribute_exists(#id)"]
    for index, change in enumerate(plan.changes):
        names[f"#a{index}"] = change.attribute
        values[f":new{index}"] = change.written
        sets.append(f"#a{index} = :new{index}")
    for index, (attribute, read) in enumerate(plan.held.items()):
        names[f"#h{index}"] = attribute
        if read is None:
            conditions.append(f"attribute_not_exists(#h{index})")
        else:
            values[f":old{index}"] = read
            conditions.append(f"#h{index} = :old{index}")
    try:
        dynamodb.update_item(
            TableName=table,
            Key=plan.key,
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression=" AND ".join(conditions),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


@dataclass
class Summary:
    """What a run found and did."""

    scanned: int = 0
    defaults_set: int = 0
    times_repaired: int = 0
    future_found: int = 0
    future_repaired: int = 0
    unreadable: int = 0
    skipped: int = 0
    relisted: int = 0

    def count(self, plan: ItemPlan) -> None:
        """Count an item's changes as made."""
        fixes = [change.fix for change in plan.changes]
        self.defaults_set += Fix.DEFAULT in fixes
        self.times_repaired += fixes.count(Fix.FORM)
        self.future_repaired += fixes.count(Fix.FUTURE)
        self.relisted += Fix.LIST in fixes or Fix.UNLIST in fixes

    def lines(
        self, table: str, stack_default: int, max_ahead: timedelta, dry_run: bool, start_after: str | None = None
    ) -> list[str]:
        after = f" after {start_after}" if start_after is not None else ""
        lines = [
            f"Scanned {self.scanned} item(s) of {table}{after}; the stack's default reorder point is {stack_default}, "
            f"asOfMaxAheadSeconds {int(max_ahead.total_seconds())}."
            + (" Dry run: nothing written, the counts are of the writes it would make." if dry_run else ""),
            f"  default reorder point set: {self.defaults_set} item(s)",
            f"  times rewritten in the fixed-width form: {self.times_repaired}",
            f"  times dated in the future: {self.future_found} found, {self.future_repaired} set to now"
            + (" (--repair-future sets them to now)" if self.future_found and not self.future_repaired else ""),
            "  relisted, the list of low items disagreeing (the table's stream sets each right): "
            f"{self.relisted} item(s)",
            f"  skipped, changed since read: {self.skipped} item(s)"
            + (" (run again: the next run sees them as they are now)" if self.skipped else ""),
        ]
        if self.unreadable:
            lines.append(f"  times in no form this service wrote, left as they are: {self.unreadable}")
        return lines


class Progress:
    """A progress bar on a stream: items done of DescribeTable's ItemCount, which DynamoDB updates about every six
    hours, so an estimate. Redrawn in place on a terminal, and cleared before a line is printed beneath it; one line
    per page elsewhere (a log)."""

    _WIDTH = 30

    def __init__(self, stream: TextIO, estimate: int) -> None:
        self._stream = stream
        self._estimate = estimate
        self._live = stream.isatty()
        self._drawn = ""

    def show(self, done: int) -> None:
        share = min(done / self._estimate, 1.0) if self._estimate else 1.0
        self._drawn = f"[{'#' * round(share * self._WIDTH):<{self._WIDTH}}] {done}/~{self._estimate} items"
        self._stream.write(f"\r{self._drawn}" if self._live else f"{self._drawn}\n")
        self._stream.flush()

    def clear(self) -> None:
        """Make room for a line on the same terminal."""
        if self._live and self._drawn:
            self._stream.write("\r" + " " * len(self._drawn) + "\r")
            self._stream.flush()
            self._drawn = ""

    def finish(self) -> None:
        if self._live:
            self._stream.write("\n")
            self._stream.flush()


def scan(dynamodb: Any, table: str, start_after: str | None = None) -> Iterator[list[dict[str, Any]]]:
    """The table's items, a page at a time, with only the attributes the upgrade reads; those after the item
    `start_after` in the scan's order, if given."""
    names = {f"#r{index}": name for index, name in enumerate(_READ)}
    start: dict[str, Any] | None = {STOCK_ID: {"S": start_after}} if start_after is not None else None
    while True:
        page = dynamodb.scan(
            TableName=table,
            ProjectionExpression=", ".join(names),
            ExpressionAttributeNames=names,
            **({"ExclusiveStartKey": start} if start else {}),
        )
        yield page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def upgrade(
    dynamodb: Any,
    table: str,
    stack_default: int,
    max_ahead: timedelta,
    *,
    dry_run: bool = False,
    repair_future: bool = False,
    start_after: str | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    out: TextIO | None = None,
    progress: TextIO | None = None,
    resume_command: Callable[[str | None], str] = lambda after: command_line([], after, {}),
) -> Summary:
    """Scan the table (after the item `start_after`, if given) and make each item's write; print (to `out`, stdout by
    default) the items dated in the future, those skipped, and in a dry run each write it would make, with a progress
    bar on `progress` (stderr). Stopped by an exception (Ctrl-C included), print `resume_command` of the last item
    finished, which goes on from there, and raise it again."""
    output = out or sys.stdout
    summary = Summary()
    bar = Progress(progress or sys.stderr, int(dynamodb.describe_table(TableName=table)["Table"].get("ItemCount", 0)))

    def say(stock_id: str, line: str) -> None:
        bar.clear()
        output.write(f"{stock_id}: {line}\n")

    def handle(attributes: Mapping[str, Any]) -> None:
        plan = plan_item(attributes, stack_default, clock(), max_ahead, repair_future)
        summary.scanned += 1
        summary.future_found += len(plan.future)
        summary.unreadable += len(plan.unreadable)
        for note in plan.future + plan.unreadable:
            say(plan.stock_id, note)
        if not plan.changes:
            return
        changes = "; ".join(change.describe() for change in plan.changes)
        if dry_run:
            say(plan.stock_id, f"would set {changes}")
            summary.count(plan)
        elif write(dynamodb, table, plan):
            summary.count(plan)
        else:
            summary.skipped += 1
            say(plan.stock_id, f"changed since it was read, skipped ({changes})")

    bar.show(0)
    last_done = start_after
    try:
        for items in scan(dynamodb, table, start_after):
            for attributes in items:
                handle(attributes)
                last_done = str(attributes[STOCK_ID]["S"])
            bar.show(summary.scanned)
    except (KeyboardInterrupt, Exception):
        bar.clear()
        if last_done is None:
            output.write(f"Stopped before any item was done. To start again:\n  {resume_command(None)}\n")
        else:
            output.write(
                f"Stopped after {last_done}; the items after it are not done. To go on from there:\n"
                f"  {resume_command(last_done)}\n"
            )
        raise
    bar.finish()
    return summary


def command_line(arguments: Sequence[str], start_after: str | None, environment: Mapping[str, str]) -> str:
    """The command that runs this tool with `arguments` after the item `start_after` (from the start if None), as a
    shell reads it: with the AWS configuration `make` gives it to reach the local stack, if set in `environment`."""
    settings = [f"{name}={shlex.quote(environment[name])}" for name in LOCAL_VARIABLES if name in environment]
    command = ["python", "-m", "tools.upgrade_items", *arguments]
    if start_after is not None:
        command += ["--start-after", start_after]
    return " ".join([*settings, shlex.join(command)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make upgrade", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", help="a deployed Pulumi stack; the local stack by default")
    parser.add_argument("--outputs", type=Path, default=_LOCAL_OUTPUTS, help="the local stack's outputs")
    parser.add_argument("--dry-run", action="store_true", help="print the writes it would make; write nothing")
    parser.add_argument("--repair-future", action="store_true", help="set each time dated in the future to now")
    parser.add_argument(
        "--start-after", metavar="STOCK_ID", help="read the table after this item, as a stopped run prints it"
    )
    args = parser.parse_args(argv)
    outputs = stack_outputs(args.stack, args.outputs)
    settings = read_deployed_settings(stack_client("lambda", outputs), outputs)
    table = outputs["table_name"]
    same_run = [
        *(["--stack", args.stack] if args.stack else []),
        *(["--outputs", str(args.outputs)] if args.outputs != _LOCAL_OUTPUTS else []),
        *(["--dry-run"] if args.dry_run else []),
        *(["--repair-future"] if args.repair_future else []),
    ]
    try:
        summary = upgrade(
            stack_client("dynamodb", outputs),
            table,
            settings.default_reorder_point,
            settings.max_ahead,
            dry_run=args.dry_run,
            repair_future=args.repair_future,
            start_after=args.start_after,
            resume_command=lambda after: command_line(same_run, after, os.environ),
        )
    except KeyboardInterrupt:
        return _INTERRUPTED
    lines = summary.lines(table, settings.default_reorder_point, settings.max_ahead, args.dry_run, args.start_after)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
