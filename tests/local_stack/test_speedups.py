"""The embedded AWS's speed-ups change no answer: each, on its own, answers a run of DynamoDB requests exactly as moto's
own path does (status, body, the stream's records), the requests its cache could mistake included: the same
expression again with other values, on an item that has changed since, a failing parse, a binary value."""

import dataclasses
import http.client
import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from local_stack.aws.embedded_aws import EmbeddedAws, local_client
from local_stack.aws.speedups import Speedups, SpeedupSwitch

pytestmark = pytest.mark.local_stack  # starts the embedded AWS: not in `make check`

REGION = "eu-west-3"
TABLE = "{table}"  # each embedded AWS writes to a table of its own, named for it
# moto's own path, each speed-up alone, and all of them.
PATHS = {
    "moto": Speedups.none(),
    **{name: dataclasses.replace(Speedups.none(), **{name: True}) for name in Speedups().names()},
    "all": Speedups(),
}
SET_LEVEL = "SET stock_level = :level, level_as_of = :as_of"
NEWER = "attribute_not_exists(level_as_of) OR level_as_of < :as_of"


def _update(stock_id: str, level: int, as_of: str, **more: Any) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "Key": {"stock_id": {"S": stock_id}},
        "UpdateExpression": SET_LEVEL,
        "ConditionExpression": NEWER,
        "ExpressionAttributeValues": {":level": {"N": str(level)}, ":as_of": {"S": as_of}},
        "ReturnValues": "ALL_OLD",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        **more,
    }


def _plain_update(stock_id: str, expression: str, **names: str) -> dict[str, Any]:
    """An update that moto's validators refuse or take, each on its own: no condition to answer first, and only the
    values it names (DynamoDB refuses a value given and not used before anything else)."""
    values = {":level": {"N": "2"}, ":id": {"S": "Z"}}
    return {
        "TableName": TABLE,
        "Key": {"stock_id": {"S": stock_id}},
        "UpdateExpression": expression,
        "ExpressionAttributeValues": {name: value for name, value in values.items() if name in expression},
        **({"ExpressionAttributeNames": names} if names else {}),
        "ReturnValues": "ALL_NEW",
    }


def _typed_update(stock_id: str, as_of: dict[str, str]) -> dict[str, Any]:
    return {**_update(stock_id, 1, "x"), "ExpressionAttributeValues": {":level": {"N": "1"}, ":as_of": as_of}}


def _checked_update(condition: str, **values: dict[str, str]) -> dict[str, Any]:
    """An update of item E under a condition of its own, with the values it names besides the update's."""
    update = _update("E", 3, "2024-05-03T10:00:00Z", ConditionExpression=condition)
    return {**update, "ExpressionAttributeValues": {**update["ExpressionAttributeValues"], **values}}


# Conditions parsed with stand-ins for their values, each refused on item E (its level 2, its time a string of 2024),
# then a value named twice (applied), and a value not given.
STAND_INS: list[tuple[str, dict[str, Any]]] = [
    ("UpdateItem", _checked_update("stock_level IN (:low, :high)", **{":low": {"N": "5"}, ":high": {"N": "6"}})),
    ("UpdateItem", _checked_update("stock_level BETWEEN :low AND :high", **{":low": {"N": "5"}, ":high": {"N": "6"}})),
    ("UpdateItem", _checked_update("begins_with(level_as_of, :year)", **{":year": {"S": "2023"}})),
    ("UpdateItem", _checked_update("contains(level_as_of, :n)", **{":n": {"N": "7"}})),
    ("UpdateItem", _checked_update("attribute_type(stock_level, :type)", **{":type": {"S": "S"}})),
    ("UpdateItem", _checked_update("level_as_of < :as_of OR level_as_of = :as_of")),
    ("UpdateItem", _checked_update("level_as_of < :missing")),
]

# Updates that each of moto's walks of an update expression's tree refuses, in the order moto walks them, and two
# that they take: a nested path and an element of a list removed.
WALKED: list[tuple[str, dict[str, Any]]] = [
    ("UpdateItem", _plain_update("A", "SET stock_level = :level SET level_as_of = :level")),  # two SET clauses
    ("UpdateItem", _plain_update("A", "SET stock_level = :level, stock_level = :level")),  # a path set twice
    ("UpdateItem", _plain_update("A", "SET dims = :level, dims.width = :level")),  # a path inside another
    ("UpdateItem", _plain_update("A", "SET #n = :level, stock_level = :level", **{"#n": "stock_level"})),  # by name
    ("UpdateItem", _plain_update("A", "REMOVE tags REMOVE dims")),  # two REMOVE clauses
    ("UpdateItem", _plain_update("A", "ADD seen :level ADD hits :level")),  # two ADD clauses
    ("UpdateItem", _plain_update("A", "SET #key = :id", **{"#key": "stock_id"})),  # the table's key
    ("UpdateItem", _plain_update("A", "SET stock_level = :nothing + :level")),  # a value not given
    ("UpdateItem", _plain_update("A", "SET #nothing = :level")),  # a name not given
    ("UpdateItem", _plain_update("A", "SET stock_level = no_such_field + :level")),  # a field the item lacks
    ("UpdateItem", _plain_update("A", "SET stock_level = level_as_of + :level")),  # a string plus a number
    ("UpdateItem", _plain_update("A", "SET dims.width = :level")),  # into a map the item lacks
    ("UpdateItem", _plain_update("A", "SET dims = :level")),
    ("UpdateItem", _plain_update("A", "SET stock_level = stock_level - :level REMOVE tags[0]")),
]

# (operation, request): what an importer, the stream's function and a careless client send, in order.
REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("UpdateItem", _update("A", 5, "2024-05-01T10:00:00Z")),  # a new item
    ("UpdateItem", _update("A", 4, "2024-05-01T09:00:00Z")),  # same texts, older: refused, the item returned
    ("UpdateItem", _update("A", 3, "2024-05-01T11:00:00Z")),  # same texts, newer: applied (no verdict kept)
    ("UpdateItem", _update("A", 3, "2024-05-01T11:00:00Z")),  # the very same request: now refused
    ("UpdateItem", _update("B", 0, "2024-05-01T10:00:00Z")),
    (
        "UpdateItem",
        {
            "TableName": TABLE,
            "Key": {"stock_id": {"S": "A"}},
            "UpdateExpression": "SET #n = if_not_exists(#n, :zero) + :one, tags = list_append(if_not_exists(tags, "
            ":empty), :tag) REMOVE stale ADD seen :one",
            "ConditionExpression": "size(level_as_of) > :width AND stock_level BETWEEN :low AND :high",
            "ExpressionAttributeNames": {"#n": "count"},
            "ExpressionAttributeValues": {
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":empty": {"L": []},
                ":tag": {"L": [{"S": "x"}]},
                ":width": {"N": "3"},
                ":low": {"N": "0"},
                ":high": {"N": "10"},
            },
            "ReturnValues": "UPDATED_NEW",
        },
    ),
    (
        "UpdateItem",
        {
            "TableName": TABLE,
            "Key": {"stock_id": {"S": "B"}},
            "UpdateExpression": "SET photo = :photo",
            "ConditionExpression": "attribute_not_exists(photo) OR photo <> :photo",
            "ExpressionAttributeValues": {":photo": {"B": "AAEC"}},
            "ReturnValues": "ALL_NEW",
        },
    ),
    # The same condition with its value of another type: a stand-in's parse is kept per type, not shared. The item
    # holds its time as a number: compared with a greater number (applied), a string (moto fails: a 500 on every
    # path), a smaller number (refused).
    ("UpdateItem", _typed_update("E", {"N": "7"})),
    ("UpdateItem", _typed_update("E", {"N": "10"})),
    ("UpdateItem", _typed_update("E", {"S": "10"})),
    ("UpdateItem", _typed_update("E", {"N": "3"})),
    (
        "UpdateItem",
        {
            **_update("E", 2, "2024-05-02T10:00:00Z"),
            "ConditionExpression": "stock_level IN (:low, :level) AND begins_with(stock_id, :id) AND "
            "attribute_type(level_as_of, :type)",
            "ExpressionAttributeValues": {
                ":level": {"N": "2"},
                ":as_of": {"S": "2024-05-02T10:00:00Z"},
                ":low": {"N": "1"},
                ":id": {"S": "E"},
                ":type": {"S": "N"},
            },
        },
    ),
    *STAND_INS,
    *WALKED,
    ("UpdateItem", {**_update("C", 1, "2024-05-01T10:00:00Z"), "UpdateExpression": "SET stock_level = = :level"}),
    ("UpdateItem", {**_update("C", 1, "2024-05-01T10:00:00Z"), "ConditionExpression": "level_as_of <"}),
    ("UpdateItem", {**_update("C", 1, "2024-05-01T10:00:00Z"), "UpdateExpression": "SET stock_level = :level"}),
    (
        "PutItem",
        {
            "TableName": TABLE,
            "Item": {"stock_id": {"S": "D"}, "stock_level": {"N": "2"}},
            "ConditionExpression": "attribute_not_exists(stock_id)",
        },
    ),
    (
        "PutItem",
        {
            "TableName": TABLE,
            "Item": {"stock_id": {"S": "D"}, "stock_level": {"N": "9"}},
            "ConditionExpression": "attribute_not_exists(stock_id)",
        },
    ),
    ("GetItem", {"TableName": TABLE, "Key": {"stock_id": {"S": "A"}}, "ConsistentRead": True}),
    (
        "Scan",
        {
            "TableName": TABLE,
            "FilterExpression": "stock_level <= :level",
            "ExpressionAttributeValues": {":level": {"N": "3"}},
        },
    ),
    (
        "Query",
        {
            "TableName": TABLE,
            "KeyConditionExpression": "stock_id = :id",
            "ExpressionAttributeValues": {":id": {"S": "A"}},
        },
    ),
    (
        "DeleteItem",
        {
            "TableName": TABLE,
            "Key": {"stock_id": {"S": "B"}},
            "ConditionExpression": "stock_level > :level",
            "ExpressionAttributeValues": {":level": {"N": "0"}},
        },
    ),
    ("DeleteItem", {"TableName": TABLE, "Key": {"stock_id": {"S": "D"}}, "ReturnValues": "ALL_OLD"}),
    ("GetItem", {"TableName": "no-such-table", "Key": {"stock_id": {"S": "A"}}}),
    ("DescribeContributorInsights", {"TableName": TABLE}),  # an operation moto's handler has no function for
]


@pytest.fixture(scope="module")
def embedded() -> Iterator[dict[str, EmbeddedAws]]:
    # moto keeps one state per process and each start empties it: every embedded AWS starts before any table exists.
    servers = {name: EmbeddedAws("127.0.0.1", 0, REGION, speedups) for name, speedups in PATHS.items()}
    for server in servers.values():
        server.start()
    for name, server in servers.items():
        local_client("dynamodb", server.url, REGION).create_table(
            TableName=f"levels-{name}",
            KeySchema=[{"AttributeName": "stock_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "stock_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
    yield servers
    for server in servers.values():
        server.stop()


# One client connection per embedded AWS, kept for all of its requests, as an SDK keeps its connections; and the
# client ports each one used (one per TCP connection).
_CONNECTIONS: dict[str, http.client.HTTPConnection] = {}
PORTS_USED: dict[str, set[int]] = {}


def send(server: EmbeddedAws, name: str, target: str, request: dict[str, Any]) -> tuple[int, str, str]:
    """Status, content type and body of a raw request, this server's table named as the first one's: the body as
    sent, so that a number of another type or a member in another order counts as a difference."""
    body = json.dumps(request).replace(TABLE, f"levels-{name}").encode()
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": target,
        "Authorization": f"AWS4-HMAC-SHA256 Credential=local/20240501/{REGION}/dynamodb/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-amz-target, Signature=0",
    }
    host, port = server.url.removeprefix("http://").split(":")
    connection = _CONNECTIONS.setdefault(name, http.client.HTTPConnection(host, int(port), timeout=30))
    connection.request("POST", "/", body=body, headers=headers)
    PORTS_USED.setdefault(name, set()).add(connection.sock.getsockname()[1])
    response = connection.getresponse()
    status, content_type, answer = response.status, response.headers["Content-Type"], response.read()
    return status, content_type, answer.decode().replace(f"levels-{name}", TABLE)


def stream_records(server: EmbeddedAws, name: str) -> list[dict[str, Any]]:
    """The table's stream in order, without what differs by nature from one stream to another: ids, times, and what
    moto derives from them (a sequence number counts from the shard's creation, the size includes it)."""
    dynamodb = local_client("dynamodb", server.url, REGION)
    streams = local_client("dynamodbstreams", server.url, REGION)
    arn = dynamodb.describe_table(TableName=f"levels-{name}")["Table"]["LatestStreamArn"]
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
    _, _, body = send(
        server,
        name,
        "DynamoDBStreams_20120810.GetRecords",
        {"ShardIterator": iterator["ShardIterator"], "Limit": 100},
    )
    page = json.loads(body)
    for record in page["Records"]:
        images = record["dynamodb"]
        del record["eventID"], images["SequenceNumber"]
        images["ApproximateCreationDateTime"] = type(images["ApproximateCreationDateTime"]).__name__
        images["SizeBytes"] = type(images["SizeBytes"]).__name__
    return list(page["Records"])


@pytest.fixture(scope="module")
def answers(embedded) -> dict[str, list[tuple[int, str, str]]]:
    """Each path's answers to the requests, sent in turn to each embedded AWS, request by request."""
    every: dict[str, list[tuple[int, str, str]]] = {name: [] for name in embedded}
    for operation, request in REQUESTS:
        for name, server in embedded.items():
            every[name].append(send(server, name, f"DynamoDB_20120810.{operation}", request))
    return every


@pytest.mark.parametrize("path", [name for name in PATHS if name != "moto"])
def test_a_speedup_answers_every_request_as_moto_does(answers, path):
    for (operation, request), ours, motos in zip(REQUESTS, answers[path], answers["moto"], strict=True):
        assert ours == motos, (operation, request)


def test_the_requests_reach_every_answer_they_are_meant_to(answers):
    statuses = [status for status, _, _ in answers["moto"]]
    codes = [re.sub(r'.*"__type": "[^"]*#(\w+)".*', r"\1", body) for _, _, body in answers["moto"]]
    assert statuses.count(200) >= 10
    # An older update, the very same one again, a smaller number than the item's time, the five conditions with
    # stand-ins that item E fails, a second put, a delete whose condition fails.
    assert codes.count("ConditionalCheckFailedException") == 4 + 1 + 5
    # An update expression that does not parse, and the eleven refused by a walk of its tree (a name not given is a
    # 500 in moto, on every path).
    assert codes.count("ValidationException") == 1 + 11
    # A number compared with a string, a value not given, a name not given, a condition that does not parse, an
    # operation moto's handler lacks: moto fails on each, whichever path.
    assert statuses.count(500) == 5
    assert "ResourceNotFoundException" in codes


def test_a_client_s_requests_share_one_connection_where_it_is_kept_alive(answers):
    assert {name: len(PORTS_USED[name]) for name in PATHS} == {
        name: 1 if speedups.keep_alive else len(REQUESTS) for name, speedups in PATHS.items()
    }


@pytest.mark.parametrize("path", [name for name in PATHS if name != "moto"])
def test_a_speedup_leaves_the_stream_moto_leaves(embedded, answers, path):
    assert stream_records(embedded[path], path) == stream_records(embedded["moto"], "moto")


def test_the_embedded_aws_uses_the_speedups_it_is_given_and_all_by_default(embedded):
    for name, server in embedded.items():
        switch = server.layers[0]
        assert isinstance(switch, SpeedupSwitch)
        assert switch.speedups == PATHS[name]
        lock = server.dynamodb_lock._lock
        assert isinstance(lock, threading.Semaphore if PATHS[name].runnable_lock else type(threading.Lock()))
    assert Speedups().names() == [
        "parsed_expressions",
        "direct_dynamodb",
        "json_answers",
        "expression_walks",
        "keep_alive",
        "runnable_lock",
    ]
    assert Speedups.none().names() == []
