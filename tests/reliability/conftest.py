"""A local stack tuned for failure tests: short function time-outs, so a failed message returns within seconds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.running_stack import RunningStack, running

# Sized for a slow, busy machine: a cold start plus a 200-line message must fit the function's time-out.
# Visibility timeout = 6 x 5 s + 1 s window: a message of a failed batch is back 31 s later.
# The notifier's 10 s time-out makes a slow SNS outlast it with a few alerts in a batch.
FAST_RETRIES = {
    "importFunctionTimeoutSeconds": 5,
    "queueBatchingWindowSeconds": 1,
    "maxReceiveCount": 8,
    "notifierFunctionTimeoutSeconds": 10,
}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    yield from running(tmp_path_factory.mktemp("reliability-stack"), FAST_RETRIES)


def stored_levels(stack: RunningStack, prefix: str) -> dict[str, int]:
    """Every stored level whose item id starts with `prefix`, read straight from the table."""
    dynamodb = stack.client("dynamodb")
    levels: dict[str, int] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=stack.outputs["table_name"]):
        for item in page["Items"]:
            if item["stock_id"]["S"].startswith(prefix):
                levels[item["stock_id"]["S"]] = int(item["stock_level"]["N"])
    return levels
