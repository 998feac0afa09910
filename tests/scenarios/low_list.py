"""The list of low items as a client pages through it: GET /stocks?low=true, each cursor sent back as given."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from tests.running_stack import eventually
from tests.scenarios.target import Target

# How long a page the API answered with 503 is asked for again: the API answers 503 (with Retry-After) when its
# store did not answer in time, as a loaded machine's local stack may not, and a client is to ask again.
RETRY_TIMEOUT = 60


def get(target: Target, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """The API's answer to GET /stocks with this query, asked again while it says to retry later."""

    def answered() -> tuple[int, dict[str, Any]] | None:
        status, document = target.api("GET", f"/stocks?{urlencode(query)}")
        return None if status == 503 else (status, document)

    return eventually(answered, timeout=RETRY_TIMEOUT, interval=1)


def page(target: Target, query: dict[str, str]) -> dict[str, Any]:
    """One page of the list."""
    status, document = get(target, query)
    assert status == 200, (status, document)
    return document


def pages(target: Target, limit: int) -> list[list[str]]:
    """The ids of each page of the list, in the list's order."""
    found: list[list[str]] = []
    query = {"low": "true", "limit": str(limit)}
    while True:
        document = page(target, query)
        found.append([item["stock_id"] for item in document["items"]])
        if document["next_cursor"] is None:
            return found
        query["cursor"] = document["next_cursor"]


def listed(target: Target, prefix: str, limit: int = 100) -> list[str]:
    """The ids starting with `prefix` on the list as paged through now, in the list's order. The list holds every
    low item of the stack, other scenarios' among them."""
    return [stock_id for each in pages(target, limit) for stock_id in each if stock_id.startswith(prefix)]
