"""The webhook receiver's function, behind a function URL: it answers as a chat's incoming webhook does and keeps
every post with the answer it gave, so that the scenarios can read what the chat channel sent.

    POST /hook     200 "ok"; 404 "channel_not_found" to an alert for an item whose id ends with REFUSED_SUFFIX
                   (Slack's answer for a deleted channel: a refusal for good, so the alert goes straight to the
                   channel's dead letters); 400 "invalid_payload" or "no_text" to a body a chat would refuse
    POST others    404 "no_service" (Slack's answer for a revoked webhook)

The refusal is decided per item, not per URL, so that a scenario gets one refused alert without changing the URL
the stack's secret holds, which every alert in flight would then meet. Each post is kept as a record
(stock_id, request_id, path, status, text, received_at); the function URL hands it over as payload 2.0
(docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html, "Request payload format").
"""

from __future__ import annotations

import base64
import functools
import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3

HOOK_PATH = "/hook"
REFUSED_SUFFIX = "-refused"
POSTS_TABLE_VARIABLE = "POSTS_TABLE"
NO_ITEM = "-"  # the record's key when a post names no item: DynamoDB refuses an empty string as a key

Record = dict[str, Any]
Keep = Callable[[Record], None]


def answer(path: str, payload: object) -> tuple[int, str]:
    """The status and body a chat's incoming webhook would answer to this post."""
    if path != HOOK_PATH:
        return 404, "no_service"
    if not isinstance(payload, dict):
        return 400, "invalid_payload"
    if not payload.get("text"):
        return 400, "no_text"
    if str(payload.get("stock_id", "")).endswith(REFUSED_SUFFIX):
        return 404, "channel_not_found"
    return 200, "ok"


def respond(event: Mapping[str, Any], keep: Keep) -> dict[str, Any]:
    """The function URL's response to one request; each POST is kept with the status it got."""
    http = event["requestContext"]["http"]
    if http["method"] != "POST":
        return _response(405, "method_not_allowed")
    payload = _payload(event)
    status, body = answer(event["rawPath"], payload)
    item = str(payload.get("stock_id") or NO_ITEM) if isinstance(payload, dict) else NO_ITEM
    text = str(payload.get("text", "")) if isinstance(payload, dict) else ""
    received_at = datetime.fromtimestamp(event["requestContext"]["timeEpoch"] / 1000, UTC).isoformat()
    keep(
        {
            "stock_id": item,
            "request_id": event["requestContext"]["requestId"],
            "path": event["rawPath"],
            "status": status,
            "text": text,
            "received_at": received_at,
        }
    )
    return _response(status, body)


def _payload(event: Mapping[str, Any]) -> object:
    """The JSON body, or None if there is none or it is not JSON. A function URL base64-encodes a body it does not
    take for text (isBase64Encoded)."""
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    try:
        decoded: object = json.loads(raw)
    except ValueError:
        return None
    return decoded


def _response(status: int, body: str) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "text/plain"}, "body": body}


@functools.cache
def _dynamodb() -> Any:
    return boto3.client("dynamodb")


def keep_in_table(record: Record) -> None:
    """Store one record in the receiver's table (POSTS_TABLE)."""
    item = {name: {"N": str(value)} if name == "status" else {"S": str(value)} for name, value in record.items()}
    _dynamodb().put_item(TableName=os.environ[POSTS_TABLE_VARIABLE], Item=item)


def record_from_item(item: Mapping[str, Any]) -> Record:
    """A record as the table holds it (attribute values typed), as `respond` made it."""
    return {name: int(value["N"]) if "N" in value else value["S"] for name, value in item.items()}


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return respond(event, keep_in_table)
