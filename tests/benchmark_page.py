"""docs/PERFORMANCE.md read back as tables and figures, to recompute what it derives from what it counted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks import prices
from benchmarks.checks import HTTP_API_COST
from benchmarks.end_to_end import BATCH, CLAIM, INVOCATIONS, LIST_MARKS, PUBLISH
from benchmarks.report import (
    API_PATH,
    COST_PER_CROSSING_ROW,
    COUNTED_ROW,
    FLOOR,
    ORIGINAL,
    PAGE_TOTAL_ROW,
    REQUESTS_PER_CROSSING_ROW,
)

PAGE = Path(__file__).resolve().parent.parent / "docs" / "PERFORMANCE.md"
# Section 11's rows, by the kind of API each names.
KIND_ROWS = {"REST API (payload 1.0)": "rest", "HTTP API (payload 2.0)": "http"}
# The SQS requests section 4 bills once each (SendMessageBatch aside: per chunk).
SQS_BILLED_ONCE = (
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:DeleteMessageBatch",
    "sqs:GetQueueAttributes",
)
BILLED_BATCHES = r"`sqs:SendMessageBatch` in (.+?): [\d.]+ per 1,000 updates, billed as ([\d.]+)"
ORIGINAL_PUBLISHES = r"published for every update of a level at or below the threshold: (\d+) per 1,000"


def table(page: str, header_starts: str) -> tuple[list[str], dict[str, list[str]]]:
    """The header cells and the rows (by first cell, the rest as text, bold marks removed) of the page's table
    whose header line starts with `header_starts`."""
    lines = page.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_starts))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip().strip("*") for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return header, rows


def prose(page: str) -> str:
    """The page's text with its line breaks undone, for sentences wrapped across lines."""
    return " ".join(page.split())


def names_each_api_path_by_its_kind(page: str) -> bool:
    """Whether section 3's API columns are one per kind of API, each named by its kind."""
    columns = table(page, "| operation | counted |")[0][2:]
    return sorted(column for column in columns if column.startswith("API path")) == sorted(API_PATH.values())


def assert_costs_follow_the_counts(page: str) -> None:
    """Recompute section 4's cost table from section 3's counts and the prices in benchmarks/prices.py, by the
    billing rules section 4 states, and section 11's cost of each kind of API from section 4's rows. Each count
    is shown to a tenth per 1,000 updates, each cost to a thousandth: the tolerance covers that rounding only."""
    header, counts = table(page, "| operation | counted |")
    columns = header[2:]
    assert names_each_api_path_by_its_kind(page), columns
    cost_header, costs = table(page, "| configuration |")
    assert cost_header[1:-1] == list(prices.ITEMS)
    assert set(costs) == {*columns, FLOOR}
    text = prose(page)
    billed = {name: float(figure) for name, figure in re.findall(BILLED_BATCHES, text)}
    stated_original = re.search(ORIGINAL_PUBLISHES, text)
    assert stated_original is not None
    kinds = {name: kind for kind, name in API_PATH.items()}

    for index, column in enumerate(columns, start=1):

        def count(row: str, index: int = index) -> float:
            return float(counts[row][index]) if row in counts else 0.0

        assert count(BATCH) == 0 or column in billed, f"{column}: SendMessageBatch sent, its billing not stated"
        original = column == ORIGINAL
        publishes = float(stated_original.group(1)) if original else count(PUBLISH)
        # The original kept no record of alerts (their claims and sent marks) and no list of low items (its marks).
        writes = (
            count("dynamodb:UpdateItem") + count(CLAIM) - (2 * count(PUBLISH) + count(LIST_MARKS) if original else 0)
        )
        sqs = sum(count(row) for row in SQS_BILLED_ONCE) + billed.get(column, 0.0)
        api = prices.API_PRICES[kinds[column]].usd_per_million * 1000 if column in kinds else 0.0
        expected = {
            "DynamoDB": writes * prices.DYNAMODB_WRITE.usd_per_million,
            "SQS": sqs * prices.SQS_REQUEST.usd_per_million,
            "Lambda requests": count(INVOCATIONS) * prices.LAMBDA_REQUEST.usd_per_million,
            "SNS": publishes * prices.SNS_PUBLISH.usd_per_million,
            "API Gateway": api,
        }
        shown = dict(zip(cost_header[1:], costs[column], strict=True))
        for item, per_thousand in expected.items():
            assert float(shown[item]) == pytest.approx(per_thousand / 1000, abs=0.001), (column, item)
        assert float(shown["total"]) == pytest.approx(sum(expected.values()) / 1000, abs=0.003), column
    assert float(costs[FLOOR][0]) == prices.DYNAMODB_WRITE.usd_per_million

    _, by_kind = table(page, "| API kind |")
    assert set(by_kind) == set(KIND_ROWS)
    total = {kind: float(costs[API_PATH[kind]][-1]) for kind in API_PATH}
    for row, (requests, price, cost, _) in by_kind.items():
        kind = KIND_ROWS[row]
        assert float(price) == prices.API_PRICES[kind].usd_per_million
        assert float(cost) == total[kind]
        assert requests == counts[COUNTED_ROW][columns.index(API_PATH[kind]) + 1]
    stated = re.search(r"The HTTP API costs ([\d.]+)x the REST API per update on the API path \((.+?)\)", text)
    assert stated is not None
    ratio = total["http"] / total["rest"]
    assert float(stated.group(1)) == pytest.approx(ratio, abs=0.006)
    assert stated.group(2) == f"{HTTP_API_COST.bound()}: {HTTP_API_COST.outcome(ratio)}"


def assert_crossing_costs_follow_the_table(page: str) -> None:
    """Recompute section 12's totals from its rows: each column's requests per crossing, and their cost at the
    price each row shows for that column (index writes included); before, no list mark; now, costlier than before."""
    _, rows = table(page, "| request | made by | USD per million, before | USD per million, now |")
    requests, cost = rows.pop(REQUESTS_PER_CROSSING_ROW), rows.pop(COST_PER_CROSSING_ROW)
    for price, column in ((1, 3), (2, 4)):  # before, now
        counts = [float(cells[column]) for cells in rows.values()]
        assert float(requests[column]) == pytest.approx(sum(counts), abs=0.0005 * (len(rows) + 1))
        priced = sum(float(cells[price]) * float(cells[column]) for cells in rows.values())
        assert float(cost[column]) == pytest.approx(priced, abs=0.0005 * (len(rows) + 1))
    list_mark = next(cells for row, cells in rows.items() if "list mark" in row)
    assert float(list_mark[3]) == 0.0
    assert float(list_mark[4]) >= 1.0  # every crossing lists its item
    assert float(cost[4]) > float(cost[3])


def assert_page_cost_follows_the_table(page: str) -> None:
    """Recompute section 13's total from its rows, and the figure its prose states."""
    _, rows = table(page, "| request | per page | billed as | USD per million pages |")
    total = rows.pop(PAGE_TOTAL_ROW)
    usd = [float(cells[-1]) for cells in rows.values()]
    assert float(total[-1]) == pytest.approx(sum(usd), abs=0.0005 * (len(rows) + 1))
    stated = re.search(r"costs \*\*([\d.]+) USD per million pages\*\*", prose(page))
    assert stated is not None
    assert stated.group(1) == total[-1]
