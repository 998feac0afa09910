"""`make bench`: run every measurement side by side, check it, print the page, write docs/PERFORMANCE.md.

A failed check (a handler's error, a batch failure, an alert not sent or not posted) stops the run with its reason
and exit status 1, and nothing is written. Sizes: benchmarks/sizes.py (`make bench BENCH_SIZE=tiny` for a smoke run).
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from benchmarks import (
    alert_fan_out,
    code_reload,
    cold_start,
    deployment,
    drop_file_memory,
    handler_overhead,
    import_rate,
    low_items_list,
    suite_profile,
)
from benchmarks.checks import BenchmarkFailed
from benchmarks.end_to_end import api_updates, queue_import, stock_lines
from benchmarks.report import Results, render
from benchmarks.sizes import Sizes, sizes_from
from benchmarks.suite_profile import SuiteProfile

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "PERFORMANCE.md"
T = TypeVar("T")


def _step(label: str, measure: Callable[[], T]) -> T:
    print(f"measuring {label}...", file=sys.stderr, flush=True)
    return measure()


def measure_all(sizes: Sizes) -> Results:
    """Every benchmark at `sizes`, each checked as it runs (BenchmarkFailed otherwise)."""
    started, clock, load_before = datetime.now(UTC), time.perf_counter(), os.getloadavg()[0]
    program = _step("program graph", lambda: deployment.program(sizes.repeats))
    package = _step("deployment package", lambda: deployment.package(program))
    threshold = program.threshold
    cold_starts = _step("cold starts", lambda: cold_start.measure(sizes.cold_start_runs))
    overhead = _step("handler overhead", lambda: handler_overhead.measure(sizes))
    ours_large = _step(
        f"import of {sizes.lines:,} lines, ours",
        lambda: queue_import("ours, large", stock_lines(sizes.lines, stack_default=threshold), False, threshold),
    )
    compared = stock_lines(sizes.compared_lines, stack_default=threshold)
    ours = _step(f"import of {len(compared):,} lines, ours", lambda: queue_import("ours", compared, False, threshold))
    original = _step(
        f"import of {len(compared):,} lines, original", lambda: queue_import("original", compared, True, threshold)
    )
    api = _step(f"{sizes.api_updates:,} API updates, REST API", lambda: api_updates(sizes.api_updates, threshold))
    api_http = _step(
        f"{sizes.api_updates:,} API updates, HTTP API", lambda: api_updates(sizes.api_updates, threshold, "http")
    )
    alerts = _step(f"{sizes.alerts:,} alerts on both channels", lambda: alert_fan_out.measure(sizes.alerts, threshold))
    low_list = _step(
        f"the list of {sizes.low_items:,} low items, paged through",
        lambda: low_items_list.measure(sizes.low_items, sizes.list_walks),
    )
    reload = _step("code reload", lambda: code_reload.measure(sizes.reload_rounds))
    drop_memory = _step(
        "drop bucket function memory", lambda: drop_file_memory.measure(sizes.drop_file_lines, sizes.drop_runs)
    )
    rates = _step(
        f"import rate of {sizes.rate_lines:,} lines, queue and bucket, today's path and the speed-ups",
        lambda: import_rate.measure(sizes.rate_lines, sizes.rate_runs, threshold),
    )
    profiles = [
        _step(
            f"profile of an import, {path}", functools.partial(import_rate.profile, sizes.rate_lines, threshold, path)
        )
        for path in import_rate.PATHS
    ]
    return Results(
        sizes=sizes,
        started=started,
        minutes=(time.perf_counter() - clock) / 60,
        load_before=load_before,
        load_after=os.getloadavg()[0],
        program=program,
        package=package,
        cold_starts=cold_starts,
        overhead=overhead,
        ours_large=ours_large,
        ours=ours,
        original=original,
        api=api,
        api_http=api_http,
        alerts=alerts,
        low_list=low_list,
        reload=reload,
        drop_memory=drop_memory,
        import_rates=rates,
        import_profiles=profiles,
        suite=_suite_profile(),
    )


def _suite_profile() -> SuiteProfile | str:
    """The last `make test`'s profile; a run that failed, or none, leaves the section without figures, not the
    page unwritten: the suite is not what `make bench` measures."""
    try:
        return suite_profile.read()
    except BenchmarkFailed as no_profile:
        return str(no_profile)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=PAGE, help="where to write the page")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    try:
        results = measure_all(sizes_from(os.environ))
    except BenchmarkFailed as failure:
        print(f"make bench: stopped, {args.output} left as it was: {failure}", file=sys.stderr)
        return 1
    page = render(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(page)
    print(page)
    for what, target, value in results.targets():
        if not target.met_by(value):
            print(f"make bench: {what}: {value:.3f}, {target.verdict(value)}", file=sys.stderr)
    if args.output.resolve() == PAGE:
        subprocess.run(["git", "--no-pager", "diff", "--stat", "--", str(PAGE)], cwd=ROOT, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
