"""The record of sent alerts on DynamoDB (moto): claims, holds that expire, sent marks that stay."""

import time

import pytest

from adapters.outbound.dynamodb_sent_alerts import AlertHeldElsewhere, DynamoDbSentAlerts

KEEP_SECONDS = 14 * 24 * 3600


def sent_alerts(account, hold_seconds=30.0):
    return DynamoDbSentAlerts(account.dynamodb, "sent-alerts", hold_seconds, keep_seconds=KEEP_SECONDS)


def stored(account, change_id):
    return account.dynamodb.get_item(TableName="sent-alerts", Key={"change_id": {"S": change_id}}).get("Item")


def test_a_change_is_claimed_once_and_skipped_once_its_alert_is_sent(account):
    record = sent_alerts(account)
    assert record.claim("change-1") is True
    record.mark_sent("change-1")
    assert record.claim("change-1") is False
    item = stored(account, "change-1")
    assert item["status"] == {"S": "SENT"}
    assert "held_until" not in item
    assert int(item["expires_at"]["N"]) > time.time() + KEEP_SECONDS - 60  # removed by time to live, after any retry


def test_a_claim_another_attempt_holds_is_refused_until_its_hold_expires(account):
    assert sent_alerts(account, hold_seconds=30).claim("change-1") is True
    with pytest.raises(AlertHeldElsewhere):
        sent_alerts(account).claim("change-1")
    account.dynamodb.update_item(  # the holder crashed long ago
        TableName="sent-alerts",
        Key={"change_id": {"S": "change-1"}},
        UpdateExpression="SET held_until = :past",
        ExpressionAttributeValues={":past": {"N": str(time.time() - 1)}},
    )
    assert sent_alerts(account).claim("change-1") is True


def test_a_released_claim_can_be_claimed_again_but_a_sent_mark_is_never_released(account):
    record = sent_alerts(account)
    record.claim("change-1")
    record.release("change-1")
    assert stored(account, "change-1") is None
    assert record.claim("change-1") is True
    record.mark_sent("change-1")
    record.release("change-1")
    assert stored(account, "change-1")["status"] == {"S": "SENT"}


def test_a_claim_holds_the_alert_for_the_hold_time_and_is_kept_for_the_keep_time(account):
    now = time.time()
    sent_alerts(account, hold_seconds=30).claim("change-1")
    item = stored(account, "change-1")
    assert item["status"] == {"S": "SENDING"}
    assert float(item["held_until"]["N"]) == pytest.approx(now + 30, abs=5)
    assert int(item["expires_at"]["N"]) == pytest.approx(now + KEEP_SECONDS, abs=5)


def test_a_refused_claim_names_the_change_held_elsewhere(account):
    sent_alerts(account).claim("change-1")
    with pytest.raises(AlertHeldElsewhere) as held:
        sent_alerts(account).claim("change-1")
    assert str(held.value) == "the alert of change change-1 is held by another attempt"


def alerts_of(account, stock_id):
    """The change ids of an item's alerts, as a tool finds them: from the index, no scan."""
    found = account.dynamodb.query(
        TableName="sent-alerts",
        IndexName="by-item",
        KeyConditionExpression="stock_id = :id",
        ExpressionAttributeValues={":id": {"S": stock_id}},
    )["Items"]
    return {item["change_id"]["S"] for item in found}


def test_a_claim_names_its_item_and_when_it_was_made_so_that_an_item_s_alerts_are_found_by_the_index(account):
    record = sent_alerts(account)
    before = time.time()
    record.claim("change-1", "A1")
    record.mark_sent("change-1")
    record.claim("change-2", "B2")
    record.claim("webhook:change-3", "A1")
    item = stored(account, "change-1")
    assert (item["stock_id"], item["status"]) == ({"S": "A1"}, {"S": "SENT"})
    assert before - 1 <= float(item["claimed_at"]["N"]) <= time.time()
    assert alerts_of(account, "A1") == {"change-1", "webhook:change-3"}


def test_a_claim_that_names_no_item_is_kept_out_of_the_index_which_takes_no_empty_key(account):
    record = sent_alerts(account)
    assert record.claim("change-1") is True
    assert "stock_id" not in stored(account, "change-1")
    record.mark_sent("change-1")
    assert record.claim("change-1", "A1") is False  # the dedup promise does not depend on the item


def test_a_sent_mark_keeps_the_item_and_the_claim_time(account):
    record = sent_alerts(account)
    record.claim("change-1", "A1")
    claimed = stored(account, "change-1")["claimed_at"]
    record.mark_sent("change-1")
    assert (stored(account, "change-1")["stock_id"], stored(account, "change-1")["claimed_at"]) == (
        {"S": "A1"},
        claimed,
    )
