"""How much work each benchmark does: `make bench`'s sizes, a tiny set for the smoke test, each settable by name.

Every size is an environment variable, BENCH_ and the field's name in capitals (BENCH_LINES=1000); a tuple is
written with commas (BENCH_DROP_FILE_LINES=0,1000). BENCH_SIZE=tiny starts from the tiny set instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    """The sizes of one run of the benchmarks."""

    lines: int = 10_000  # the large import, ours only
    compared_lines: int = 2_000  # each side of ours against the original: its per-line round trips are slow
    api_updates: int = 1_000
    cold_start_runs: int = 21
    repeats: int = 7  # of each handler-overhead measurement and of the program's graph
    api_requests: int = 2_000  # per handler-overhead repeat
    queue_messages: int = 10  # one SQS batch per handler-overhead repeat...
    lines_per_message: int = 100  # ...of messages of this many lines
    stream_records: int = 100  # one stream batch per handler-overhead repeat
    alert_messages: int = 10  # one batch of the chat webhook's queue per handler-overhead repeat
    alerts: int = 1_000  # new items written at level 0, each an alert, on a stack with both alert channels
    low_items: int = 250  # new items made low, then the list of low items paged through, a page of 100 at a time...
    list_walks: int = 7  # ...this many times
    reload_rounds: int = 7
    drop_file_lines: tuple[int, ...] = (0, 100_000, 1_000_000)
    drop_runs: int = 3
    rate_lines: int = 10_000  # the local import rate, by the queue and by the bucket, each path and way...
    rate_runs: int = 3  # ...this many times (the median counts); then one profiled import of each path


# Enough of each for every check to mean something (alerts among the lines, two reloads, two file sizes, two pages
# of low items, the second reached with a cursor).
TINY = Sizes(
    lines=60,
    compared_lines=60,
    api_updates=30,
    cold_start_runs=1,
    repeats=1,
    api_requests=20,
    queue_messages=2,
    lines_per_message=10,
    stream_records=10,
    alert_messages=5,
    alerts=20,
    low_items=120,
    list_walks=1,
    reload_rounds=2,
    drop_file_lines=(0, 1_000),
    drop_runs=1,
    rate_lines=60,
    rate_runs=1,
)


def sizes_from(environ: Mapping[str, str]) -> Sizes:
    """`make bench`'s sizes, or the tiny ones (BENCH_SIZE=tiny), with any BENCH_<FIELD> variable applied."""
    chosen = environ.get("BENCH_SIZE", "full")
    if chosen not in ("full", "tiny"):
        raise SystemExit(f"BENCH_SIZE must be full or tiny, not {chosen!r}")
    base = TINY if chosen == "tiny" else Sizes()
    changes: dict[str, object] = {}
    for field in dataclasses.fields(Sizes):
        value = environ.get(f"BENCH_{field.name.upper()}")
        if value is None:
            continue
        try:
            numbers = [int(part.replace("_", "")) for part in value.split(",")]
        except ValueError:
            raise SystemExit(f"BENCH_{field.name.upper()} must be a whole number, not {value!r}") from None
        changes[field.name] = tuple(numbers) if isinstance(getattr(base, field.name), tuple) else numbers[0]
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
