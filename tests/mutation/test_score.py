"""The mutation score counts explained survivors, fails on a new one, and notices an explanation gone stale."""

import re
from pathlib import Path

import pytest

from tests.mutation.score import (
    EQUIVALENT,
    TARGETS,
    Explanation,
    Score,
    mutated_lines,
    parse_explanations,
    render,
    score,
    source_of,
)

RELIABILITY = Path(__file__).resolve().parents[2] / "docs" / "RELIABILITY.md"

DIFF = """--- domain/stock.py
+++ domain/stock.py
@@ -1,3 +1,3 @@
 def f(text):
-    return text.decode("utf-8")
+    return text.decode("UTF-8")"""

EXPLAINED = """## a file comment
# codec names are case-insensitive:
# "UTF-8" is "utf-8"
domain.stock.x_f__mutmut_2
    return text.decode("UTF-8")

# another reason
adapters.inbound.a.x_g__mutmut_1
    return None
"""


def diffs(name):
    return DIFF


def test_the_checked_in_explanations_are_well_formed_and_each_gives_a_reason():
    explanations = parse_explanations(EQUIVALENT.read_text())
    assert explanations
    assert all(explanation.reason and explanation.line for explanation in explanations.values())


def test_explanations_are_read_with_their_reason_and_mutated_line():
    assert parse_explanations(EXPLAINED) == {
        "domain.stock.x_f__mutmut_2": Explanation(
            'codec names are case-insensitive: "UTF-8" is "utf-8"', 'return text.decode("UTF-8")'
        ),
        "adapters.inbound.a.x_g__mutmut_1": Explanation("another reason", "return None"),
    }


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("domain.stock.x_f__mutmut_2\n    line\n", "has no reason above it"),
        ("# why\ndomain.stock.x_f__mutmut_2\n", "has no mutated line under it"),
        ("# why\n    line\n", "a mutated line with no mutant name before it"),
        ("# why\ndomain.stock.x_f__mutmut_2\n    a\ndomain.stock.x_f__mutmut_2\n    a\n", "explained twice"),
    ],
)
def test_an_explanation_without_reason_name_or_line_is_refused(text, complaint):
    with pytest.raises(ValueError, match=complaint):
        parse_explanations(text)


def test_the_lines_a_mutant_writes_are_those_it_adds_or_else_those_it_removes():
    assert mutated_lines(DIFF) == {'return text.decode("UTF-8")'}
    assert mutated_lines(DIFF.replace("+    return", " ")) == {'return text.decode("utf-8")'}


def test_explained_survivors_count_and_other_survivors_are_listed():
    statuses = {"domain.stock.x_f__mutmut_1": "killed", "domain.stock.x_f__mutmut_2": "survived"}
    statuses |= {f"adapters.inbound.a.x_g__mutmut_{n}": "killed" for n in range(2, 10)}
    statuses |= {"adapters.inbound.a.x_g__mutmut_10": "timeout", "adapters.inbound.a.x_g__mutmut_11": "no tests"}
    statuses |= {"handlers.h.x_h__mutmut_1": "caught by type check", "handlers.h.x_h__mutmut_2": "killed"}
    explanations = {"domain.stock.x_f__mutmut_2": Explanation("why", 'return text.decode("UTF-8")')}
    result = score(statuses, explanations, diffs)
    domain, adapters, handlers = result.packages
    assert (domain.killed, domain.explained, domain.total, domain.met) == (1, 1, 2, True)
    assert (adapters.killed, adapters.explained, adapters.total) == (9, 0, 10)
    assert adapters.ratio == 0.9
    assert (handlers.killed, handlers.total, handlers.met) == (2, 2, True)
    assert result.survivors == {"adapters.inbound.a.x_g__mutmut_11": "no tests"}
    assert result.passed


def test_a_package_without_mutants_fails_the_score():
    statuses = {"domain.stock.x_f__mutmut_1": "killed", "adapters.inbound.a.x_g__mutmut_1": "killed"}
    result = score(statuses, {}, diffs)
    assert [package.package for package in result.packages if not package.met] == ["handlers"]
    assert not result.passed


def test_one_unexplained_domain_survivor_fails_the_score():
    result = score({"domain.stock.x_f__mutmut_1": "killed", "domain.stock.x_f__mutmut_2": "survived"}, {}, diffs)
    assert not result.packages[0].met
    assert not result.passed


def test_an_explanation_of_a_killed_missing_or_renumbered_mutant_fails_the_score():
    statuses = {"domain.stock.x_f__mutmut_1": "killed", "domain.stock.x_f__mutmut_2": "survived"}
    explanations = {
        "domain.stock.x_f__mutmut_1": Explanation("why", "anything"),
        "domain.stock.x_f__mutmut_2": Explanation("why", "a line this mutant no longer writes"),
        "domain.stock.x_f__mutmut_3": Explanation("why", "anything"),
    }
    result = score(statuses, explanations, diffs)
    assert set(result.stale) == set(explanations)
    assert result.survivors == {"domain.stock.x_f__mutmut_2": "survived"}
    assert not result.passed


def test_a_mutant_is_found_in_the_source_file_its_name_starts_with():
    assert str(source_of("adapters.outbound.sqs_stock_line_queue.xǁQǁsend__mutmut_15")) == (
        "adapters/outbound/sqs_stock_line_queue.py"
    )


def test_the_reliability_page_shows_the_last_score_as_the_score_prints_it_in_markdown():
    header = render(Score([]), diffs, markdown=True).splitlines()[2:4]
    lines = RELIABILITY.read_text().splitlines()
    start = lines.index(header[0])
    assert lines[start + 1] == header[1]
    rows = lines[start + 2 : start + 2 + len(TARGETS) + 1]
    assert rows[-1] == ""  # one row per package scored, no more
    for row, (package, target) in zip(rows, TARGETS.items(), strict=False):
        assert re.fullmatch(rf"\| {package} \| \d+ \| \d+ \| \d+ \| \d+\.\d% \| {target:.0%} (✅|❌) \|", row), row
