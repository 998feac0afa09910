"""The suite's profile on docs/PERFORMANCE.md is read from a passed run's JUnit report, and only from one."""

from pathlib import Path

import pytest

from benchmarks.checks import BenchmarkFailed
from benchmarks.suite_profile import ROOT, read, render

REPORT = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">
<testsuite name="pytest" errors="{errors}" failures="{failures}" skipped="1" tests="4" time="30.5"
 timestamp="2026-12-01T10:00:00+00:00" hostname="ci">
<testcase classname="tests.domain.test_stock" name="test_a" time="0.5" />
<testcase classname="tests.domain.test_stock.TestParsing" name="test_b" time="1.5" />
<testcase classname="tests.end_to_end.test_local_stack" name="test_c[rest]" time="20.0" />
<testcase classname="tests.test_architecture" name="test_d" time="3.0" />
</testsuite></testsuites>"""


def report(tmp_path: Path, failures: int = 0, errors: int = 0) -> Path:
    path = tmp_path / "test-report.xml"
    path.write_text(REPORT.format(failures=failures, errors=errors))
    return path


def test_the_time_is_added_up_by_area_by_file_and_by_test_the_longest_first(tmp_path):
    profile = read(report(tmp_path))

    assert (profile.tests, profile.skipped, profile.wall_seconds, profile.test_seconds) == (4, 1, 30.5, 25.0)
    assert [(a.name, a.tests, a.seconds) for a in profile.areas] == [
        ("tests/end_to_end/", 1, 20.0),
        ("tests/ (top level)", 1, 3.0),
        ("tests/domain/", 2, 2.0),
    ]
    assert [(f.name, f.tests) for f in profile.files][-1] == ("tests/domain/test_stock.py", 2)
    assert profile.slowest[0].name == "tests/end_to_end/test_local_stack.py::test_c[rest]"
    assert profile.ran_at.isoformat() == "2026-12-01T10:00:00+00:00"


@pytest.mark.parametrize(("failures", "errors"), [(1, 0), (0, 2)])
def test_a_run_that_failed_is_not_read(tmp_path, failures, errors):
    with pytest.raises(BenchmarkFailed, match="failures or errors"):
        read(report(tmp_path, failures, errors))


def test_no_report_stops_the_benchmark_naming_what_writes_it(tmp_path):
    with pytest.raises(BenchmarkFailed, match="make test"):
        read(tmp_path / "test-report.xml")


def test_a_missing_report_is_named_from_the_project_s_root_never_the_machine_s():
    with pytest.raises(BenchmarkFailed, match=r"^build/no-such-report\.xml is missing"):
        read(ROOT / "build" / "no-such-report.xml")


def test_the_section_gives_the_run_and_its_longest_parts_or_only_why_it_has_none(tmp_path):
    section = "\n".join(render(read(report(tmp_path)), 15))
    assert "4 tests (1 skipped) in 30 s" in section
    assert "| `tests/end_to_end/test_local_stack.py::test_c[rest]` | 20.0 | 80.0% |" in section

    reason = "\n".join(render("build/test-report.xml is missing", 15))
    assert "Not read in this run: build/test-report.xml is missing." in reason
    assert reason.startswith("## 15. Where `make test`'s time goes")
    assert not any(character.isdigit() for character in reason.replace("build/test-report.xml", "").replace("15", ""))
