import json

import pulumi
import pytest

from components.stream_function import StreamFunction, StreamFunctionArgs
from tests.infrastructure.conftest import function_args, statements_of

STREAM = "arn:aws:dynamodb:eu-west-3:123456789012:table/t/stream/2024-05-01T00:00:00.000"


def stream(**changes):
    return StreamFunction("alerts", StreamFunctionArgs(function=function_args(), stream_arn=STREAM, **changes))


@pulumi.runtime.test
def test_the_stream_is_read_in_order_with_bisect_bounded_retries_and_a_failure_queue():
    component = stream(maximum_retry_attempts=50, maximum_record_age_seconds=3600)
    m = component.event_source

    def check(values):
        source, position, bisect, retries, age, types, destination, failure_arn = values
        assert (source, position) == (STREAM, "TRIM_HORIZON")
        assert bisect is True
        assert (retries, age) == (50, 3600)
        assert types == ["ReportBatchItemFailures"]
        assert destination == {"on_failure": {"destination_arn": failure_arn}}

    return pulumi.Output.all(
        m.event_source_arn,
        m.starting_position,
        m.bisect_batch_on_function_error,
        m.maximum_retry_attempts,
        m.maximum_record_age_in_seconds,
        m.function_response_types,
        m.destination_config,
        component.failure_queue.arn,
    ).apply(check)


@pulumi.runtime.test
def test_filter_patterns_become_filter_criteria():
    component = stream(filter_patterns=[{"eventName": ["INSERT", "MODIFY"]}])

    def check(criteria):
        [entry] = criteria["filters"]
        assert json.loads(entry["pattern"]) == {"eventName": ["INSERT", "MODIFY"]}

    return component.event_source.filter_criteria.apply(check)


@pulumi.runtime.test
def test_the_function_reads_only_this_stream_and_writes_only_its_failure_queue():
    component = stream()

    def check(values):
        policy, failure_arn = values
        granted = statements_of(policy)[1:]
        assert granted == [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                "Resource": [STREAM],
            },
            {"Effect": "Allow", "Action": ["dynamodb:ListStreams"], "Resource": ["*"]},  # no resource type
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [failure_arn]},
        ]

    return pulumi.Output.all(component.lambda_function.policy.policy, component.failure_queue.arn).apply(check)


@pulumi.runtime.test
def test_alarms_watch_the_iterator_age_and_the_failure_queue():
    component = stream(iterator_age_alarm_ms=30_000)
    age = component.iterator_age_alarm

    def check(values):
        metric, threshold, dimensions, function_name, failure_dimensions, failure_name, encrypted = values
        assert (metric, threshold) == ("IteratorAge", 30_000)
        assert dimensions == {"FunctionName": function_name}
        assert failure_dimensions == {"QueueName": failure_name}
        assert encrypted is True

    return pulumi.Output.all(
        age.metric_name,
        age.threshold,
        age.dimensions,
        component.lambda_function.function.name,
        component.failure_alarm.dimensions,
        component.failure_queue.name,
        component.failure_queue.sqs_managed_sse_enabled,
    ).apply(check)


@pytest.mark.parametrize("age", [59, 12 * 3600 + 1, 24 * 3600, -1])
def test_a_record_is_given_up_well_before_the_stream_trims_it(age):
    with pytest.raises(ValueError, match="half the stream's 24 h retention"):
        StreamFunctionArgs(function=function_args(), stream_arn=STREAM, maximum_record_age_seconds=age)
