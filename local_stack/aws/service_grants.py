"""What a resource policy (a queue's, a key's) lets an AWS service do on a topic's behalf: SNS sending to a queue,
SNS using a key to write to one."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

SNS = "sns.amazonaws.com"
# SNS writes to a queue encrypted with a customer managed key only with both
# (docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
SNS_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


def grants_service(policy: Any, service: str, action: str, resource: str, source_arn: str) -> bool:
    """Whether an Allow statement of the policy lets the service principal do the action on the resource for this
    source, named in its aws:SourceArn condition (ArnEquals or ArnLike). A grant that names no source does not count:
    the stack's policy pack refuses one (the confused deputy), so only a stack changed by hand could hold it."""
    for statement in (policy or {}).get("Statement", []):
        principal = statement.get("Principal")
        conditions = statement.get("Condition") or {}
        source = (conditions.get("ArnEquals") or conditions.get("ArnLike") or {}).get("aws:SourceArn")
        if (
            statement.get("Effect") == "Allow"
            and isinstance(principal, dict)
            and principal.get("Service") == service
            and _matches(action, statement.get("Action"))
            and _matches(resource, statement.get("Resource"))
            and _matches(source_arn, source)
        ):
            return True
    return False


def sns_may_send(policy: Any, queue_arn: str, topic_arn: str) -> bool:
    """Whether a queue policy allows sns.amazonaws.com to SendMessage to the queue on behalf of this topic."""
    return grants_service(policy, SNS, "sqs:SendMessage", queue_arn, topic_arn)


def sns_may_use_key(policy: Any, key_arn: str, topic_arn: str) -> bool:
    """Whether a key policy lets sns.amazonaws.com use the key to write to a queue on behalf of this topic."""
    return all(grants_service(policy, SNS, action, key_arn, topic_arn) for action in SNS_KEY_ACTIONS)


def _matches(value: str, patterns: Any) -> bool:
    """Whether a policy element (one pattern or a list, with IAM's * and ? wildcards) names the value."""
    return any(fnmatchcase(value, str(pattern)) for pattern in (patterns if isinstance(patterns, list) else [patterns]))
