"""SNS's deliveries to queues encrypted with a customer managed key, which moto makes whatever the key: here only
while SNS may use the key, else to the subscription's dead-letter queue, else lost and counted.

SNS writes to such a queue only while its key is enabled and the key policy lets sns.amazonaws.com use it
(kms:GenerateDataKey, kms:Decrypt) for the topic
(docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html); else SQS refuses the
write with a client error (KmsDisabled, KmsInvalidState, KmsAccessDenied:
docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html). SNS does not retry a client-side
error: it moves the message to the subscription's dead-letter queue, which SNS must be able to write to in the same
way, or discards it (docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html), and counts either outcome in
the topic's NumberOfNotificationsRedrivenToDlq or NumberOfNotificationsFailedToRedriveToDlq
(docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html), recorded here in the embedded CloudWatch.

Where it differs from AWS (start-up and docs/running-locally.md say so): only the key's state and its key policy are
read, not KMS grants; the dead letter's ErrorCode and ErrorMessage attributes are the local stack's words.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.kms.models import kms_backends
from moto.sns.models import Subscription
from moto.sqs.exceptions import QueueDoesNotExist
from moto.sqs.models import sqs_backends

from local_stack.aws.service_grants import sns_may_send, sns_may_use_key

logger = logging.getLogger("local_stack.sns")

Refusal = tuple[str, str]  # the error SQS answers SNS's write with: its code and why


def check_queue_keys_on_delivery() -> None:
    """Patch moto (once per process) so that SNS delivers to a queue only as the queue's key lets it."""
    original = Subscription.publish
    if getattr(original, "_checks_queue_keys", False):
        return

    def publish(
        self: Subscription,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        message_structure: str | None = None,
    ) -> None:
        rest = (group_id, deduplication_id, message_structure)
        refused = _key_refusal(self.endpoint, self.topic.arn) if self.protocol == "sqs" else None
        matcher = self._filter_policy_matcher
        if refused is None or (matcher is not None and not matcher.matches(message_attributes, message)):
            original(self, message, message_id, subject, message_attributes, *rest)
            return
        code, reason = refused
        target = json.loads(self.attributes.get("RedrivePolicy") or "{}").get("deadLetterTargetArn")
        if not target:
            logger.warning("SNS could not deliver to %s (%s: %s): lost", self.endpoint, code, reason)
            return
        dead_letter_refused = _write_refusal(target, self.topic.arn)
        if dead_letter_refused is not None:
            _count(self.topic.arn, "NumberOfNotificationsFailedToRedriveToDlq")
            logger.warning(
                "SNS could not deliver to %s (%s: %s), nor keep it in %s (%s): lost",
                self.endpoint,
                code,
                reason,
                target,
                ": ".join(dead_letter_refused),
            )
            return
        _count(self.topic.arn, "NumberOfNotificationsRedrivenToDlq")
        logger.warning("SNS could not deliver to %s (%s: %s): kept in %s", self.endpoint, code, reason, target)
        # The message as it would have been delivered (raw, or in SNS's JSON envelope), with why it was not.
        dead_letter = copy.copy(self)
        dead_letter.endpoint = target
        why = {"ErrorCode": {"Type": "String", "Value": code}, "ErrorMessage": {"Type": "String", "Value": reason}}
        original(dead_letter, message, message_id, subject, {**(message_attributes or {}), **why}, *rest)

    publish._checks_queue_keys = True  # type: ignore[attr-defined]
    Subscription.publish = publish  # type: ignore[method-assign]


def _key_refusal(queue_arn: str, topic_arn: str) -> Refusal | None:
    """Why SQS would refuse SNS's write to this queue for its key; None if it would take it, or has no such key."""
    _, _, _, region, account, name = queue_arn.split(":")
    try:
        queue = sqs_backends[account][region].get_queue(name)
    except QueueDoesNotExist:
        return None  # moto answers for a queue that is gone, as before
    key_id = getattr(queue, "kms_master_key_id", None)  # set by moto from the queue's attributes, if given
    if not key_id:
        return None
    try:
        key = kms_backends[account][region].describe_key(key_id)
    except (KeyError, AttributeError):  # no such key, or an alias of none
        return "KmsNotFound", f"the key {key_id} of {name} does not exist"
    if key.key_state != "Enabled":
        code = "KmsDisabled" if key.key_state == "Disabled" else "KmsInvalidState"
        return code, f"the key {key.arn} of {name} is {key.key_state}"
    if not sns_may_use_key(json.loads(key.policy), key.arn, topic_arn):
        return "KmsAccessDenied", f"the policy of the key {key.arn} of {name} does not let SNS use it for {topic_arn}"
    return None


def _write_refusal(queue_arn: str, topic_arn: str) -> Refusal | None:
    """Why SNS could not write to this dead-letter queue for the topic: gone, its policy or its key."""
    _, _, _, region, account, name = queue_arn.split(":")
    try:
        policy = sqs_backends[account][region].get_queue(name).policy
    except QueueDoesNotExist:
        return "QueueDoesNotExist", f"{name} does not exist"
    if not sns_may_send(json.loads(policy or "{}"), queue_arn, topic_arn):
        return "AccessDenied", f"the policy of {name} does not let SNS send for {topic_arn}"
    return _key_refusal(queue_arn, topic_arn)


def _count(topic_arn: str, metric: str) -> None:
    _, _, _, region, account, topic = topic_arn.split(":")
    dimensions = [{"Name": "TopicName", "Value": topic}]
    cloudwatch_backends[account][region].put_metric_data(
        "AWS/SNS", [{"MetricName": metric, "Value": 1, "Unit": "Count", "Dimensions": dimensions}]
    )
