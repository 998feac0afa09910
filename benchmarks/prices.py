"""Published AWS list prices used to turn request counts into money, with where each comes from; and the cost of
a run's measured requests at those prices.

Region us-east-1, as published on each service's pricing page in 2025. The stacks run in eu-west-3 (Paris),
whose list prices differ: the costs here are us-east-1's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from benchmarks.end_to_end import BATCH, CLAIM, LIST_MARK, PUBLISH, SENT_MARK, Run, invocations

REGION = "us-east-1"
PUBLISHED = "2025"
CHUNK = 64 * 1024  # SQS and SNS bill each 64 KB of a request's payload as one request


@dataclass(frozen=True)
class Price:
    item: str
    usd_per_million: float
    source: str


DYNAMODB_WRITE = Price(
    "DynamoDB on-demand write request unit", 0.625, "https://aws.amazon.com/dynamodb/pricing/on-demand/"
)
SQS_REQUEST = Price(f"SQS standard request (per {CHUNK // 1024} KB chunk)", 0.40, "https://aws.amazon.com/sqs/pricing/")
LAMBDA_REQUEST = Price("Lambda request", 0.20, "https://aws.amazon.com/lambda/pricing/")
SNS_PUBLISH = Price(f"SNS publish (per {CHUNK // 1024} KB chunk)", 0.50, "https://aws.amazon.com/sns/pricing/")
# SNS charges nothing for a delivery to an SQS queue; the queue's own requests are SQS's (SQS_REQUEST).
SNS_TO_SQS_DELIVERY = Price("SNS delivery to an SQS queue", 0.0, "https://aws.amazon.com/sns/pricing/")
API_REQUEST = Price("API Gateway REST API request", 3.50, "https://aws.amazon.com/api-gateway/pricing/")
# HTTP APIs: USD 1.00 per million requests for the first 300 million a month (same page), each request billed in
# 512 KB increments (our requests are far smaller).
HTTP_API_REQUEST = Price("API Gateway HTTP API request", 1.00, "https://aws.amazon.com/api-gateway/pricing/")
API_PRICES = {"rest": API_REQUEST, "http": HTTP_API_REQUEST}
# USD 0.05 per 10,000 API calls.
SECRETS_MANAGER_REQUEST = Price("Secrets Manager API call", 5.00, "https://aws.amazon.com/secrets-manager/pricing/")
# USD 0.125 per million read request units (same page as the write unit). A read request unit is one strongly
# consistent read of an item up to 4 KB, or two eventually consistent ones.
DYNAMODB_READ = Price(
    "DynamoDB on-demand read request unit", 0.125, "https://aws.amazon.com/dynamodb/pricing/on-demand/"
)
# USD 0.03 per 10,000 requests, the price of every request but the asymmetric ones and GenerateDataKeyPair: the
# cursor key's GenerateMac and VerifyMac among them (an HMAC key is not an asymmetric key).
KMS_REQUEST = Price("KMS request (GenerateMac, VerifyMac)", 3.00, "https://aws.amazon.com/kms/pricing/")
ALL = (
    DYNAMODB_WRITE,
    DYNAMODB_READ,
    SQS_REQUEST,
    LAMBDA_REQUEST,
    SNS_PUBLISH,
    SNS_TO_SQS_DELIVERY,
    API_REQUEST,
    HTTP_API_REQUEST,
    SECRETS_MANAGER_REQUEST,
    KMS_REQUEST,
)
ITEMS = ("DynamoDB", "SQS", "Lambda requests", "SNS", "API Gateway")


def cost_per_million(
    run: Run,
    *,
    through_api: bool = False,
    original: bool = False,
    left_out_functions: tuple[str, ...] = (),
    api_price: Price = API_REQUEST,
) -> dict[str, float]:
    """USD per million updates from the run's measured requests (Lambda duration left out: not measured here).

    The original is billed as it ran: a Publish for every update at or below the threshold, no alert records, no
    list of low items, and no invocations of `left_out_functions` (it had no notifier function)."""
    sqs = run.requests.get("sqs:SendMessage", 0) + billed_batch_requests(run)
    sqs += sum(
        run.requests.get(op, 0)
        for op in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:DeleteMessageBatch", "sqs:GetQueueAttributes")
    )
    alerts = run.requests.get(PUBLISH, 0)
    writes = run.requests.get("dynamodb:UpdateItem", 0) + run.requests.get(CLAIM, 0)
    if original:  # each alert's claim and sent mark, and each list mark, are ours: the original kept neither
        writes -= 2 * alerts + run.listed
    requests = {
        "DynamoDB": writes * DYNAMODB_WRITE.usd_per_million,
        "SQS": sqs * SQS_REQUEST.usd_per_million,
        "Lambda requests": invocations(run, left_out_functions) * LAMBDA_REQUEST.usd_per_million,
        "SNS": (run.alerts_due_original_rule if original else alerts) * SNS_PUBLISH.usd_per_million,
        "API Gateway": (run.updates if through_api else 0) * api_price.usd_per_million,
    }
    return {item: value / run.updates for item, value in requests.items()}


def billed_batch_requests(run: Run) -> int:
    """The run's SendMessageBatch requests as SQS bills them: each 64 KB chunk of the payload is one request, and
    every request at least one."""
    batches = run.requests.get(BATCH, 0)
    return max(batches, math.ceil(run.batch_bytes / CHUNK)) if batches else 0


# What one request of each row of a crossing costs: its alert's Publish, and three small writes (an item under 1 KB
# is one write request unit), each also a write unit in every index whose entry it adds, changes or removes
# (docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html, "Provisioned throughput considerations for
# Global Secondary Indexes": a table write that writes an index entry consumes the index's write capacity too).
CROSSING_PRICES = {PUBLISH: SNS_PUBLISH, CLAIM: DYNAMODB_WRITE, SENT_MARK: DYNAMODB_WRITE, LIST_MARK: DYNAMODB_WRITE}
# Index entries each row's request writes. Now: the claim adds its record's entry in the sent-alerts table's
# `by-item` index, the list mark its item's in `low-items`; the sent mark changes no key of a keys-only index. Before
# this change neither index existed.
INDEX_WRITES_NOW = {PUBLISH: 0, CLAIM: 1, SENT_MARK: 0, LIST_MARK: 1}
INDEX_WRITES_BEFORE = dict.fromkeys(INDEX_WRITES_NOW, 0)


def crossing_row_usd_per_million(row: str, index_writes: Mapping[str, int] = INDEX_WRITES_NOW) -> float:
    """What one request of a crossing's row costs, with the index entries it writes."""
    return CROSSING_PRICES[row].usd_per_million + index_writes[row] * DYNAMODB_WRITE.usd_per_million


def usd_per_million_crossings(
    per_crossing: Mapping[str, float], index_writes: Mapping[str, int] = INDEX_WRITES_NOW
) -> float:
    """The cost of a million crossings that each make these requests, by row of `CROSSING_PRICES`, each with the
    index entries it writes (`INDEX_WRITES_BEFORE` for the code before the indexes)."""
    return sum(count * crossing_row_usd_per_million(row, index_writes) for row, count in per_crossing.items())


READ_UNIT_BYTES = 4 * 1024  # what one read request unit reads: one item, or a Query's items together, rounded up


def query_read_units(read_bytes: int) -> float:
    """Read request units of one Query of a global secondary index, which reads eventually consistently: half a unit
    per 4 KB of what it returns, the sizes of the projected attributes of every entry summed and rounded up
    (docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html, "Provisioned throughput considerations"), and
    half a unit however little it returns (read-write-operations.html in the same guide)."""
    return 0.5 * max(1, math.ceil(read_bytes / READ_UNIT_BYTES))


def batch_get_read_units(item_bytes: list[int]) -> float:
    """Read request units of a strongly consistent BatchGetItem: one per 4 KB of each item, each rounded up on its
    own, as each were a GetItem (read-write-operations.html)."""
    return float(sum(max(1, math.ceil(size / READ_UNIT_BYTES)) for size in item_bytes))


def item_bytes(attributes: Mapping[str, Mapping[str, Any]]) -> int:
    """The size DynamoDB counts an item (or an index entry) at, from its typed attribute values: each attribute's
    name in UTF-8 bytes, plus a string's UTF-8 bytes, a number's byte per two significant digits and one more, a
    boolean's or a null's one byte (docs.aws.amazon.com/amazondynamodb/latest/developerguide/
    CapacityUnitCalculations.html). Other types stop the count: this service stores none."""
    size = 0
    for name, typed in attributes.items():
        [(kind, value)] = typed.items()
        size += len(name.encode())
        if kind == "S":
            size += len(str(value).encode())
        elif kind == "N":
            digits = str(value).lstrip("-").replace(".", "").strip("0") or "0"
            size += 1 + math.ceil(len(digits) / 2)
        elif kind in ("BOOL", "NULL"):
            size += 1
        else:
            raise ValueError(f"no size rule here for an attribute of type {kind} ({name})")
    return size
