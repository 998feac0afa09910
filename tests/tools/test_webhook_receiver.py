"""The webhook receiver's function, fed function URL requests as AWS sends them (payload 2.0), its posts kept in
an emulated table; and the same function served on this machine, as the local runs use it."""

import json
import urllib.error
import urllib.request

import boto3
import pytest
from moto import mock_aws

from harness.lambda_events import function_url_event, load
from tools.local_rehearsal import LoopbackReceiver
from tools.webhook_receiver import function
from tools.webhook_receiver.function import HOOK_PATH, POSTS_TABLE_VARIABLE, REFUSED_SUFFIX


@pytest.fixture
def posts(monkeypatch):
    """The receiver's table, as its stack declares it; reads back every post kept, by item."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(
            TableName="posts",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": "stock_id", "KeyType": "HASH"},
                {"AttributeName": "request_id", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "stock_id", "AttributeType": "S"},
                {"AttributeName": "request_id", "AttributeType": "S"},
            ],
        )
        monkeypatch.setenv(POSTS_TABLE_VARIABLE, "posts")
        function._dynamodb.cache_clear()  # a client of the emulated account, not of an earlier test's

        def kept(stock_id):
            items = dynamodb.query(
                TableName="posts",
                KeyConditionExpression="stock_id = :item",
                ExpressionAttributeValues={":item": {"S": stock_id}},
                ConsistentRead=True,
            )["Items"]
            return [function.record_from_item(item) for item in items]

        yield kept
        function._dynamodb.cache_clear()


def test_an_alert_posted_to_the_hook_is_accepted_and_kept_with_its_text_and_status(posts):
    event = load("function_url_request.json")
    response = function.handler(event, None)
    assert response == {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": "ok"}
    assert posts("A000") == [
        {
            "stock_id": "A000",
            "request_id": event["requestContext"]["requestId"],
            "path": HOOK_PATH,
            "status": 200,
            "text": "Low stock: item A000 is down to 0 (alert threshold 1). Restock it.",
            "received_at": "2024-05-01T12:00:00+00:00",
        }
    ]


def test_each_post_is_kept_even_the_same_alert_twice(posts):
    for request in ("first", "second"):
        assert function.handler(function_url_event("POST", HOOK_PATH, request_id=request), None)["statusCode"] == 200
    assert sorted(record["request_id"] for record in posts("A000")) == ["first", "second"]


def test_an_alert_for_a_refused_item_is_answered_404_as_a_deleted_channel_and_kept(posts):
    item = f"A001{REFUSED_SUFFIX}"
    alert = {"text": f"Low stock: item {item} is down to 0.", "stock_id": item, "stock_level": 0}
    response = function.handler(function_url_event("POST", HOOK_PATH, alert), None)
    assert (response["statusCode"], response["body"]) == (404, "channel_not_found")
    [record] = posts(item)
    assert record["status"] == 404


def test_a_post_to_another_path_is_answered_404_as_a_revoked_webhook(posts):
    response = function.handler(function_url_event("POST", "/gone"), None)
    assert (response["statusCode"], response["body"]) == (404, "no_service")
    [record] = posts("A000")
    assert (record["path"], record["status"]) == ("/gone", 404)


def test_a_base64_encoded_body_is_read_as_the_function_url_sent_it(posts):
    alert = {"text": "Low stock: item A002 is down to 1.", "stock_id": "A002", "stock_level": 1}
    event = function_url_event("POST", HOOK_PATH, json.dumps(alert).encode())
    assert event["isBase64Encoded"] is True
    assert function.handler(event, None)["statusCode"] == 200
    assert [record["text"] for record in posts("A002")] == [alert["text"]]


@pytest.mark.parametrize(
    ("body", "answer"),
    [("not json", "invalid_payload"), ("[1, 2]", "invalid_payload"), ('{"stock_id": "A003"}', "no_text")],
)
def test_a_body_a_chat_would_refuse_is_answered_400_and_kept(posts, body, answer):
    response = function.handler(function_url_event("POST", HOOK_PATH, body), None)
    assert (response["statusCode"], response["body"]) == (400, answer)
    item = "A003" if "A003" in body else function.NO_ITEM
    assert [record["status"] for record in posts(item)] == [400]


def test_a_request_other_than_a_post_is_refused_and_not_kept(posts):
    assert function.handler(function_url_event("GET", HOOK_PATH, ""), None)["statusCode"] == 405
    assert posts("A000") == []


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_loopback_receiver_answers_as_the_function_and_lists_what_it_kept():
    receiver = LoopbackReceiver()
    outputs = {key: output.value for key, output in receiver.up().outputs.items()}
    try:
        assert outputs["url"].endswith(HOOK_PATH)
        refused = f"A001{REFUSED_SUFFIX}"
        assert post(outputs["url"], {"text": "item A000 is down to 0", "stock_id": "A000"}) == (200, "ok")
        assert post(outputs["url"], {"text": "refused", "stock_id": refused}) == (404, "channel_not_found")
        assert post(outputs["url"].replace(HOOK_PATH, "/gone"), {"text": "t", "stock_id": "A000"}) == (
            404,
            "no_service",
        )
        with urllib.request.urlopen(f"{outputs['posts_url']}?stock_id=A000", timeout=10) as response:
            kept = json.loads(response.read())
        assert [(record["path"], record["status"]) for record in kept] == [(HOOK_PATH, 200), ("/gone", 404)]
        assert [record["status"] for record in receiver.posts(refused)] == [404]
    finally:
        receiver.destroy()
