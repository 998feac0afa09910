"""What a change cost, by layer: files touched and lines added and removed, from `git diff --numstat`.

    python -m tools.change_cost "drop bucket=0089261..97474d2" "chat webhook=97474d2..07c10db"

Prints one Markdown table per change, every layer listed, a layer the change did not touch at zero.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass

# The first prefix a path starts with names its layer.
LAYERS = (
    ("domain/", "domain"),
    ("adapters/inbound/", "adapters (inbound)"),
    ("adapters/outbound/", "adapters (outbound)"),
    ("adapters/", "adapters (shared)"),
    ("handlers/", "handlers"),
    ("components/", "components"),
    ("__main__.py", "stack (program and settings)"),
    ("Pulumi.", "stack (program and settings)"),
    ("local_stack/", "local stack"),
    ("tools/", "tools"),
    ("harness/", "harness"),
    ("benchmarks/", "benchmarks"),
    ("tests/infrastructure/snapshots/", "reviewed snapshots"),
    ("tests/", "tests"),
)
OTHER = "docs and build"
_MOVE = re.compile(r"\{[^{}]* => ([^{}]*)\}")


@dataclass
class Cost:
    files: int = 0
    added: int = 0
    removed: int = 0


def layer_of(path: str) -> str:
    """The layer of a path; a moved file (`{handlers => adapters/outbound}/x.py`, `a/{b.json => c.json}`) is counted
    where it went, with the lines its move changed."""
    moved = _MOVE.sub(lambda match: match.group(1), path)
    return next((layer for prefix, layer in LAYERS if moved.startswith(prefix)), OTHER)


def cost_by_layer(numstat: Iterable[str]) -> dict[str, Cost]:
    """Each `added<TAB>removed<TAB>path` line of `git diff --numstat` counted in its layer (binary files: 0)."""
    costs = {layer: Cost() for layer in dict.fromkeys([*(layer for _, layer in LAYERS), OTHER])}
    for line in numstat:
        if not line.strip():
            continue
        added, removed, path = line.split("\t", 2)
        cost = costs[layer_of(path)]
        cost.files += 1
        cost.added += int(added) if added.isdigit() else 0
        cost.removed += int(removed) if removed.isdigit() else 0
    return costs


def table(costs: dict[str, Cost]) -> str:
    rows = ["| layer | files | lines added | lines removed |", "| --- | ---: | ---: | ---: |"]
    rows += [f"| `{layer}` | {c.files} | {c.added} | {c.removed} |" for layer, c in costs.items()]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.change_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("changes", nargs="+", metavar="NAME=FROM..TO", help="a change and its commit range")
    for change in parser.parse_args(argv).changes:
        name, _, commits = change.partition("=")
        numstat = subprocess.run(
            ["git", "diff", "--numstat", commits], check=True, capture_output=True, text=True
        ).stdout
        print(f"### {name} ({commits})\n\n{table(cost_by_layer(numstat.splitlines()))}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
