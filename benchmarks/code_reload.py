"""Save to answer: how long after a rule is saved the running local stack answers with the new code."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.checks import BenchmarkFailed, LoggedProblems
from local_stack.project_copy import CopiedStack, project_copy

_LOOSE, _STRICT = "MAX_LEVEL = 1_000_000_000", "MAX_LEVEL = 100"
_ITEM = "/stocks/BENCH-RELOAD"
# The probe's level is refused by the strict rule (400) and accepted by the loose one, then found stale (409): an
# older time than the stored level's, so that no probe writes to the table. A stored 500 would reach the
# notifier, which, on the strict rule by then, would rightly log it as an invalid record.
_STORED = '{"stock_level": 50, "as_of": "2024-05-01T00:00:00Z"}'
_PROBE = '{"stock_level": 500, "as_of": "2000-01-01T00:00:00Z"}'


def measure(rounds: int) -> dict[str, float]:
    """Median and longest seconds from saving domain/stock.py to a request that follows the new rule; a round
    whose new code never answers, or a problem the stack logs meanwhile, stops the benchmark."""
    with tempfile.TemporaryDirectory() as scratch:
        project = project_copy(Path(scratch) / "project")
        (Path(scratch) / "work").mkdir()
        stack = CopiedStack(project, Path(scratch) / "work")
        try:
            status = stack.request("PUT", _ITEM, _STORED)[0]
            if status != 200:
                raise BenchmarkFailed(f"code reload: storing the level the probes are older than answered {status}")
            with LoggedProblems("code reload", "local_stack"):
                seconds = [_one_reload(stack, project, strict=round_ % 2 == 0) for round_ in range(rounds)]
        finally:
            stack.stop()
    return {"median": statistics.median(seconds), "longest": max(seconds), "rounds": float(rounds)}


def _one_reload(stack: CopiedStack, project: Path, strict: bool) -> float:
    rules = project / "domain" / "stock.py"
    before, after = (_LOOSE, _STRICT) if strict else (_STRICT, _LOOSE)
    expected = 400 if strict else 409
    text = rules.read_text()
    if before not in text:
        raise BenchmarkFailed(f"code reload: {rules} no longer holds {before!r}, the rule this benchmark changes")
    saved = time.perf_counter()
    rules.write_text(text.replace(before, after))
    deadline = saved + 60
    while time.perf_counter() < deadline:
        if stack.request("PUT", _ITEM, _PROBE)[0] == expected:
            return time.perf_counter() - saved
        time.sleep(0.01)
    raise BenchmarkFailed(f"code reload: the new code never answered {expected} within a minute of the save")
