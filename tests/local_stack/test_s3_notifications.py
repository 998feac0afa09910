"""S3's notifications to Lambda: a configuration S3 would refuse is refused at start-up, and a record reaches the
functions whose notification matches it, one record per event."""

from typing import Any

import pytest

from local_stack.aws.s3_notifications import BucketNotifications, NotificationRefused, check_s3_may_invoke, notifies

FUNCTION = "arn:aws:lambda:eu-west-3:123456789012:function:importer"
INVOKE = {"function": "importer", "action": "lambda:InvokeFunction", "principal": "s3.amazonaws.com"}


def test_s3_notifies_a_function_only_once_a_permission_lets_it_invoke_it_for_that_bucket():
    with pytest.raises(NotificationRefused, match="Unable to validate the following destination configurations"):
        check_s3_may_invoke("drops", "importer", FUNCTION, [])
    permissions = [{**INVOKE, "sourceArn": "arn:aws:s3:::other"}]
    with pytest.raises(NotificationRefused):
        check_s3_may_invoke("drops", "importer", FUNCTION, permissions)
    permissions.append({**INVOKE, "sourceArn": "arn:aws:s3:::drops"})
    check_s3_may_invoke("drops", "importer", FUNCTION, permissions)


def s3_record(key, event_name="ObjectCreated:Put", bucket="drops"):
    return {"eventName": event_name, "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}


def test_a_notification_matches_its_event_types_and_the_decoded_key_against_its_filters():
    notification = {"events": ["s3:ObjectCreated:*"], "filterPrefix": "incoming/", "filterSuffix": ".txt"}
    assert notifies(notification, s3_record("incoming/monday+file.txt"))
    assert notifies(notification, s3_record("incoming/a.txt", "ObjectCreated:CompleteMultipartUpload"))
    assert not notifies(notification, s3_record("reports/a.txt"))
    assert not notifies(notification, s3_record("incoming/a.csv"))
    assert not notifies(notification, s3_record("incoming/a.txt", "ObjectRemoved:Delete"))
    assert notifies({"events": ["s3:ObjectCreated:Put"]}, s3_record("x"))
    assert not notifies({"events": ["s3:ObjectCreated:Put"]}, s3_record("x", "ObjectCreated:Copy"))


def test_each_matching_record_reaches_its_bucket_s_function_as_an_event_of_its_own():
    delivered: list[dict[str, Any]] = []
    announced: list[str] = []
    notification = {"lambdaFunctionArn": FUNCTION, "events": ["s3:ObjectCreated:*"], "filterPrefix": "incoming/"}
    notifications = BucketNotifications(
        {"drops": [notification]},
        {FUNCTION: "importer"},
        [{**INVOKE, "sourceArn": "arn:aws:s3:::drops"}],
        lambda arn: delivered.append,
        announced.append,
    )
    for record in (s3_record("incoming/a+b.txt"), s3_record("reports/a.txt"), s3_record("incoming/c", bucket="x")):
        notifications(record)
    assert delivered == [{"Records": [s3_record("incoming/a+b.txt")]}]
    assert announced == ["file dropped: s3://drops/incoming/a b.txt"]


def test_a_configuration_s3_would_refuse_stops_the_start_before_any_function_is_set_up_for_it():
    with pytest.raises(NotificationRefused, match="importer"):
        BucketNotifications(
            {"drops": [{"lambdaFunctionArn": FUNCTION, "events": ["s3:ObjectCreated:*"]}]},
            {FUNCTION: "importer"},
            [],
            lambda arn: pytest.fail(f"{arn} was set up for a notification S3 refuses"),
            print,
        )
