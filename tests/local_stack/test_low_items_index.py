"""The list of low items' index in the local stack: built on the table as the program declares it, and guarded as
IAM guards an index (a query of it is authorised on the index's ARN, not the table's)."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pulumi
import pytest
from botocore.exceptions import ClientError

from adapters.outbound.dynamodb_low_stock_list import DynamoDbLowStockList
from adapters.outbound.dynamodb_stock_repository import DynamoDbStockRepository
from domain.stock import StockUpdate
from harness.fake_cloud import configured_stack
from local_stack.aws.embedded_aws import EmbeddedAws, local_client
from local_stack.aws.iam_policies import Identity
from local_stack.local_cloud import LocalCloud

pytestmark = pytest.mark.local_stack  # starts the embedded AWS: not in `make check`

REGION = "eu-west-3"
TABLE = "stock-levels"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:123456789012:table/{TABLE}"


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    aws = EmbeddedAws("127.0.0.1", 0, REGION)
    aws.start()
    yield aws
    aws.stop()


@pytest.fixture(scope="module")
def table(aws):
    """The stock table built by the local stack from the program's own declaration of it (dev's)."""
    declared = configured_stack("dev").named(TABLE).inputs
    cloud = LocalCloud(aws.url, REGION, "http://127.0.0.1:9")
    cloud.new_resource(pulumi.runtime.MockResourceArgs("aws:dynamodb/table:Table", TABLE, declared, custom=True))
    admin = local_client("dynamodb", aws.url, REGION)
    repository = DynamoDbStockRepository(admin, TABLE)
    low_list = DynamoDbLowStockList(admin, TABLE)
    for stock_id in ("A1", "B7"):
        repository.apply(StockUpdate(stock_id, level=0, as_of=datetime(2024, 5, 1, tzinfo=UTC)), 1)
        item = repository.get(stock_id)
        assert item is not None
        low_list.list_as_low(item, True)
    return admin


def function_client(aws, access_key, *statements):
    """A client signed as a function whose role's policy holds `statements`."""
    policy = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    aws.iam.register(access_key, Identity(f"arn:aws:iam::123456789012:role/{access_key}", access_key, (policy,)))
    return boto3.session.Session().client(
        "dynamodb",
        endpoint_url=aws.url,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key="local",
    )


def test_the_declared_table_has_the_low_items_index_keyed_by_shard_then_id(table):
    [index] = table.describe_table(TableName=TABLE)["Table"]["GlobalSecondaryIndexes"]
    assert (index["IndexName"], index["Projection"]) == ("low-items", {"ProjectionType": "KEYS_ONLY"})
    assert index["KeySchema"] == [
        {"AttributeName": "low_list_shard", "KeyType": "HASH"},
        {"AttributeName": "stock_id", "KeyType": "RANGE"},
    ]


def test_a_function_allowed_the_table_alone_is_refused_a_query_of_its_index(aws, table):
    client = function_client(
        aws,
        "table-only",
        {"Effect": "Allow", "Action": ["dynamodb:Query", "dynamodb:BatchGetItem"], "Resource": TABLE_ARN},
    )
    with pytest.raises(ClientError) as refused:
        DynamoDbLowStockList(client, TABLE).page(None, 10)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"dynamodb:Query on resource: {TABLE_ARN}/index/low-items" in refused.value.response["Error"]["Message"]
    client.query(  # the table itself it may still query
        TableName=TABLE, KeyConditionExpression="stock_id = :id", ExpressionAttributeValues={":id": {"S": "A1"}}
    )


def test_a_function_allowed_the_index_pages_through_the_list(aws, table):
    client = function_client(
        aws,
        "index-reader",
        {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": f"{TABLE_ARN}/index/low-items"},
        {"Effect": "Allow", "Action": "dynamodb:BatchGetItem", "Resource": TABLE_ARN},
    )
    page = DynamoDbLowStockList(client, TABLE).page(None, 10)
    assert [item.stock_id for item in page.items] == ["A1", "B7"]  # shards 1 and 7
    assert page.next_position is None
