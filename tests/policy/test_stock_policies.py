"""Each policy with a compliant and a non-compliant resource, and both stacks run through the whole pack."""

import json
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from harness.declared_resources import ProgramRun
from harness.fake_cloud import FakeCloud
from harness.pulumi_program import run_program
from policy.stock_policies import POLICIES
from tests.infrastructure.snapshot import both_channels, http_api
from tests.program_runs import declared

BY_NAME: dict[str, Any] = {policy.name: policy for policy in POLICIES}
OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def violations_of(policy_name, resource_type, props, config=None):
    found: list[str] = []
    args = ResourceValidationArgs(resource_type, props, f"urn:x::{resource_type}::r", "r", OPTIONS, None, config)
    BY_NAME[policy_name].validate(args, lambda message, urn=None: found.append(message))
    return found


def policy_json(*actions):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": ["arn:aws:s3:::b"]}],
        }
    )


@pytest.mark.parametrize(
    ("resource_type", "props", "violations"),
    [
        ("aws:iam/rolePolicy:RolePolicy", {"policy": policy_json("s3:GetObject")}, 0),
        ("aws:iam/rolePolicy:RolePolicy", {"policy": policy_json("s3:*")}, 1),
        ("aws:iam/policy:Policy", {"policy": policy_json("*")}, 1),
        ("aws:iam/role:Role", {"inlinePolicies": [{"name": "p", "policy": policy_json("sqs:Send*")}]}, 1),
        (
            "aws:iam/rolePolicy:RolePolicy",
            {"policy": json.dumps({"Statement": {"Effect": "Allow", "NotAction": "s3:Get"}})},
            1,
        ),
        ("aws:sqs/queue:Queue", {"policy": policy_json("*")}, 0),  # not an IAM policy: out of scope
    ],
)
def test_iam_policies_name_exact_actions(resource_type, props, violations):
    assert len(violations_of("no-iam-wildcard-actions", resource_type, props)) == violations


@pytest.mark.parametrize(
    ("resource_type", "props", "violations"),
    [
        ("aws:sqs/queue:Queue", {"sqsManagedSseEnabled": True}, 0),
        ("aws:sqs/queue:Queue", {"kmsMasterKeyId": "alias/aws/sqs"}, 0),
        ("aws:sqs/queue:Queue", {}, 1),
        ("aws:sns/topic:Topic", {"kmsMasterKeyId": "arn:aws:kms:eu-west-3:1:key/k"}, 0),
        ("aws:sns/topic:Topic", {}, 1),
        ("aws:dynamodb/table:Table", {"serverSideEncryption": {"enabled": True}}, 0),
        ("aws:dynamodb/table:Table", {"serverSideEncryption": {"enabled": False}}, 1),
        ("aws:dynamodb/table:Table", {}, 1),
    ],
)
def test_queues_topics_and_tables_are_encrypted(resource_type, props, violations):
    assert len(violations_of("encryption-at-rest", resource_type, props)) == violations


def test_api_methods_need_authorization_unless_the_config_allows_open_ones():
    method = "aws:apigateway/method:Method"
    assert violations_of("api-methods-authenticated", method, {"authorization": "AWS_IAM"}) == []
    assert len(violations_of("api-methods-authenticated", method, {"authorization": "NONE"})) == 1
    assert (
        violations_of("api-methods-authenticated", method, {"authorization": "NONE"}, {"allowUnauthenticated": True})
        == []
    )


def test_log_groups_need_a_retention():
    group = "aws:cloudwatch/logGroup:LogGroup"
    assert violations_of("log-groups-expire", group, {"retentionInDays": 14}) == []
    assert len(violations_of("log-groups-expire", group, {})) == 1


def policy_resource(resource_type, name, props, property_dependencies=None):
    return PolicyResource(
        resource_type,
        props,
        f"urn:x::{resource_type}::{name}",
        name,
        OPTIONS,
        None,
        None,
        [],
        property_dependencies or {},
    )


def stack_violations(resources):
    found: list[tuple[str, str | None]] = []
    BY_NAME["queue-consumers-are-safe"].validate(
        StackValidationArgs(resources), lambda m, urn=None: found.append((m, urn))
    )
    return found


def test_a_queue_consumer_needs_a_dead_letter_queue_and_partial_failures():
    safe_queue = policy_resource("aws:sqs/queue:Queue", "q", {"redrivePolicy": "{}"})
    bare_queue = policy_resource("aws:sqs/queue:Queue", "bare", {})
    safe = policy_resource(
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "m",
        {"functionResponseTypes": ["ReportBatchItemFailures"]},
        {"eventSourceArn": [safe_queue]},
    )
    unsafe = policy_resource(
        "aws:lambda/eventSourceMapping:EventSourceMapping", "u", {}, {"eventSourceArn": [bare_queue]}
    )
    stream = policy_resource(
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "s",
        {"eventSourceArn": "arn:aws:dynamodb:eu-west-3:1:table/t/stream/x"},
    )
    assert stack_violations([safe_queue, safe, stream]) == []
    assert [name for name, _ in stack_violations([bare_queue, unsafe])] == [
        "u reads a queue without ReportBatchItemFailures: one bad message retries the batch.",
        "bare feeds a function but has no dead-letter queue.",
    ]


def test_a_bucket_must_block_public_access_fully():
    bucket = policy_resource("aws:s3/bucket:Bucket", "drops", {})
    flags = dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True)
    block = policy_resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "b", flags, {"bucket": [bucket]})
    partial = policy_resource(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "p",
        {**flags, "restrictPublicBuckets": False},
        {"bucket": [bucket]},
    )

    def violations(resources):
        found: list[str] = []
        BY_NAME["buckets-are-private"].validate(StackValidationArgs(resources), lambda m, urn=None: found.append(m))
        return found

    assert violations([bucket, block]) == []
    assert violations([bucket, partial]) == ["drops needs a public access block with all four settings on."]
    assert violations([bucket]) == ["drops needs a public access block with all four settings on."]


def run_pack(run: ProgramRun) -> list[str]:
    """Every violation the pack reports for a whole program run."""
    found: list[str] = []
    resources = {r.urn: policy_resource(r.type, r.name, r.inputs) for r in run.resources if r.custom}
    for urn, resource in resources.items():
        registered = run.by_urn(urn)
        assert registered is not None
        resource.property_dependencies = {
            name: [resources[u] for u in urns if u in resources]
            for name, urns in registered.property_dependencies.items()
        }
    for policy in BY_NAME.values():
        if isinstance(policy, ResourceValidationPolicy):
            for resource in resources.values():
                args = ResourceValidationArgs(
                    resource.resource_type, resource.props, resource.urn, resource.name, OPTIONS, None, {}
                )

                def report(message: str, urn: str | None = None, name: str = resource.name) -> None:
                    found.append(f"{name}: {message}")

                policy.validate(args, report)
        else:
            policy.validate(
                StackValidationArgs(list(resources.values())), lambda message, urn=None: found.append(message)
            )
    return found


@pytest.mark.parametrize("run", [lambda: declared("dev"), lambda: declared("prod"), both_channels, http_api])
def test_the_stock_stacks_comply_with_every_policy(run):
    assert run_pack(run()) == []


TOPIC, QUEUE = "arn:aws:sns:eu-west-3:1:alerts", "arn:aws:sqs:eu-west-3:1:chat"


def service_grant(condition):
    statement = {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage"}
    return json.dumps(
        {"Statement": [{**statement, "Resource": QUEUE, **({"Condition": condition} if condition else {})}]}
    )


@pytest.mark.parametrize(
    ("resource_type", "condition", "violations"),
    [
        ("aws:sqs/queuePolicy:QueuePolicy", {"ArnEquals": {"aws:SourceArn": TOPIC}}, []),
        ("aws:kms/key:Key", {"StringEquals": {"aws:SourceAccount": "1"}}, []),
        (
            "aws:sqs/queuePolicy:QueuePolicy",
            None,
            ["The grant to sns.amazonaws.com names no aws:SourceArn or aws:SourceAccount."],
        ),
        (
            "aws:kms/key:Key",
            {"StringEquals": {"kms:ViaService": "sqs.eu-west-3.amazonaws.com"}},
            ["The grant to sns.amazonaws.com names no aws:SourceArn or aws:SourceAccount."],
        ),
    ],
)
def test_a_service_may_use_a_queue_or_key_only_for_a_named_source(resource_type, condition, violations):
    assert (
        violations_of("service-grants-name-their-source", resource_type, {"policy": service_grant(condition)})
        == violations
    )


def test_a_queue_subscribed_to_a_topic_must_let_sns_send_for_that_topic():
    def found(*resources):
        messages: list[str] = []
        BY_NAME["queue-subscriptions-can-deliver"].validate(
            StackValidationArgs(list(resources)), lambda m, urn=None: messages.append(m)
        )
        return messages

    subscription = policy_resource(
        "aws:sns/topicSubscription:TopicSubscription",
        "chat-sub",
        {"protocol": "sqs", "endpoint": QUEUE, "topic": TOPIC},
    )
    allowing = policy_resource(
        "aws:sqs/queuePolicy:QueuePolicy", "qp", {"policy": service_grant({"ArnEquals": {"aws:SourceArn": TOPIC}})}
    )
    other_topic = policy_resource(
        "aws:sqs/queuePolicy:QueuePolicy",
        "qp",
        {"policy": service_grant({"ArnEquals": {"aws:SourceArn": TOPIC + "-2"}})},
    )
    email = policy_resource(
        "aws:sns/topicSubscription:TopicSubscription", "mail", {"protocol": "email", "topic": TOPIC}
    )
    denying = policy_resource(
        "aws:sqs/queuePolicy:QueuePolicy",
        "qp",
        {"policy": service_grant({"ArnEquals": {"aws:SourceArn": TOPIC}}).replace('"Allow"', '"Deny"')},
    )
    listed = policy_resource(
        "aws:sqs/queuePolicy:QueuePolicy",
        "qp",
        {"policy": service_grant({"ArnLike": {"aws:SourceArn": [TOPIC]}}).replace(f'"{QUEUE}"', f'["{QUEUE}"]')},
    )
    assert found(subscription, allowing, email) == []
    assert found(subscription, listed) == []
    refused = ["chat-sub subscribes a queue whose policy does not let SNS send for its topic."]
    assert found(subscription, other_topic) == refused
    assert found(subscription, denying) == refused
    assert found(subscription) == refused


def test_the_pack_would_stop_an_unsafe_change():
    opened = declared("dev", {"apiAuthorization": "NONE", "logRetentionDays": 0})
    found = run_pack(opened)
    assert (
        sum("must be authenticated" in v for v in found) == 4
    )  # every route: GET and POST /stocks, GET and PUT an item
    assert sum("retention" in v for v in found) == 5


@pytest.mark.parametrize(
    ("props", "violations"),
    [
        ({"authorizationType": "AWS_IAM"}, 0),
        ({"authorizationType": "NONE"}, 1),
        ({}, 1),  # AWS's default for a route is NONE
    ],
)
def test_http_api_routes_need_authorization(props, violations):
    found = violations_of("api-methods-authenticated", "aws:apigatewayv2/route:Route", props)
    assert len(found) == violations


THROTTLED = {"throttlingRateLimit": 50, "throttlingBurstLimit": 100}
LOGGED = {"destinationArn": "arn:aws:logs:eu-west-3:1:log-group:g", "format": "{}"}


@pytest.mark.parametrize(
    ("props", "violations"),
    [
        ({"defaultRouteSettings": THROTTLED, "accessLogSettings": LOGGED}, []),
        (
            {"defaultRouteSettings": {"throttlingRateLimit": 50}, "accessLogSettings": LOGGED},
            ["HTTP API stages must throttle routes: set defaultRouteSettings' rate and burst limits."],
        ),
        (
            {"defaultRouteSettings": THROTTLED},
            ["HTTP API stages must write access logs: set accessLogSettings.destinationArn."],
        ),
        (  # 0 answers every request 429
            {"defaultRouteSettings": {**THROTTLED, "throttlingBurstLimit": 0}, "accessLogSettings": LOGGED},
            ["HTTP API stages must throttle routes: set defaultRouteSettings' rate and burst limits."],
        ),
    ],
)
def test_http_api_stages_are_throttled_and_logged(props, violations):
    found = violations_of("http-api-stages-throttled-and-logged", "aws:apigatewayv2/stage:Stage", props)
    assert found == violations


def test_the_pack_would_stop_an_open_http_api():
    opened = declared("dev", {"apiKind": "http", "apiAuthorization": "NONE"})
    assert sum("must be authenticated" in v for v in run_pack(opened)) == 4


LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def access_log_violations(*resources):
    found: list[tuple[str, str | None]] = []
    BY_NAME["http-api-access-logs-vended"].validate(
        StackValidationArgs(list(resources)), lambda message, urn=None: found.append((message, urn))
    )
    return found


def stage_logging_to(group, resource_type="aws:apigatewayv2/stage:Stage"):
    """A stage whose destination ARN is still unknown, as in the preview that creates its log group: reading it
    would make the pack skip the rule there."""
    props = unknown_checking_proxy({"accessLogSettings": {"destinationArn": UNKNOWN_STRING_VALUE, "format": "{}"}})
    return policy_resource(resource_type, "api-stage", props, {"accessLogSettings": [group]})


@pytest.mark.parametrize(
    ("name", "violations"),
    [
        ("/aws/vendedlogs/apigateway/stock-levels/dev/stock-api", []),
        (
            "stock-api-access-logs-4f2a1c9",
            [
                "api-logs, where api-stage writes access logs, is named stock-api-access-logs-4f2a1c9: name it under "
                "/aws/vendedlogs/ so that log delivery's resource policy does not outgrow its limit."
            ],
        ),
        (
            None,  # what the program declares when it leaves the name to Pulumi
            [
                "api-logs, where api-stage writes access logs, has a name Pulumi makes up: name it under "
                "/aws/vendedlogs/ so that log delivery's resource policy does not outgrow its limit."
            ],
        ),
    ],
)
def test_an_http_api_stage_writes_access_logs_to_a_group_under_vendedlogs(name, violations):
    group = policy_resource(LOG_GROUP, "api-logs", {"retentionInDays": 7, **({"name": name} if name else {})})
    assert access_log_violations(group, stage_logging_to(group)) == [(message, group.urn) for message in violations]


def test_a_rest_api_stage_may_log_to_any_group():
    """A REST API writes access logs with the region's CloudWatch role, not through log delivery."""
    group = policy_resource(LOG_GROUP, "api-logs", {"retentionInDays": 7})
    assert access_log_violations(group, stage_logging_to(group, "aws:apigateway/stage:Stage")) == []


def test_the_pack_would_stop_an_http_api_logging_outside_vendedlogs(monkeypatch):
    monkeypatch.setattr("components.http_api_function.vended_log_group_name", lambda name: None)
    found = run_pack(run_program(FakeCloud(), "dev"))
    assert found == [
        "stock-api-access-logs, where stock-api-stage writes access logs, has a name Pulumi makes up: name it under "
        "/aws/vendedlogs/ so that log delivery's resource policy does not outgrow its limit."
    ]
