"""Published AWS list prices used to turn request counts into money, with where each comes from; and the cost of
a run's measured requests at those prices.

Region us-east-1, as published on each service's pricing page in 2025. The stacks run in eu-west-3 (Paris),
whose list prices differ: the costs here are us-east-1's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchmarks.end_to_end import BATCH, CLAIM, PUBLISH, Run, invocations

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
ALL = (
    DYNAMODB_WRITE,
    SQS_REQUEST,
    LAMBDA_REQUEST,
    SNS_PUBLISH,
    SNS_TO_SQS_DELIVERY,
    API_REQUEST,
    HTTP_API_REQUEST,
    SECRETS_MANAGER_REQUEST,
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

    The original is billed as it ran: a Publish for every update at or below the threshold, no alert records, and
    no invocations of `left_out_functions` (it had no notifier function)."""
    sqs = run.requests.get("sqs:SendMessage", 0) + billed_batch_requests(run)
    sqs += sum(
        run.requests.get(op, 0)
        for op in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:DeleteMessageBatch", "sqs:GetQueueAttributes")
    )
    alerts = run.requests.get(PUBLISH, 0)
    writes = run.requests.get("dynamodb:UpdateItem", 0) + run.requests.get(CLAIM, 0)
    if original:  # each alert's claim and sent mark are ours; the original kept no record of alerts
        writes -= 2 * alerts
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
