"""The webhook receiver the stack's chat channel posts to, known by its outputs: what it kept of each post.

In AWS it is the receiver stack `make test-aws` deployed (tools.webhook_receiver_stack), whose posts are read from
its table with AWS's own clients, built as the scenarios build every client; against a local stack it is the same
function on this machine (tools.local_rehearsal.LoopbackReceiver), read at its `posts_url`.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from tests.scenarios.target import Target
from tools.webhook_receiver.function import Record, record_from_item


@dataclass
class WebhookReceiver:
    outputs: dict[str, Any]
    target: Target

    def posts(self, stock_id: str) -> list[Record]:
        """Every post the receiver got for this item, with the status it answered, oldest first."""
        if "posts_url" in self.outputs:
            query = urllib.parse.urlencode({"stock_id": stock_id})
            with urllib.request.urlopen(f"{self.outputs['posts_url']}?{query}", timeout=30) as response:
                records: list[Record] = json.loads(response.read())
        else:
            # The receiver stack is deployed in the ephemeral stack's region, so the target's clients reach it.
            items = self.target.client("dynamodb").query(
                TableName=self.outputs["posts_table"],
                KeyConditionExpression="stock_id = :item",
                ExpressionAttributeValues={":item": {"S": stock_id}},
                ConsistentRead=True,
            )["Items"]
            records = [record_from_item(item) for item in items]
        return sorted(records, key=lambda record: str(record["received_at"]))
