import json

import pulumi
import pytest

from components.queue_function import QueueFunction, QueueFunctionArgs
from tests.infrastructure.conftest import function_args, statements_of


def queue(**changes):
    return QueueFunction("orders", QueueFunctionArgs(function=function_args(timeout_seconds=30), **changes))


@pulumi.runtime.test
def test_messages_stay_hidden_at_least_six_function_timeouts():
    component = queue(batching_window_seconds=4, batch_size=50)
    return component.queue.visibility_timeout_seconds.apply(lambda seconds: _assert(seconds >= 6 * 30 + 4, seconds))


@pulumi.runtime.test
def test_a_message_moves_to_the_dead_letter_queue_after_the_maximum_receive_count():
    component = queue(max_receive_count=3)

    def check(values):
        policy, dead_letter_arn = values
        assert json.loads(policy) == {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": 3}

    return pulumi.Output.all(component.queue.redrive_policy, component.dead_letter_queue.arn).apply(check)


@pulumi.runtime.test
def test_both_queues_are_encrypted_at_rest():
    component = queue()
    return pulumi.Output.all(
        component.queue.sqs_managed_sse_enabled, component.dead_letter_queue.sqs_managed_sse_enabled
    ).apply(lambda flags: _assert(flags == [True, True], flags))


@pulumi.runtime.test
def test_the_event_source_reports_partial_failures_with_the_configured_batching():
    component = queue(batch_size=25, batching_window_seconds=2, maximum_concurrency=7)
    m = component.event_source

    def check(values):
        source, function_arn, queue_arn, types, size, window, scaling = values
        assert source == queue_arn
        assert function_arn.endswith(":function:orders-function-0a1b2c3")
        assert types == ["ReportBatchItemFailures"]
        assert (size, window, scaling["maximum_concurrency"]) == (25, 2, 7)

    return pulumi.Output.all(
        m.event_source_arn,
        m.function_name,
        component.queue.arn,
        m.function_response_types,
        m.batch_size,
        m.maximum_batching_window_in_seconds,
        m.scaling_config,
    ).apply(check)


@pulumi.runtime.test
def test_the_function_consumes_only_its_queue():
    component = queue()

    def check(values):
        policy, queue_arn = values
        consume = [s for s in statements_of(policy) if s["Action"][0].startswith("sqs:")]
        assert consume == [
            {
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": [queue_arn],
            }
        ]

    return pulumi.Output.all(component.lambda_function.policy.policy, component.queue.arn).apply(check)


@pulumi.runtime.test
def test_a_handler_that_keeps_rejects_may_send_to_the_dead_letter_queue_and_knows_its_url():
    component = queue(handler_sends_dead_letters=True)

    def check(values):
        policy, environment, dead_letter_arn, dead_letter_url = values
        assert {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [dead_letter_arn]} in statements_of(
            policy
        )
        assert environment["variables"]["DEAD_LETTER_QUEUE_URL"] == dead_letter_url

    f = component.lambda_function
    return pulumi.Output.all(
        f.policy.policy, f.function.environment, component.dead_letter_queue.arn, component.dead_letter_queue.url
    ).apply(check)


@pulumi.runtime.test
def test_an_alarm_watches_the_dead_letter_queue():
    component = queue(alarm_actions=["arn:aws:sns:eu-west-3:123456789012:ops"])
    a = component.dead_letter_alarm

    def check(values):
        dimensions, dead_letter_name, metric, threshold, actions = values
        assert dimensions == {"QueueName": dead_letter_name}
        assert (metric, threshold) == ("ApproximateNumberOfMessagesVisible", 0)
        assert actions == ["arn:aws:sns:eu-west-3:123456789012:ops"]

    return pulumi.Output.all(
        a.dimensions, component.dead_letter_queue.name, a.metric_name, a.threshold, a.alarm_actions
    ).apply(check)


def test_a_large_batch_without_a_batching_window_is_refused():
    with pytest.raises(ValueError, match="batching window"):
        QueueFunctionArgs(function=function_args(), batch_size=11, batching_window_seconds=0)


def _assert(condition, detail=None):
    assert condition, detail
