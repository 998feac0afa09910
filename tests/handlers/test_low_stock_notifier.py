from dataclasses import replace

import pytest

from adapters.outbound.dynamodb_low_stock_list import shard_of
from handlers import low_stock_notifier
from handlers.aws import EntryPoint
from handlers.settings import NotifierSettings, ReorderDefault
from harness.lambda_events import item_image, item_stream_event, load, stream_event
from tests.handlers.lambda_context import Context


@pytest.fixture
def handler(notifier_settings, clients):
    return low_stock_notifier.build(notifier_settings, clients)


def alerts(account):
    return [message["Body"] for message in account.drain(account.alert_inbox_url)]


def test_crossings_in_the_documented_stream_are_notified(deployed, handler):
    assert handler(load("dynamodb_stream.json"), None) == {"batchItemFailures": []}
    assert alerts(deployed) == [
        "Low stock: item A111 is down to 1 (the default reorder point is 1). Restock it.",
        "Low stock: item B222 is down to 0 (the default reorder point is 1). Restock it.",
    ]


def test_changes_that_stay_low_or_high_send_nothing(deployed, handler):
    handler(stream_event(("A1", 1, 0), ("A2", 9, 5), ("A3", 0, None)), None)
    assert alerts(deployed) == []


def test_the_default_of_an_item_stored_without_one_comes_from_the_settings(deployed, notifier_settings, clients):
    handler = low_stock_notifier.build(replace(notifier_settings, reorder_default=ReorderDefault(value=5)), clients)
    handler(stream_event(("A1", 9, 5)), None)
    assert alerts(deployed) == ["Low stock: item A1 is down to 5 (the default reorder point is 5). Restock it."]


def test_a_failed_publish_stops_the_batch_and_resumes_at_that_record(deployed, notifier_settings, clients):
    handler = low_stock_notifier.build(replace(notifier_settings, topic_arn=deployed.topic_arn + "-gone"), clients)
    response = handler(stream_event(("A1", 9, 1), ("A2", 9, 0)), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "100"}]}


def test_after_a_failed_publish_the_retry_delivers_the_alert(deployed, clients, handler, mocker):
    real_publish = clients.sns.publish
    mocker.patch.object(clients.sns, "publish", side_effect=[ConnectionError("down"), real_publish])
    event = stream_event(("A1", 9, 1))
    assert handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "100"}]}
    mocker.patch.object(clients.sns, "publish", side_effect=real_publish)
    assert handler(event, None) == {"batchItemFailures": []}
    assert alerts(deployed) == ["Low stock: item A1 is down to 1 (the default reorder point is 1). Restock it."]


def test_a_batch_delivered_again_after_a_crash_sends_no_alert_twice(deployed, clients, handler, mocker):
    event = stream_event(("A1", 9, 1), ("A2", 9, 0))
    real_publish = clients.sns.publish
    # The first invocation sends A1's alert, then dies while sending A2's: Lambda delivers the batch again.
    calls = []

    def publish_then_die(**request):
        calls.append(request)
        if len(calls) == 2:
            raise SystemExit("the runtime died")
        return real_publish(**request)

    mocker.patch.object(clients.sns, "publish", side_effect=publish_then_die)
    with pytest.raises(SystemExit):
        handler(event, None)
    mocker.patch.object(clients.sns, "publish", side_effect=real_publish)
    # A1 is skipped; A2 is still held by the dead attempt, so the stream retries from it later.
    assert handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "200"}]}
    deployed.dynamodb.update_item(  # the dead attempt's hold runs out (one function time-out)
        TableName="sent-alerts",
        Key={"change_id": {"S": "A2-2-9-0"}},
        UpdateExpression="SET held_until = :past",
        ExpressionAttributeValues={":past": {"N": "0"}},
    )
    assert handler(event, None) == {"batchItemFailures": []}
    assert alerts(deployed) == [
        "Low stock: item A1 is down to 1 (the default reorder point is 1). Restock it.",
        "Low stock: item A2 is down to 0 (the default reorder point is 1). Restock it.",
    ]


def test_the_alert_names_its_change_so_that_each_channel_sends_it_once(deployed, handler):
    handler(stream_event(("A1", 9, 1)), None)
    [message] = deployed.drain(deployed.alert_inbox_url)
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes == {
        "alert_id": "A1-1-9-1",
        "stock_id": "A1",
        "stock_level": "1",
        "reorder_point": "1",
        "reorder_point_source": "default",
        "threshold": "1",
    }


def test_the_stream_function_knows_no_channel_but_the_topic(deployed, notifier_settings, monkeypatch):
    """A chat webhook down, missing or misconfigured cannot hold back the stream: it is not reached from here."""
    for name, value in notifier_settings.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ALERT_WEBHOOK_SECRET_ARN", "arn:aws:secretsmanager:eu-west-3:123456789012:secret:gone")
    handler = EntryPoint(low_stock_notifier.build, NotifierSettings)  # as Lambda runs it, from the environment
    assert handler(stream_event(("A1", 9, 1)), None) == {"batchItemFailures": []}
    assert len(alerts(deployed)) == 1


def test_a_removal_does_not_end_the_batch(deployed, handler):
    assert handler(stream_event(("A3", 0, None), ("A1", 9, 1)), None) == {"batchItemFailures": []}
    assert alerts(deployed) == ["Low stock: item A1 is down to 1 (the default reorder point is 1). Restock it."]


def test_each_alert_published_is_logged_with_its_item_and_level(deployed, handler, logs):
    handler(stream_event(("A1", 9, 1), ("A2", 5, 4), ("A3", 9, 0)), None)
    published = {"reorder_point": 1, "reorder_point_source": "default"}
    assert logs() == [
        ("INFO", "low-stock alert published", {"stock_id": "A1", "stock_level": 1, **published}),
        ("INFO", "low-stock alert published", {"stock_id": "A3", "stock_level": 0, **published}),
    ]


def test_a_failed_publish_is_logged_with_its_error_and_the_record_the_stream_resumes_from(
    deployed, clients, handler, mocker, logs
):
    mocker.patch.object(clients.sns, "publish", side_effect=ConnectionError("network down"))
    handler(stream_event(("A1", 9, 1)), None)
    assert logs() == [
        (
            "ERROR",
            "change not handled; the stream will retry from this record: ConnectionError: network down",
            {"sequence_number": "100"},
        )
    ]


def test_the_record_the_stream_resumes_from_is_logged_when_time_runs_out(deployed, handler, logs):
    handler(stream_event(("A1", 9, 1), ("A2", 9, 0)), Context(900))
    assert logs() == [
        ("WARNING", "time is running out; the stream will resume from this record", {"sequence_number": "100"})
    ]


# --- Items with their own reorder points and alert switches, and the list of low items.

LATER = "2024-05-01T12:00:01.000000Z"


def stored_as(deployed, image):
    """The item in the table as the write that made the stream record left it."""
    deployed.dynamodb.put_item(TableName=deployed.table_name, Item=image)
    return image


def test_an_item_whose_own_reorder_point_is_raised_above_its_level_is_alerted_naming_that_point(deployed, handler):
    old = item_image("A1", 4, default_reorder_point=1)
    new = item_image("A1", 4, reorder_point=5, reorder_point_as_of=LATER, default_reorder_point=1)
    handler(item_stream_event((old, stored_as(deployed, new))), None)
    assert alerts(deployed) == ["Low stock: item A1 is down to 4 (its reorder point is 5). Restock it."]


def test_a_low_item_with_its_alerts_off_is_not_alerted_until_they_are_turned_back_on(deployed, handler):
    off = item_image("A1", 0, low_stock_alerts=False, default_reorder_point=1)
    handler(item_stream_event((item_image("A1", 9, default_reorder_point=1), off)), None)
    assert alerts(deployed) == []
    on = item_image("A1", 0, default_reorder_point=1) | {
        "low_stock_alerts": {"BOOL": True},
        "low_stock_alerts_as_of": {"S": LATER},
    }
    handler(item_stream_event((off, on)), None)
    assert alerts(deployed) == ["Low stock: item A1 is down to 0 (the default reorder point is 1). Restock it."]


def test_the_default_written_with_an_item_is_its_reorder_point_whatever_this_function_s_default(deployed, handler):
    old = item_image("A1", 9, default_reorder_point=5)
    handler(item_stream_event((old, item_image("A1", 5, as_of=LATER, default_reorder_point=5))), None)
    assert alerts(deployed) == ["Low stock: item A1 is down to 5 (the default reorder point is 5). Restock it."]


def test_an_item_that_becomes_low_is_listed_and_one_that_stops_being_low_is_taken_off(deployed, handler):
    low = stored_as(deployed, item_image("A1", 1, default_reorder_point=1))
    handler(item_stream_event((item_image("A1", 9, default_reorder_point=1), low)), None)
    assert deployed.stored("A1")["low_list_shard"] == {"S": shard_of("A1")}
    listed = deployed.stored("A1")
    restocked = stored_as(
        deployed, item_image("A1", 9, as_of=LATER, default_reorder_point=1, low_list_shard=shard_of("A1"))
    )
    handler(item_stream_event((listed, restocked)), None)
    assert "low_list_shard" not in deployed.stored("A1")


def test_a_record_whose_only_change_is_the_list_mark_neither_alerts_nor_writes(deployed, clients, handler, mocker):
    """The stream's own mark comes back as a record of the stream: reacting to it would be a write per write."""
    unmarked = item_image("A1", 0, default_reorder_point=1)
    marked = stored_as(deployed, unmarked | {"low_list_shard": {"S": shard_of("A1")}})
    writes = [mocker.spy(clients.dynamodb, name) for name in ("update_item", "put_item", "delete_item")]
    publish = mocker.spy(clients.sns, "publish")
    assert handler(item_stream_event((unmarked, marked), (marked, unmarked)), None) == {"batchItemFailures": []}
    assert [spy.call_count for spy in writes] == [0, 0, 0]
    assert publish.call_count == 0
    assert alerts(deployed) == []


def test_a_mark_left_by_a_state_the_item_no_longer_has_is_not_written(deployed, handler):
    """The item changed again before this record was handled: the later record sets its place right."""
    stored_as(deployed, item_image("A1", 9, as_of=LATER, default_reorder_point=1))
    handler(
        item_stream_event((item_image("A1", 9, default_reorder_point=1), item_image("A1", 0, default_reorder_point=1))),
        None,
    )
    assert "low_list_shard" not in deployed.stored("A1")
    assert len(alerts(deployed)) == 1  # the alert of the crossing is due all the same


def test_a_failed_list_write_stops_the_batch_at_its_record_and_the_retry_sends_no_alert_twice(
    deployed, clients, handler, mocker
):
    low = stored_as(deployed, item_image("A1", 1, default_reorder_point=1))
    event = item_stream_event((item_image("A1", 9, default_reorder_point=1), low))
    real_update = clients.dynamodb.update_item

    def unavailable_for_the_stock_table(**request):
        if request["TableName"] == deployed.table_name:
            raise ConnectionError("table unavailable")
        return real_update(**request)

    mocker.patch.object(clients.dynamodb, "update_item", side_effect=unavailable_for_the_stock_table)
    assert handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "100"}]}
    mocker.patch.object(clients.dynamodb, "update_item", side_effect=real_update)
    assert handler(event, None) == {"batchItemFailures": []}
    assert len(alerts(deployed)) == 1
    assert deployed.stored("A1")["low_list_shard"] == {"S": shard_of("A1")}


def test_the_record_of_an_alert_sent_names_its_item(deployed, handler):
    handler(stream_event(("A1", 9, 1)), None)
    record = deployed.dynamodb.get_item(TableName="sent-alerts", Key={"change_id": {"S": "A1-1-9-1"}})["Item"]
    assert (record["stock_id"], record["status"]) == ({"S": "A1"}, {"S": "SENT"})
