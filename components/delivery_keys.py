"""KMS keys that SNS may use on one topic's behalf: what it encrypts the messages it writes to queues with."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.iam import Statement


def topic_delivery_key(
    name: str,
    description: str,
    topic_arn: pulumi.Input[str],
    administration: Statement,
    grant_sid: str,
) -> aws.kms.Key:
    """A rotating customer managed key that SNS may use for the deliveries of `topic_arn` alone, to a queue the
    topic delivers to or to a subscription's dead-letter queue. `administration` comes first in its policy: the
    statement that lets the account's IAM policies govern the key."""
    return aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    administration,
                    {
                        # SNS writes to an encrypted queue only with these two grants on a customer managed key
                        # (docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html,
                        # "Configure KMS permissions for AWS services"), a dead-letter queue too
                        # (docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html), here for one topic alone.
                        "Sid": grant_sid,
                        "Effect": "Allow",
                        "Principal": {"Service": "sns.amazonaws.com"},
                        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                        "Resource": "*",
                        # SNS names the topic in aws:SourceArn when it calls KMS for a delivery (AWS CDK's grant for an
                        # SQS subscription to an encrypted queue tests on it: github.com/aws/aws-cdk/pull/20521), and
                        # when it moves a failed delivery to a subscription's dead-letter queue (AWS's policy for
                        # that queue conditions on it:
                        # docs.aws.amazon.com/sns/latest/dg/sns-configure-dead-letter-queue.html).
                        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                    },
                ],
            }
        ),
    )
