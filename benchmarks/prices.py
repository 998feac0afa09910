"""Published AWS list prices used to turn request counts into money, with where each comes from.

Region us-east-1, as published on each service's pricing page in 2025. eu-west-3 (Paris) lists the same
services somewhat higher; every figure scales alike, so the ratios between configurations hold.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    item: str
    usd_per_million: float
    source: str


DYNAMODB_WRITE = Price(
    "DynamoDB on-demand write request unit", 0.625, "https://aws.amazon.com/dynamodb/pricing/on-demand/"
)
SQS_REQUEST = Price("SQS standard request (per 64 KB chunk)", 0.40, "https://aws.amazon.com/sqs/pricing/")
LAMBDA_REQUEST = Price("Lambda request", 0.20, "https://aws.amazon.com/lambda/pricing/")
SNS_PUBLISH = Price("SNS publish (per 64 KB chunk)", 0.50, "https://aws.amazon.com/sns/pricing/")
API_REQUEST = Price("API Gateway REST API request", 3.50, "https://aws.amazon.com/api-gateway/pricing/")
ALL = (DYNAMODB_WRITE, SQS_REQUEST, LAMBDA_REQUEST, SNS_PUBLISH, API_REQUEST)
