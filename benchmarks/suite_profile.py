"""Where `make test`'s time goes, read from the JUnit report its last run wrote: by area of the suite, by test file
and by test. The report is only read if that run passed, so no figure comes from a run that failed."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from benchmarks.checks import check

ROOT = Path(__file__).resolve().parent.parent
# Written by `make test` (its `unit` step, `pytest --junit-xml`); each test's time there is its set-up, call and
# tear-down on the worker that ran it, so a module's stack is counted with the first test that used it.
REPORT = ROOT / "build" / "test-report.xml"


@dataclass(frozen=True)
class Share:
    """The tests of one area, file or test id, and the seconds they took together."""

    name: str
    tests: int
    seconds: float


@dataclass(frozen=True)
class SuiteProfile:
    """One passed run of the suite: its size and length, and where its time went."""

    ran_at: datetime
    tests: int
    skipped: int
    wall_seconds: float  # from the run's start to its end, on every worker at once
    test_seconds: float  # the tests' own times added up, whichever worker ran them
    areas: list[Share]  # by directory under tests/, the longest first
    files: list[Share]  # the longest first
    slowest: list[Share]  # single tests, the longest first


def read(report: Path = REPORT) -> SuiteProfile:
    """The profile of the run `report` describes; stops the benchmark if that run failed or ran nothing."""
    check(report.exists(), f"{_shown(report)} is missing: `make test` writes it")
    root = ElementTree.parse(report).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")  # pytest nests it in <testsuites>
    check(suite is not None, f"{report.name} holds no test suite")
    assert suite is not None
    failed = int(suite.get("failures", "0")) + int(suite.get("errors", "0"))
    check(failed == 0, f"the run {report.name} describes had {failed} failures or errors: nothing of it counts")
    cases = [(_test_file(case), case.get("name", ""), float(case.get("time", "0"))) for case in suite.iter("testcase")]
    check(bool(cases), f"the run {report.name} describes ran no test")
    return SuiteProfile(
        ran_at=datetime.fromisoformat(suite.get("timestamp", "")),
        tests=len(cases),
        skipped=int(suite.get("skipped", "0")),
        wall_seconds=float(suite.get("time", "0")),
        test_seconds=sum(seconds for _, _, seconds in cases),
        areas=_by(cases, lambda file, _: _area(file)),
        files=_by(cases, lambda file, _: file),
        slowest=_by(cases, lambda file, name: f"{file}::{name}"),
    )


def _shown(report: Path) -> str:
    """The report's path as the page may show it: from the project's root, never the machine's."""
    return str(report.relative_to(ROOT)) if report.is_relative_to(ROOT) else report.name


def _test_file(case: ElementTree.Element) -> str:
    """The test's file, from the dotted class name JUnit gives it (`tests.domain.test_stock` or, for a test of a
    class, `tests.domain.test_stock.TestSomething`)."""
    parts = case.get("classname", "").split(".")
    while parts and not parts[-1].startswith("test_"):
        parts.pop()  # a class of tests
    return "/".join(parts) + ".py"


def _area(file: str) -> str:
    parts = file.split("/")
    return "/".join(parts[:2]) + "/" if len(parts) > 2 else "tests/ (top level)"


def _by(cases: list[tuple[str, str, float]], key: Callable[[str, str], str]) -> list[Share]:
    tests: dict[str, int] = defaultdict(int)
    seconds: dict[str, float] = defaultdict(float)
    for file, name, time in cases:
        name_of = key(file, name)
        tests[name_of] += 1
        seconds[name_of] += time
    return sorted((Share(name, tests[name], seconds[name]) for name in tests), key=lambda share: -share.seconds)


TITLE = "Where `make test`'s time goes"


def render(profile: SuiteProfile | str, number: int, shown: int = 8) -> list[str]:
    """The page's section `number` on the suite: the profile's top entries, or why there is none (`profile` is
    then the reason, and no figure is given)."""
    heading = [f"## {number}. {TITLE}", ""]
    if isinstance(profile, str):
        return [*heading, f"Not read in this run: {profile}.", ""]
    p = profile
    return [
        *heading,
        f"From the JUnit report of the last passed `make test` on this machine ({p.ran_at:%Y-%m-%d %H:%M} UTC,",
        f"`{REPORT.relative_to(ROOT)}`): {p.tests:,} tests ({p.skipped} skipped) in {p.wall_seconds:.0f} s from start",
        f"to end, {p.test_seconds:.0f} s of tests added up over the workers ({p.test_seconds / p.wall_seconds:.2f}",
        "tests' seconds per second). A test's time is its set-up, call and tear-down: a module's or a session's",
        "stack is counted with the first test that used it. The install before it is not in these figures.",
        "",
        "| area of the suite | tests | seconds | share |",
        "| --- | ---: | ---: | ---: |",
        *[_row(share, p) for share in p.areas],
        "",
        "| longest test files | tests | seconds | share |",
        "| --- | ---: | ---: | ---: |",
        *[_row(share, p) for share in p.files[:shown]],
        "",
        "| longest tests | seconds | share |",
        "| --- | ---: | ---: |",
        *[
            f"| `{share.name}` | {share.seconds:.1f} | {share.seconds / p.test_seconds:.1%} |"
            for share in p.slowest[:shown]
        ],
        "",
    ]


def _row(share: Share, profile: SuiteProfile) -> str:
    return f"| `{share.name}` | {share.tests:,} | {share.seconds:.1f} | {share.seconds / profile.test_seconds:.1%} |"
