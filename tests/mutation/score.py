"""The mutation score of `make mutate`, per package, from the verdicts `mutmut run` left in mutants/.

A mutant counts as caught when a test failed (or timed out) on it, or when equivalent.txt explains why no test
can tell it from the original. Every other mutant is listed. The run fails when a package is below its target,
or when an explanation no longer fits: its mutant was killed, is gone, or now changes another line (mutmut
numbers a function's mutants in order, so an edit of the function renumbers them).

    python -m tests.mutation.score             # from the project's root, after `mutmut run`
    python -m tests.mutation.score --markdown  # the same as a Markdown table, for a CI job summary
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# The share of each package's mutants to be killed or explained. The domain is pure rules, each cheap to pin down
# with a fake: all. The adapters and the handlers do I/O, judged by slower tests against moto; what a new survivor
# there shows is listed either way, and at 90% a run fails on a gap, not on the first untested log line.
TARGETS = {"domain": 1.0, "adapters": 0.9, "handlers": 0.9}
EQUIVALENT = Path(__file__).with_name("equivalent.txt")
MUTANTS = Path("mutants")
CAUGHT = {"killed", "timeout", "caught by type check"}


@dataclass(frozen=True)
class Explanation:
    """Why a mutant is equivalent, and the line as it mutates it (so that a renumbered mutant is noticed)."""

    reason: str
    line: str


@dataclass
class PackageScore:
    """The verdicts on one package's mutants."""

    package: str
    target: float
    killed: int = 0
    explained: int = 0
    total: int = 0

    @property
    def ratio(self) -> float:
        return (self.killed + self.explained) / self.total if self.total else 0.0

    @property
    def met(self) -> bool:
        return self.total > 0 and self.ratio >= self.target


@dataclass
class Score:
    """The score of every package, the survivors nobody explained, and the explanations that no longer fit."""

    packages: list[PackageScore]
    survivors: dict[str, str] = field(default_factory=dict)
    stale: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(package.met for package in self.packages) and not self.stale


def parse_explanations(text: str) -> dict[str, Explanation]:
    """Read equivalent.txt: `# ` lines give a reason, each mutant name after it is followed by an indented line,
    the line as the mutant changes it (as `mutmut show` prints it); `##` lines and blank lines are comments."""
    explanations: dict[str, Explanation] = {}
    reason: list[str] = []
    name: str | None = None
    after_mutant = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.startswith("##"):
            continue
        if raw.startswith("#"):
            if after_mutant:
                reason, after_mutant = [], False
            reason.append(raw.removeprefix("#").strip())
        elif raw[0].isspace():
            if name is None:
                raise ValueError(f"line {number}: a mutated line with no mutant name before it")
            explanations[name] = Explanation(" ".join(reason), raw.strip())
            name = None
        else:
            if name is not None:
                raise ValueError(f"line {number}: {name} has no mutated line under it")
            if not reason:
                raise ValueError(f"line {number}: {raw.strip()} has no reason above it")
            if raw.strip() in explanations:
                raise ValueError(f"line {number}: {raw.strip()} is explained twice")
            name, after_mutant = raw.strip(), True
    if name is not None:
        raise ValueError(f"{name} has no mutated line under it")
    return explanations


def mutated_lines(diff: str) -> set[str]:
    """The lines a mutant writes (or, when it only deletes, the lines it removes), stripped."""
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    added = {line[1:].strip() for line in changed if line.startswith("+")}
    return added or {line[1:].strip() for line in changed}


def score(statuses: Mapping[str, str], explanations: Mapping[str, Explanation], diff_of: Callable[[str], str]) -> Score:
    """Count each package's mutants; `statuses` maps every mutant to mutmut's verdict on it."""
    packages = {package: PackageScore(package, target) for package, target in TARGETS.items()}
    result = Score(list(packages.values()))
    for name, status in sorted(statuses.items()):
        package = packages[name.split(".")[0]]
        package.total += 1
        explanation = explanations.get(name)
        if status in CAUGHT:
            package.killed += 1
            if explanation is not None:
                result.stale[name] = f"explained, but {status}"
        elif explanation is None:
            result.survivors[name] = status
        elif explanation.line not in mutated_lines(diff_of(name)):
            result.survivors[name] = status
            result.stale[name] = f"explained as changing `{explanation.line}`, which it no longer does"
        else:
            package.explained += 1
    for name in sorted(set(explanations) - set(statuses)):
        result.stale[name] = "explained, but mutmut made no such mutant"
    return result


def read_statuses(mutants: Path = MUTANTS) -> dict[str, str]:
    """mutmut's verdict on every mutant of the packages scored, from its .meta files."""
    from mutmut.stats import status_by_exit_code

    statuses: dict[str, str] = {}
    for package in TARGETS:
        for meta in sorted((mutants / package).rglob("*.py.meta")):
            exit_codes = json.loads(meta.read_text())["exit_code_by_key"]
            statuses |= {name: status_by_exit_code[code] for name, code in exit_codes.items()}
    return statuses


def source_of(name: str) -> Path:
    """The source file of a mutant: `adapters.inbound.stock_api.x_f__mutmut_1` is in adapters/inbound/."""
    module, _, _ = name.rpartition(".")
    return Path(*module.split(".")).with_suffix(".py")


def mutmut_diff(name: str) -> str:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    return get_diff_for_mutant(name, path=source_of(name))


def render(result: Score, diff_of: Callable[[str], str], *, markdown: bool) -> str:
    lines: list[str] = []
    if markdown:
        lines += ["## Mutation score", "", "| package | killed | explained | mutants | score | target |"]
        lines += ["| --- | ---: | ---: | ---: | ---: | ---: |"]
    else:
        lines += ["Mutation score (killed or explained / all):"]
    for package in result.packages:
        verdict = "ok" if package.met else "BELOW TARGET"
        if markdown:
            lines.append(
                f"| {package.package} | {package.killed} | {package.explained} | {package.total} "
                f"| {package.ratio:.1%} | {package.target:.0%} {'✅' if package.met else '❌'} |"
            )
        else:
            lines.append(
                f"  {package.package:<9} {package.killed:>5} killed + {package.explained:>3} explained "
                f"/ {package.total:>5} = {package.ratio:6.1%}  (target {package.target:.0%}: {verdict})"
            )
    sections = [
        ("Survivors not explained", result.survivors),
        ("Explanations that no longer fit (tests/mutation/equivalent.txt)", result.stale),
    ]
    for title, entries in sections:
        if not entries:
            continue
        lines += ["", f"{title}: {len(entries)}"] + (["", "```"] if markdown else [])
        for name, note in entries.items():
            lines.append(f"  {name}: {note}")
            if name in result.survivors:
                lines += [f"      {line}" for line in sorted(mutated_lines(diff_of(name)))]
        lines += ["```"] if markdown else []
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table (for a CI job summary)")
    arguments = parser.parse_args(argv)
    statuses = read_statuses()
    if not statuses:
        print(f"no verdicts in {MUTANTS}/: run `mutmut run` (or `make mutate`) first", file=sys.stderr)
        return 2
    result = score(statuses, parse_explanations(EQUIVALENT.read_text()), mutmut_diff)
    print(render(result, mutmut_diff, markdown=arguments.markdown))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
