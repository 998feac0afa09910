"""The local stack's import rate: one file of lines through the queue and through the drop bucket, on today's path
(moto's server as it is) and with the embedded AWS's speed-ups, side by side; and where the embedded AWS's process
spends its time during such an import, from a py-spy profile of it (`python -m benchmarks.import_rate` is the
profiled import).

Every import is checked as the end-to-end benchmarks check theirs (benchmarks.end_to_end): every line stored as the
domain's rules store it, every alert due published, each claimed once, every item low listed, nothing logged.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.checks import check
from benchmarks.end_to_end import Expected, expected_of, measured, send_file, start_stack, stock_lines
from local_stack.aws.atomic_dynamodb import LockWaits
from local_stack.aws.speedups import Speedups

ROOT = Path(__file__).resolve().parent.parent
VIAS = ("queue", "bucket")
TODAY, SPED_UP = "today's path", "with the speed-ups"
PATHS = {TODAY: Speedups.none(), SPED_UP: Speedups()}
SAMPLES_PER_SECOND = 100
TOP_FRAMES = 10
# Where a sample of the embedded AWS's process is spent, by the innermost frame of a known part: the first that
# matches, in this order. The lock is its own area: the lines of SerialisedDynamoDb.__call__ that take it.
LOCK_WAIT = "taking the lock (DynamoDB's one lock)"
AREAS = (
    (LOCK_WAIT, re.compile(r"^SerialisedDynamoDb\.__call__ \(local_stack/aws/atomic_dynamodb\.py")),
    ("moto: parse and validate", re.compile(r"\(moto/(dynamodb/parsing/|dynamodb/comparisons\.py|core/parse\.py)")),
    ("moto: serialise the answer", re.compile(r"\(moto/core/serialize\.py")),
    ("moto: dispatch and the models", re.compile(r"\(moto/")),
    ("our request layers", re.compile(r"\(local_stack/aws/")),
    ("pollers, invocations, API", re.compile(r"\(local_stack/")),
    ("benchmark's own checks", re.compile(r"\(benchmarks/")),
    ("start-up: the Pulumi program", re.compile(r"\((pulumi|grpc|harness)/")),
    ("boto3 clients in this process", re.compile(r"\((botocore|boto3|urllib3|s3transfer)/")),
    (
        "werkzeug, Flask, sockets: the HTTP server",
        re.compile(r"\((werkzeug/|flask/|flask_cors/|http/server\.py|socketserver\.py|socket\.py|selectors\.py)"),
    ),
)
OTHER = "other (Python itself)"


@dataclass(frozen=True)
class ImportRates:
    """Lines a second of each (via, path) import, every run's; each run checked."""

    lines: int
    rates: dict[tuple[str, str], list[float]]
    # Each run's DynamoDB requests through the one lock while it imported, and their waits for it.
    lock_waits: dict[tuple[str, str], list[LockWaits]] = field(default_factory=dict)
    seconds: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def median(self, via: str, path: str) -> float:
        return statistics.median(self.rates[(via, path)])

    def median_run_waits(self, via: str, path: str) -> tuple[LockWaits, float]:
        """The lock's waits in the run of median rate (the lower middle one of an even count), and its seconds."""
        runs = sorted(range(len(self.rates[(via, path)])), key=lambda n: self.rates[(via, path)][n])
        middle = runs[(len(runs) - 1) // 2]
        return self.lock_waits[(via, path)][middle], self.seconds[(via, path)][middle]

    def ratio(self, via: str) -> float:
        """How many times faster the speed-ups import than today's path, by their medians."""
        return self.median(via, SPED_UP) / self.median(via, TODAY)


@dataclass(frozen=True)
class Profile:
    """Shares of the embedded AWS's process's samples holding the GIL, by area and by function (self time)."""

    path: str
    samples: int
    areas: dict[str, float] = field(default_factory=dict)
    top: list[tuple[str, float]] = field(default_factory=list)
    unavailable: str = ""  # why there is no profile (py-spy missing or refused), else ""


def measure(lines: int, runs: int, threshold: int) -> ImportRates:
    """Import `lines` lines `runs` times by each way and path, the four interleaved so that a machine growing busier
    or quieter weighs on each alike."""
    file_lines = stock_lines(lines, seed=11, stack_default=threshold)
    expected = expected_of(file_lines, threshold)
    result = ImportRates(len(file_lines), {(via, path): [] for via in VIAS for path in PATHS})
    for _ in range(runs):
        for via in VIAS:
            for path, speedups in PATHS.items():
                seconds, waits = _import(file_lines, expected, via, path, speedups)
                result.rates[(via, path)].append(len(file_lines) / seconds)
                result.seconds.setdefault((via, path), []).append(seconds)
                result.lock_waits.setdefault((via, path), []).append(waits)
    return result


def _import(
    file_lines: list[str], expected: Expected, via: str, path: str, speedups: Speedups
) -> tuple[float, LockWaits]:
    """Seconds from the first line sent to the last stored, and the DynamoDB lock's waits meanwhile."""
    name = f"import rate, {via}, {path}"
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        stack, outputs = start_stack(work, {}, speedups)
        try:
            file = work / "stock.txt"
            file.write_text("\n".join(file_lines) + "\n")
            before = stack.dynamodb_lock_waits()
            seconds, _, _, _ = measured(name, stack, outputs, expected, lambda: send_file(name, file, work, via))
            waits = stack.dynamodb_lock_waits() - before
        finally:
            stack.stop()
    return seconds, waits


def profile(lines: int, threshold: int, path: str) -> Profile:
    """A py-spy profile (samples holding the GIL) of a process that imports `lines` lines through the queue on this
    path, checked as `measure` checks them."""
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if py_spy is None:
        return Profile(path, 0, unavailable="py-spy is not installed")
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "profile.txt"
        command = [
            py_spy,
            "record",
            "--gil",
            "--nonblocking",
            "--format",
            "raw",
            "--rate",
            str(SAMPLES_PER_SECOND),
            "--output",
            str(raw),
            "--",
            sys.executable,
            "-m",
            "benchmarks.import_rate",
            "--lines",
            str(lines),
            "--threshold",
            str(threshold),
            *(["--no-speedups"] if path == TODAY else []),
        ]
        completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if not raw.exists():  # py-spy could not sample here (no ptrace, say): the import itself is measured above
            last = (completed.stderr.strip() or "no output").splitlines()[-1]
            return Profile(path, 0, unavailable=f"py-spy could not profile here: {last}")
        check(completed.returncode == 0, f"profiled import, {path}: {completed.stderr.strip()[-500:]}")
        return summarise(path, raw.read_text().splitlines())


def summarise(path: str, raw_lines: Iterable[str]) -> Profile:
    """Shares by area and the top functions by self time, from py-spy's raw (collapsed) stacks."""
    areas: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw_lines:
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        total += int(count)
        own[frames[-1]] += int(count)
        areas[area_of(frames)] += int(count)
    if total == 0:
        return Profile(path, 0, unavailable="py-spy took no sample")
    return Profile(
        path,
        total,
        {area: areas[area] / total for area in (*(name for name, _ in AREAS), OTHER)},
        [(frame, count / total) for frame, count in own.most_common(TOP_FRAMES)],
    )


def area_of(frames: list[str]) -> str:
    """The area of one sampled stack (outermost frame first): that of its innermost frame in a known part."""
    for frame in reversed(frames):
        for name, pattern in AREAS:
            if pattern.search(frame):
                return name
    return OTHER


def main(argv: list[str] | None = None) -> int:
    """The profiled import: `lines` lines through the queue of a fresh local stack, checked."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--lines", type=int, required=True)
    parser.add_argument("--threshold", type=int, required=True)
    parser.add_argument("--no-speedups", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    path = TODAY if args.no_speedups else SPED_UP
    file_lines = stock_lines(args.lines, seed=11, stack_default=args.threshold)
    seconds, _ = _import(file_lines, expected_of(file_lines, args.threshold), "queue", path, PATHS[path])
    rate = len(file_lines) / seconds
    print(json.dumps({"path": path, "lines_per_second": rate}))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
