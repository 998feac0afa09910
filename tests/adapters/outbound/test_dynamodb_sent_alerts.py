"""The record of sent alerts on DynamoDB (moto): claims, holds that expire, sent marks that stay."""

import time

import pytest

from adapters.outbound.dynamodb_sent_alerts import AlertHeldElsewhere, DynamoDbSentAlerts


def sent_alerts(account, hold_seconds=30.0):
    return DynamoDbSentAlerts(account.dynamodb, "sent-alerts", hold_seconds, keep_seconds=48 * 3600)


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
    assert int(item["expires_at"]["N"]) > time.time() + 47 * 3600  # removed by time to live, after any retry


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
    assert int(item["expires_at"]["N"]) == pytest.approx(now + 48 * 3600, abs=5)


def test_a_refused_claim_names_the_change_held_elsewhere(account):
    sent_alerts(account).claim("change-1")
    with pytest.raises(AlertHeldElsewhere) as held:
        sent_alerts(account).claim("change-1")
    assert str(held.value) == "the alert of change change-1 is held by another attempt"
