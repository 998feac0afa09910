"""The embedded DynamoDB keeps DynamoDB's write guarantees under concurrent writers, as the local stack needs."""

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models.table import Table

from adapters.dynamodb_items import item_from_attributes
from adapters.outbound.dynamodb_stock_repository import DynamoDbStockRepository
from domain.stock import Field, StockUpdate
from local_stack.aws.embedded_aws import local_client
from local_stack.aws.speedups import Speedups
from tests.local_stack.conftest import switching_often

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`

WRITERS = 8


@pytest.fixture(scope="module", params=["semaphore", "lock"])
def embedded(request):
    """The embedded AWS with DynamoDB's one lock of either kind (the `runnable_lock` speed-up on and off): each must
    keep the guarantees."""
    with switching_often(Speedups(runnable_lock=request.param == "semaphore")) as aws:
        yield aws


@pytest.fixture(scope="module")
def dynamodb(embedded):
    return embedded.url


@pytest.fixture
def client(dynamodb):
    """A client of the embedded DynamoDB with a new, empty `levels` table."""
    client = local_client("dynamodb", dynamodb, "eu-west-3")
    if "levels" in client.list_tables()["TableNames"]:
        client.delete_table(TableName="levels")
    client.create_table(
        TableName="levels",
        KeySchema=[{"AttributeName": "stock_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "stock_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return client


def save_if_newer(client, stock_id, level, as_of):
    """The repository's conditional write: only a later `as_of` replaces what is stored."""
    try:
        client.update_item(
            TableName="levels",
            Key={"stock_id": {"S": stock_id}},
            UpdateExpression="SET stock_level = :level, as_of = :as_of",
            ConditionExpression="attribute_not_exists(as_of) OR as_of < :as_of",
            ExpressionAttributeValues={":level": {"N": str(level)}, ":as_of": {"S": f"{as_of:06d}"}},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def stream_records(streams):
    [stream] = streams.list_streams(TableName="levels")["Streams"]
    shard = streams.describe_stream(StreamArn=stream["StreamArn"])["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream["StreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    while page := streams.get_records(ShardIterator=iterator, Limit=1000):
        if not page["Records"]:
            return records
        records += page["Records"]
        iterator = page["NextShardIterator"]
    return records


def test_concurrent_conditional_updates_never_let_an_older_time_win(embedded, client):
    rng = random.Random(5)
    rounds = [(f"race-{n}", rng.sample(range(1, 10_000), WRITERS)) for n in range(150)]
    before = embedded.dynamodb_lock.waits()
    with ThreadPoolExecutor(WRITERS) as pool:
        for stock_id, times in rounds:
            list(pool.map(lambda as_of, stock_id=stock_id: save_if_newer(client, stock_id, as_of, as_of), times))
    # Every write went through the one lock, and eight writers at once made some of them wait, each wait timed.
    waits = embedded.dynamodb_lock.waits() - before
    assert waits.requests >= WRITERS * len(rounds)  # a retried write counts again
    assert 0 < waits.waited < waits.requests
    assert waits.seconds > 0
    stored = {
        item["stock_id"]["S"]: int(item["stock_level"]["N"])
        for item in client.scan(TableName="levels")["Items"]
        if item["stock_id"]["S"].startswith("race-")
    }
    assert stored == {stock_id: max(times) for stock_id, times in rounds}


def test_a_scan_never_sees_an_item_holding_only_its_key(client, monkeypatch):
    store = Table.put_item

    def store_slowly(self, *args, **kwargs):  # widens moto's window between the key-only item and the SET
        stored = store(self, *args, **kwargs)
        time.sleep(0.002)
        return stored

    monkeypatch.setattr(Table, "put_item", store_slowly)
    done = threading.Event()
    key_only: list[dict[str, Any]] = []

    def scan_until_done():
        while not done.is_set():
            key_only.extend(i for i in client.scan(TableName="levels")["Items"] if "stock_level" not in i)

    scanners = [threading.Thread(target=scan_until_done) for _ in range(2)]
    for scanner in scanners:
        scanner.start()
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(lambda n: save_if_newer(client, f"scan-{n}", n, n), range(300)))
    done.set()
    for scanner in scanners:
        scanner.join()
    assert key_only == []


def test_the_stream_has_one_insert_per_new_item_and_unique_sequence_numbers(dynamodb, client):
    streams = local_client("dynamodbstreams", dynamodb, "eu-west-3")
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(lambda n: save_if_newer(client, f"stream-{n % 50}", n, n), range(200)))
    records = stream_records(streams)
    inserts = Counter(r["dynamodb"]["Keys"]["stock_id"]["S"] for r in records if r["eventName"] == "INSERT")
    assert inserts == Counter({f"stream-{n}": 1 for n in range(50)})
    assert all("stock_level" in r["dynamodb"]["NewImage"] for r in records)
    every_sequence_number = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert len(set(every_sequence_number)) == len(every_sequence_number)


# The fields each writer's update sets: one, two or all three, so that writers race on some fields and not others.
FIELD_SETS = [
    (Field.LEVEL,),
    (Field.REORDER_POINT,),
    (Field.ALERTS,),
    (Field.LEVEL, Field.REORDER_POINT),
    (Field.REORDER_POINT, Field.ALERTS),
    (Field.LEVEL, Field.REORDER_POINT, Field.ALERTS),
]
START = datetime(2024, 5, 1, tzinfo=UTC)


def written_at(second: int, fields: tuple[Field, ...], stock_id: str) -> StockUpdate:
    """An update whose every value says the time it was written at, so a stored value can be checked against its
    stored time: the level and the reorder point are the second, the alerts are on for an even second."""
    values: dict[str, Any] = {"level": second, "reorder_point": second, "low_stock_alerts": second % 2 == 0}
    names = {Field.LEVEL: "level", Field.REORDER_POINT: "reorder_point", Field.ALERTS: "low_stock_alerts"}
    chosen = {names[field]: values[names[field]] for field in fields}
    return StockUpdate(stock_id, as_of=START + timedelta(seconds=second), **chosen)


def time_of(update: StockUpdate) -> datetime:
    assert update.as_of is not None
    return update.as_of


def holds_its_times(item) -> bool:
    """Every field's value is the one its stored time was written with: no write was seen half-done."""
    seconds = {field: (item.version(field) - START).total_seconds() for field in Field if item.version(field)}
    return (
        (item.level is None or item.level.value == seconds[Field.LEVEL])
        and (item.reorder_point is None or item.reorder_point.value == seconds[Field.REORDER_POINT])
        and (item.low_stock_alerts is None or item.low_stock_alerts.value == (seconds[Field.ALERTS] % 2 == 0))
    )


def test_concurrent_updates_of_several_fields_keep_each_fields_newest_in_whole_writes(dynamodb, client):
    repository = DynamoDbStockRepository(client, "levels")
    rng = random.Random(11)
    rounds = [
        [written_at(second, rng.choice(FIELD_SETS), f"fields-{n}") for second in rng.sample(range(1, 10_000), WRITERS)]
        for n in range(60)
    ]
    partly_stale = 0
    with ThreadPoolExecutor(WRITERS) as pool:
        for updates in rounds:
            outcomes = list(pool.map(lambda update: repository.apply(update, 1), updates))
            for outcome, update in zip(outcomes, updates, strict=True):
                assert outcome.applied | outcome.stale == update.fields
                partly_stale += bool(outcome.applied and outcome.stale)
    assert partly_stale > 0  # updates written again without their stale fields, while others wrote
    for updates in rounds:
        item = repository.get(updates[0].stock_id)
        assert item is not None
        newest = {
            field: max(time_of(update) for update in updates if field in update.fields)
            for field in Field
            if any(field in update.fields for update in updates)
        }
        assert {field: item.version(field) for field in Field if item.version(field)} == newest
        assert holds_its_times(item)
    streams = local_client("dynamodbstreams", dynamodb, "eu-west-3")
    images = [item_from_attributes(r["dynamodb"]["NewImage"]) for r in stream_records(streams)]
    assert len(images) >= len(rounds)
    assert [image for image in images if not holds_its_times(image)] == []


def test_the_items_holding_an_attribute_are_counted_as_a_scan_counts_them_while_writers_write(embedded, client):
    for n in range(30):
        save_if_newer(client, f"S{n}", n, 1)
    client.put_item(TableName="levels", Item={"stock_id": {"S": "KEY-ONLY"}})

    def scanned(attribute: str) -> int:
        return int(
            client.scan(
                TableName="levels",
                Select="COUNT",
                FilterExpression="attribute_exists(#a)",
                ExpressionAttributeNames={"#a": attribute},
            )["Count"]
        )

    with ThreadPoolExecutor(WRITERS) as pool:  # counts made while others write: under DynamoDB's one lock
        writes = [pool.submit(save_if_newer, client, f"W{n}", n, 1) for n in range(200)]
        counts = [embedded.items_holding("levels", "as_of") for _ in range(20)]
        for write in writes:
            write.result()
    assert all(30 <= count <= 230 for count in counts)
    assert counts == sorted(counts)
    for attribute in ("as_of", "stock_id", "no_such_attribute"):
        assert embedded.items_holding("levels", attribute) == scanned(attribute)
    assert scanned("as_of") == 230
    assert scanned("stock_id") == 231


def test_the_items_are_counted_under_dynamodb_s_one_lock_so_never_mid_write(embedded, client):
    save_if_newer(client, "A", 1, 1)
    counted: list[int] = []
    lock = embedded.dynamodb_lock._lock
    with lock:  # as a request being served holds it
        counting = threading.Thread(target=lambda: counted.append(embedded.items_holding("levels", "as_of")))
        counting.start()
        counting.join(timeout=0.5)
        assert counting.is_alive()
        assert counted == []
    counting.join(timeout=30)
    assert counted == [1]
