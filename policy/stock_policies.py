"""The rules: least-privilege IAM, encryption at rest, safe queue consumers, authenticated APIs, bounded logs."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

IAM_POLICY_TYPES = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
SQS_ARN_PREFIX = "arn:aws:sqs:"


def statements(document: Any) -> Iterator[Mapping[str, Any]]:
    """The statements of a policy document given as JSON text or as a mapping."""
    parsed = json.loads(document) if isinstance(document, str) else document
    found = (parsed or {}).get("Statement", [])
    yield from [found] if isinstance(found, Mapping) else found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _no_wildcard_actions(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    documents = []
    if args.resource_type in IAM_POLICY_TYPES:
        documents.append(args.props.get("policy"))
    elif args.resource_type == "aws:iam/role:Role":
        documents += [inline.get("policy") for inline in args.props.get("inlinePolicies") or []]
    for document in documents:
        for statement in statements(document):
            if "NotAction" in statement:
                report_violation("NotAction grants every action but a few; list the actions needed instead.", None)
            wild = [action for action in as_list(statement.get("Action", [])) if "*" in str(action)]
            if wild and statement.get("Effect", "Allow") == "Allow":
                report_violation(f"IAM actions must be exact, not {', '.join(map(str, wild))}.", None)


def _encrypted_at_rest(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = args.props
    if args.resource_type == "aws:sqs/queue:Queue":
        if not (props.get("sqsManagedSseEnabled") or props.get("kmsMasterKeyId")):
            report_violation("Queues must be encrypted at rest: set sqsManagedSseEnabled or kmsMasterKeyId.", None)
    elif args.resource_type == "aws:sns/topic:Topic":
        if not props.get("kmsMasterKeyId"):
            report_violation("Topics must be encrypted at rest: set kmsMasterKeyId.", None)
    elif args.resource_type == "aws:dynamodb/table:Table" and not (props.get("serverSideEncryption") or {}).get(
        "enabled"
    ):
        report_violation("Tables must state encryption at rest: set serverSideEncryption.enabled.", None)


def _queue_consumers_are_safe(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for mapping in args.resources:
        if mapping.resource_type != "aws:lambda/eventSourceMapping:EventSourceMapping":
            continue
        sources = mapping.property_dependencies.get("eventSourceArn") or []
        queues = [r for r in sources if r.resource_type == "aws:sqs/queue:Queue"]
        if not queues and not str(mapping.props.get("eventSourceArn", "")).startswith(SQS_ARN_PREFIX):
            continue
        if "ReportBatchItemFailures" not in (mapping.props.get("functionResponseTypes") or []):
            report_violation(
                f"{mapping.name} reads a queue without ReportBatchItemFailures: one bad message retries the batch.",
                mapping.urn,
            )
        for queue in queues:
            if not queue.props.get("redrivePolicy"):
                report_violation(f"{queue.name} feeds a function but has no dead-letter queue.", queue.urn)


_PUBLIC_ACCESS_BLOCKS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _buckets_are_private(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    blocked = {
        bucket.urn
        for block in args.resources
        if block.resource_type == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
        and all(block.props.get(flag) is True for flag in _PUBLIC_ACCESS_BLOCKS)
        for bucket in block.property_dependencies.get("bucket") or []
    }
    for bucket in args.resources:
        if bucket.resource_type == "aws:s3/bucket:Bucket" and bucket.urn not in blocked:
            report_violation(f"{bucket.name} needs a public access block with all four settings on.", bucket.urn)


_AUTHORIZATION_PROPERTY = {
    "aws:apigateway/method:Method": "authorization",  # a REST API's method
    "aws:apigatewayv2/route:Route": "authorizationType",  # an HTTP API's route; NONE when left out
}


def _api_methods_authenticated(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in _AUTHORIZATION_PROPERTY:
        return
    allow_open = bool((args.get_config() or {}).get("allowUnauthenticated", False))
    authorization = args.props.get(_AUTHORIZATION_PROPERTY[args.resource_type]) or "NONE"
    if authorization == "NONE" and not allow_open:
        report_violation(
            "API methods must be authenticated; set allowUnauthenticated in the policy config to open a stack.", None
        )


def _http_api_stages_throttled_and_logged(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """An HTTP API stage without route throttling takes the account's whole quota, which every API of the
    region shares (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html); without
    access logs, no request leaves a trace."""
    if args.resource_type != "aws:apigatewayv2/stage:Stage":
        return
    settings = args.props.get("defaultRouteSettings") or {}
    # Unset, the provider sends 0, which answers every request 429 (github.com/pulumi/pulumi-aws/issues/2363).
    if not settings.get("throttlingRateLimit") or not settings.get("throttlingBurstLimit"):
        report_violation("HTTP API stages must throttle routes: set defaultRouteSettings' rate and burst limits.", None)
    if not (args.props.get("accessLogSettings") or {}).get("destinationArn"):
        report_violation("HTTP API stages must write access logs: set accessLogSettings.destinationArn.", None)


_LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
VENDED_LOGS_PREFIX = "/aws/vendedlogs/"


def _http_api_access_logs_are_vended(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """An HTTP API's access logs go through CloudWatch Logs' log delivery, which lists each log group in a resource
    policy of 5,120 characters at most, one per account and region; near that size a new group takes logs only under
    `/aws/vendedlogs/`, and a stage logging elsewhere fails to deploy (docs.aws.amazon.com/
    AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html). The stage's destination ARN is unknown until
    its log group exists, but which log groups it refers to is known at preview (the engine's property
    dependencies), and so is a group's name when the program gives one: those are what is checked."""
    for stage in args.resources:
        if stage.resource_type != "aws:apigatewayv2/stage:Stage":
            continue
        for group in stage.property_dependencies.get("accessLogSettings") or []:
            if group.resource_type != _LOG_GROUP:
                continue
            name = group.props.get("name")
            if not str(name or "").startswith(VENDED_LOGS_PREFIX):
                named = f"is named {name}" if name else "has a name Pulumi makes up"
                report_violation(
                    f"{group.name}, where {stage.name} writes access logs, {named}: name it under "
                    f"{VENDED_LOGS_PREFIX} so that log delivery's resource policy does not outgrow its limit.",
                    group.urn,
                )


def _logs_expire(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == _LOG_GROUP and not args.props.get("retentionInDays"):
        report_violation("Log groups must have a retention (retentionInDays); kept forever they grow a bill.", None)


_SOURCE_KEYS = ("aws:SourceArn", "aws:SourceAccount")


def _service_grants_name_their_source(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A queue or key policy that lets an AWS service act must say on whose behalf: without aws:SourceArn or
    aws:SourceAccount, any account's topic or alarm could have the service use it (the confused deputy,
    docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html)."""
    if args.resource_type not in ("aws:sqs/queuePolicy:QueuePolicy", "aws:kms/key:Key"):
        return
    for statement in statements(args.props.get("policy")):
        service = (
            (statement.get("Principal") or {}).get("Service") if isinstance(statement.get("Principal"), dict) else None
        )
        if not service or statement.get("Effect", "Allow") != "Allow":
            continue
        conditions = [key for operator in (statement.get("Condition") or {}).values() for key in operator]
        if not any(key in conditions for key in _SOURCE_KEYS):
            report_violation(f"The grant to {service} names no aws:SourceArn or aws:SourceAccount.", None)


def _queue_subscriptions_can_deliver(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """SNS delivers to a queue only if the queue's policy lets it send for that topic
    (docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html); without one, every message is
    lost or dead-lettered, and nothing in `pulumi up` fails."""
    allowed: set[tuple[str, str]] = set()
    for resource in args.resources:
        if resource.resource_type != "aws:sqs/queuePolicy:QueuePolicy":
            continue
        for statement in statements(resource.props.get("policy")):
            principal = statement.get("Principal")
            if statement.get("Effect") != "Allow" or not isinstance(principal, dict):
                continue
            if principal.get("Service") == "sns.amazonaws.com":
                conditions = statement.get("Condition") or {}
                topics = [
                    str(topic)
                    for operator in ("ArnEquals", "ArnLike")
                    for topic in as_list((conditions.get(operator) or {}).get("aws:SourceArn", []))
                ]
                queues = [str(queue) for queue in as_list(statement.get("Resource", []))]
                allowed |= {(queue, topic) for queue in queues for topic in topics}
    for subscription in args.resources:
        props = subscription.props
        is_queue = subscription.resource_type == "aws:sns/topicSubscription:TopicSubscription" and (
            props.get("protocol") == "sqs"
        )
        if is_queue and (str(props.get("endpoint")), str(props.get("topic"))) not in allowed:
            report_violation(
                f"{subscription.name} subscribes a queue whose policy does not let SNS send for its topic.",
                subscription.urn,
            )


POLICIES = [
    ResourceValidationPolicy(
        name="no-iam-wildcard-actions", description="IAM policies name exact actions.", validate=_no_wildcard_actions
    ),
    ResourceValidationPolicy(
        name="encryption-at-rest",
        description="Queues, topics and tables are encrypted at rest.",
        validate=_encrypted_at_rest,
    ),
    StackValidationPolicy(
        name="queue-consumers-are-safe",
        description="A queue-triggered function has a dead-letter queue and reports partial batch failures.",
        validate=_queue_consumers_are_safe,
    ),
    StackValidationPolicy(
        name="buckets-are-private",
        description="Every bucket blocks public access: public ACLs and policies are refused and ignored.",
        validate=_buckets_are_private,
    ),
    ResourceValidationPolicy(
        name="api-methods-authenticated",
        description="API Gateway methods and routes require authorization.",
        validate=_api_methods_authenticated,
        config_schema=PolicyConfigSchema(properties={"allowUnauthenticated": {"type": "boolean", "default": False}}),
    ),
    ResourceValidationPolicy(
        name="http-api-stages-throttled-and-logged",
        description="HTTP API stages throttle their routes and write access logs.",
        validate=_http_api_stages_throttled_and_logged,
    ),
    StackValidationPolicy(
        name="http-api-access-logs-vended",
        description="An HTTP API stage writes access logs to a log group named under /aws/vendedlogs/.",
        validate=_http_api_access_logs_are_vended,
    ),
    ResourceValidationPolicy(
        name="log-groups-expire", description="Log groups have a retention.", validate=_logs_expire
    ),
    ResourceValidationPolicy(
        name="service-grants-name-their-source",
        description="Queue and key policies let an AWS service act only for a named source.",
        validate=_service_grants_name_their_source,
    ),
    StackValidationPolicy(
        name="queue-subscriptions-can-deliver",
        description="A queue subscribed to a topic lets SNS send to it for that topic.",
        validate=_queue_subscriptions_can_deliver,
    ),
]
