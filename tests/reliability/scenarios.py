"""Generated workloads with a known expected outcome."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.stock import format_as_of

INVALID_LINES = [
    "no-separator",
    "A;B;C;D",
    "BAD-LEVEL;many",
    "NEG-LEVEL;-3",
    "FLOAT-LEVEL;2.5",
    ";4",
    "HUGE;99999999999",
    "BAD-TIME;3;yesterday",
    "SPACE ID;3",
    "BAD-MONTH;3;2024-13-01T00:00:00Z",
]


@dataclass
class Workload:
    """Message bodies to send, and what the table must hold for the workload's items afterwards."""

    bodies: list[str]
    expected: dict[str, int]
    invalid: list[str] = field(default_factory=list)


def shuffled_updates(prefix: str, items: int, updates_per_item: int, lines_per_message: int, seed: int) -> Workload:
    """Every item gets updates at distinct times, sent in shuffled order: the latest time must win."""
    rng = random.Random(seed)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    lines: list[str] = []
    expected: dict[str, int] = {}
    for item in range(items):
        stock_id = f"{prefix}{item:03d}"
        moments = rng.sample(range(1, 100_000), updates_per_item)
        levels = [rng.randint(0, 50) for _ in moments]
        expected[stock_id] = levels[moments.index(max(moments))]
        lines += [
            f"{stock_id};{level};{format_as_of(start + timedelta(seconds=moment))}"
            for moment, level in zip(moments, levels, strict=True)
        ]
    rng.shuffle(lines)
    bodies = ["\n".join(lines[i : i + lines_per_message]) for i in range(0, len(lines), lines_per_message)]
    return Workload(bodies, expected)
