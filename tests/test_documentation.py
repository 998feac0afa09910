"""What the README and the docs state by hand stays true: no figure that a run measures (a duration, a number of
tests) is typed where the run itself says it, no one kind of API is named as if it were the only one, every code
block says whether it runs locally or needs AWS, and every relative link leads somewhere."""

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.documentation_pages import MARKER, MARKERS, PAGES, ROOT, code_blocks

README = (ROOT / "README.md").read_text()
# Written by `make bench` from what it measured: its figures are the run's own.
GENERATED = {ROOT / "docs" / "PERFORMANCE.md"}
DURATION = re.compile(r"\b\d[\d,.]*\s*(?:minutes?|mins?|seconds?|s|hours?|h)\b")


def section(text: str, starts: str, ends: str) -> str:
    """`text` from the line that starts with `starts` to the next line that starts with `ends` (or to its end)."""
    found = re.search(rf"^{re.escape(starts)}.*?(?=^{re.escape(ends)}|\Z)", text, re.MULTILINE | re.DOTALL)
    assert found is not None, starts
    return found.group(0)


def outside_code_blocks(page: Path) -> str:
    text = page.read_text()
    for block in code_blocks(page):
        text = text.replace(block.text, "", 1)
    return text


def prose(page: Path) -> str:
    """The page without its code, blocks or inline, where a link is only an example."""
    return re.sub(r"`[^`\n]*`", "", outside_code_blocks(page))


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
    commands = section(README, "## The two commands", "## A first request")
    assert re.findall(r"\b\d[\d,]* tests\b", commands) == []
    assert DURATION.findall(commands) == []
    assert "pytest's last line" in commands


def test_no_page_types_a_number_of_tests_or_how_long_something_took():
    """The suite's count is pytest's last line, and times are measured by the runs that print them (CI's log,
    `make bench` into docs/PERFORMANCE.md): a figure typed by hand goes stale with the next test or machine."""
    typed = re.compile(
        r"\b\d[\d,]* tests\b"
        r"|\b(?:takes?|took|taking|measured)\b[^.]{0,60}?\b\d[\d,.]*\s*(?:minutes?|mins?|seconds?|s|hours?|h)\b"
    )
    found = {
        str(page.relative_to(ROOT)): hits
        for page in PAGES
        if page not in GENERATED and (hits := typed.findall(page.read_text()))
    }
    assert found == {}


def test_the_readme_names_both_kinds_of_api_where_it_introduces_the_api():
    introduction = README.split("\n## ", 1)[0]
    design = (ROOT / "docs" / "design.md").read_text()
    [diagram_edge] = [line for line in design.splitlines() if "client([client])" in line]
    for text in (introduction, diagram_edge):
        assert "REST" in text
        assert "HTTP API" in text
        assert "apiKind" in text


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_code_block_says_whether_it_runs_locally_needs_aws_or_is_an_example(page: Path):
    lines = page.read_text().splitlines()
    unmarked = [str(block) for block in code_blocks(page) if block.marker not in MARKERS]
    # A marker is for the block right below it: one anywhere else, or two in a row, marks nothing.
    fences = {block.line - 1 for block in code_blocks(page)}
    stray = [
        f"{page.relative_to(ROOT)}:{number + 1}"
        for number, line in enumerate(lines)
        if MARKER.fullmatch(line.strip()) and number + 1 not in fences
    ]
    assert (unmarked, stray) == ([], [])


def test_the_marker_check_finds_a_block_without_a_marker(tmp_path: Path):
    page = tmp_path / "page.md"
    page.write_text("Text.\n\n<!-- local -->\n```bash\nmake run\n```\n\n```bash\nmake test\n```\n")
    assert [(block.line, block.marker) for block in code_blocks(page)] == [(4, "local"), (8, None)]


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped (inline code's backticks too),
    spaces as hyphens, a repeated heading numbered."""
    seen: dict[str, int] = {}
    found = set()
    for line in outside_code_blocks(page).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*$", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def relative_links(page: Path) -> list[str]:
    return [
        target
        for target in re.findall(r"\]\(([^)\s]+)\)", prose(page))
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # https:, mailto: ... are not checked here
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_a_heading_in_it(page: Path):
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        destination = (page.parent / unquote(path)).resolve() if path else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no such heading")
    assert broken == []


def test_the_link_check_finds_a_missing_file_and_a_missing_heading(tmp_path: Path):
    (tmp_path / "other.md").write_text("# Other\n\n## Dead letters, and redrive\n\n## Against `make run`\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[fine](other.md#dead-letters-and-redrive) [gone](missing.md) [no heading](other.md#nowhere)\n"
        "`[in code](missing.md)` [web](https://example.org/x)\n"
    )
    assert relative_links(page) == ["other.md#dead-letters-and-redrive", "missing.md", "other.md#nowhere"]
    assert anchors(tmp_path / "other.md") == {"other", "dead-letters-and-redrive", "against-make-run"}
