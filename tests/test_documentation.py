"""What the README and the docs state by hand stays true: no figure that a run measures (a duration, a number of
tests) is typed where the run itself says it, and no one kind of API is named as if it were the only one."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DURATION = re.compile(r"\b\d[\d,.]*\s*(?:minutes?|mins?|seconds?|s|hours?|h)\b")


def section(text: str, starts: str, ends: str) -> str:
    """`text` from the line that starts with `starts` to the next line that starts with `ends` (or to its end)."""
    found = re.search(rf"^{re.escape(starts)}.*?(?=^{re.escape(ends)}|\Z)", text, re.MULTILINE | re.DOTALL)
    assert found is not None, starts
    return found.group(0)


def test_no_page_types_how_long_make_mutate_takes_which_the_run_prints():
    makefile = (ROOT / "Makefile").read_text()
    recipe = section(makefile, "# Mutation testing", "# Rewrite the reviewed snapshot")
    pages = {
        "Makefile": recipe,
        "pyproject.toml": section((ROOT / "pyproject.toml").read_text(), "[tool.mutmut]", "[tool.pytest"),
        "docs/RELIABILITY.md": section((ROOT / "docs" / "RELIABILITY.md").read_text(), "## Mutation testing", "## "),
    }
    assert {page: found for page, text in pages.items() if (found := DURATION.findall(text))} == {}
    assert 'echo "make mutate: took $$(( $$(date +%s) - started )) s"' in recipe


def test_the_readme_types_no_number_of_tests_nor_how_long_they_take():
    commands = section(README, "## The two commands", "### Quickstart")
    assert re.findall(r"\b\d[\d,]* tests\b", commands) == []
    assert DURATION.findall(commands) == []
    assert "pytest's last line" in commands


def test_the_readme_names_both_kinds_of_api_where_it_introduces_the_api():
    introduction = README.split("\n## ", 1)[0]
    [diagram_edge] = [line for line in README.splitlines() if "client([client])" in line]
    for text in (introduction, diagram_edge):
        assert "REST" in text
        assert "HTTP API" in text
        assert "apiKind" in text
