"""The stock table's parts that a test adds to the emulated account's table, as the program declares them."""

from __future__ import annotations

from typing import Any


def add_low_items_index(client: Any, table_name: str) -> None:
    """The index the program declares on the stock table, added as AWS adds one to a table in use."""
    client.update_table(
        TableName=table_name,
        AttributeDefinitions=[
            {"AttributeName": "stock_id", "AttributeType": "S"},
            {"AttributeName": "low_list_shard", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "low-items",
                    "KeySchema": [
                        {"AttributeName": "low_list_shard", "KeyType": "HASH"},
                        {"AttributeName": "stock_id", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )
