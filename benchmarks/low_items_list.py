"""What a page of the list of low items costs: on a local stack serving the kind of API dev serves, new items made
low, listed by the stream's function, then the whole list paged through with signed `GET /stocks?low=true`
requests, counting every request the pages make.

The items are written straight to the table with BatchWriteItem, which no function makes: the benchmark waits until
the stream's function has listed every one of them (a state reached, polled), and until only the pollers talk, so
that every request counted during the walks is the pages'. Each walk is checked: every answer a 200, every item seen
once and low, no page over its limit, one invocation of the API's function per page, one GenerateMac per cursor
given and one VerifyMac per cursor sent back, no other request, nothing logged at WARNING or above.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.dynamodb_items import LOW_LIST_SHARD, STOCK_ID
from adapters.outbound.dynamodb_low_stock_list import shard_of
from benchmarks import prices
from benchmarks.checks import check
from benchmarks.deployment import configured_functions
from benchmarks.end_to_end import (
    INVOCATIONS,
    POLLER_OPERATIONS,
    listed_count,
    scanned,
    settle,
    start_stack,
    wait_for,
    watching,
    write_new_items,
)
from local_stack.api_gateway.api_authorization import signed_headers
from local_stack.aws.embedded_aws import local_client
from local_stack.aws_cli_files import read_credentials

NAME = "list of low items"
LIMIT = 100  # items a page asks for
API_KIND = "http"  # the kind of API dev and prod serve
QUERY, BATCH_GET = "dynamodb:Query", "dynamodb:BatchGetItem"
GENERATE_MAC, VERIFY_MAC = "kms:GenerateMac", "kms:VerifyMac"
PAGE_OPERATIONS = (QUERY, BATCH_GET, GENERATE_MAC, VERIFY_MAC)
API_REQUEST = "the API request"  # not a request the embedded AWS sees: API Gateway's own, one per page


@dataclass(frozen=True)
class ListRun:
    """The walks through one list of low items, each checked."""

    items: int  # listed, and seen once on each walk
    limit: int
    walks: int
    pages: int  # over all walks
    requests: Counter[str]  # during the walks, the pollers' left out
    invocations: int  # of the API's function during the walks
    page_seconds: list[float]  # each page's round trip
    largest_entry_bytes: int  # of the index's entries of the items listed (their keys)
    largest_item_bytes: int  # of the items listed, as stored

    @property
    def pages_per_walk(self) -> float:
        return self.pages / self.walks

    def per_page(self) -> dict[str, float]:
        """Each row's requests per page, the API's function's invocations among them."""
        counted = {operation: self.requests.get(operation, 0) / self.pages for operation in PAGE_OPERATIONS}
        return {**counted, INVOCATIONS: self.invocations / self.pages}

    @property
    def read_units_per_query(self) -> float:
        """What a Query of the index is billed at most: it returns at most a page of entries, priced here as if each
        were the largest."""
        return prices.query_read_units(self.limit * self.largest_entry_bytes)

    def read_units_per_page(self) -> dict[str, float]:
        """Read request units per page, by request: each Query's at most (`read_units_per_query`); the BatchGetItems
        read each item listed once per walk, each priced as if it were the largest."""
        items_read = self.items * self.walks
        return {
            QUERY: self.requests.get(QUERY, 0) * self.read_units_per_query / self.pages,
            BATCH_GET: prices.batch_get_read_units([self.largest_item_bytes] * items_read) / self.pages,
        }

    def usd_per_million_pages(self) -> dict[str, float]:
        """What a million pages cost at list prices, by row: the read request units of the Queries and of the
        BatchGetItems, the KMS requests, the API's function's invocations, and the API request itself."""
        units, rows = self.read_units_per_page(), self.per_page()
        read, kms = prices.DYNAMODB_READ.usd_per_million, prices.KMS_REQUEST.usd_per_million
        return {
            QUERY: units[QUERY] * read,
            BATCH_GET: units[BATCH_GET] * read,
            GENERATE_MAC: rows[GENERATE_MAC] * kms,
            VERIFY_MAC: rows[VERIFY_MAC] * kms,
            INVOCATIONS: rows[INVOCATIONS] * prices.LAMBDA_REQUEST.usd_per_million,
            API_REQUEST: prices.API_PRICES[API_KIND].usd_per_million,  # one per page
        }

    @property
    def median_page_ms(self) -> float:
        return statistics.median(self.page_seconds) * 1000


@dataclass(frozen=True)
class _Page:
    seconds: float
    items: list[dict[str, Any]]
    cursor_sent: bool
    cursor_given: bool


def measure(items: int, walks: int, limit: int = LIMIT) -> ListRun:
    """`items` new items at level 0, listed as low, then paged through `walks` times, `limit` at a time."""
    config = {"apiKind": API_KIND}
    api_function = configured_functions(config, {})["handlers.http_api"].name
    stock_ids = [f"LOW{index:06d}" for index in range(items)]
    with tempfile.TemporaryDirectory() as work:
        stack, outputs = start_stack(Path(work), config)
        try:
            dynamodb = local_client("dynamodb", outputs["aws_endpoint_url"], stack.region)
            table = outputs["table_name"]
            key, secret = read_credentials(stack.settings.credentials_path)
            with watching(NAME) as problems:
                write_new_items(dynamodb, table, stock_ids, NAME)
                wait_for(
                    lambda: listed_count(dynamodb, table) >= items,
                    lambda: f"{listed_count(dynamodb, table)} of {items} items listed as low",
                    problems,
                    600,
                )
                settle(stack)
                stored = [attributes for page in scanned(dynamodb, table) for attributes in page.get("Items", [])]
                counts, invoked = stack.request_counts(), stack.invocation_counts().get(api_function, 0)
                walked = [
                    _walk(outputs["endpoint_url"], limit, items, (key, secret, stack.region)) for _ in range(walks)
                ]
                requests = stack.request_counts() - counts
                invocations = stack.invocation_counts().get(api_function, 0) - invoked
        finally:
            stack.stop()
    for operation in POLLER_OPERATIONS:
        requests.pop(operation, None)
    pages = [page for walk in walked for page in walk]
    run = ListRun(
        items=items,
        limit=limit,
        walks=walks,
        pages=len(pages),
        requests=requests,
        invocations=invocations,
        page_seconds=[page.seconds for page in pages],
        largest_entry_bytes=max(
            prices.item_bytes({LOW_LIST_SHARD: {"S": shard_of(stock_id)}, STOCK_ID: {"S": stock_id}})
            for stock_id in stock_ids
        ),
        largest_item_bytes=max(prices.item_bytes(attributes) for attributes in stored),
    )
    _check(run, stock_ids, walked, stored)
    return run


def _walk(endpoint: str, limit: int, items: int, signer: tuple[str, str, str]) -> list[_Page]:
    """Every page of the list, each cursor sent back as the page before gave it; each request signed with the
    developer's credentials (`signer`: key, secret and region), the API being AWS_IAM, as in AWS."""
    key, secret, region = signer
    pages: list[_Page] = []
    cursor: str | None = None
    while True:
        url = f"{endpoint}/stocks?low=true&limit={limit}" + ("" if cursor is None else f"&cursor={cursor}")
        headers = signed_headers("GET", url, b"", key, secret, region)
        request = urllib.request.Request(url, method="GET", headers=headers)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, answer = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, answer = error.code, error.read()
        seconds = time.perf_counter() - started
        check(status == 200, f"{NAME}: page {len(pages) + 1} answered {status}: {answer[:200]!r}")
        document = json.loads(answer)
        next_cursor = document["next_cursor"]
        pages.append(_Page(seconds, document["items"], cursor is not None, next_cursor is not None))
        if next_cursor is None:
            return pages
        # A list that never ends would walk for ever: no page is empty but the last, unless listed items left it.
        check(len(pages) <= items // limit + 1, f"{NAME}: {len(pages)} pages for {items} items, and still a cursor")
        cursor = next_cursor


def _check(run: ListRun, stock_ids: list[str], walked: list[list[_Page]], stored: list[dict[str, Any]]) -> None:
    check(len(stored) == run.items, f"{NAME}: {len(stored)} items in the table for the {run.items} written")
    for number, walk in enumerate(walked, start=1):
        seen = Counter(item["stock_id"] for page in walk for item in page.items)
        twice = [stock_id for stock_id, times in seen.items() if times > 1]
        check(not twice, f"{NAME}: walk {number} saw {len(twice)} items more than once, {twice[:1]} among them")
        check(
            set(seen) == set(stock_ids),
            f"{NAME}: walk {number} saw {len(seen)} items of the {len(stock_ids)} listed",
        )
        not_low = [item["stock_id"] for page in walk for item in page.items if item["low"] is not True]
        check(not not_low, f"{NAME}: walk {number} gave {len(not_low)} items not low, {not_low[:1]} among them")
        over = [len(page.items) for page in walk if len(page.items) > run.limit]
        check(not over, f"{NAME}: walk {number} gave a page of {over[:1]} items, over the limit of {run.limit}")
    pages = [page for walk in walked for page in walk]
    requests = run.requests
    others = {operation: count for operation, count in requests.items() if operation not in PAGE_OPERATIONS}
    check(not others, f"{NAME}: requests other than the pages' during the walks: {others}")
    check(run.invocations == run.pages, f"{NAME}: {run.invocations} invocations of the API for {run.pages} pages")
    given, sent = sum(page.cursor_given for page in pages), sum(page.cursor_sent for page in pages)
    check(requests[GENERATE_MAC] == given, f"{NAME}: {requests[GENERATE_MAC]} GenerateMac for {given} cursors given")
    check(requests[VERIFY_MAC] == sent, f"{NAME}: {requests[VERIFY_MAC]} VerifyMac for {sent} cursors sent back")
    read = sum(bool(page.items) for page in pages)  # an empty page reads no item
    check(requests[BATCH_GET] >= read, f"{NAME}: {requests[BATCH_GET]} BatchGetItem for {read} pages of items")
