"""Save to answer: how long after a rule is saved the running local stack answers with the new code."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from tests.running_stack import RunningStack, project_copy, start_stack, stop_stack

_LOOSE, _STRICT = "MAX_LEVEL = 1_000_000_000", "MAX_LEVEL = 100"


def measure(rounds: int = 7) -> dict[str, float]:
    """Median and longest seconds from saving domain/stock.py to a request that follows the new rule."""
    with tempfile.TemporaryDirectory() as scratch:
        project = project_copy(Path(scratch) / "project")
        (Path(scratch) / "work").mkdir()
        stack = start_stack(Path(scratch) / "work", project=project)
        try:
            seconds = [_one_reload(stack, project, strict=round_ % 2 == 0) for round_ in range(rounds)]
        finally:
            stop_stack(stack)
    return {"median": statistics.median(seconds), "longest": max(seconds), "rounds": float(rounds)}


def _one_reload(stack: RunningStack, project: Path, strict: bool) -> float:
    rules = project / "domain" / "stock.py"
    before, after = (_LOOSE, _STRICT) if strict else (_STRICT, _LOOSE)
    expected = 400 if strict else 200
    saved = time.perf_counter()
    rules.write_text(rules.read_text().replace(before, after))
    deadline = saved + 60
    while time.perf_counter() < deadline:
        if stack.request("PUT", "/stocks/BENCH-RELOAD", '{"stock_level": 500}')[0] == expected:
            return time.perf_counter() - saved
        time.sleep(0.01)
    raise RuntimeError("the new code never answered")
