"""Every IAM policy document the program declares, in every stack, passes parliament (an IAM policy linter).

A finding kept on purpose is listed below with its reason; anything else fails the test.
"""

import json
import re

import pytest
from parliament import analyze_policy_string  # type: ignore[import-untyped]  # ships no type hints

from components.stream_function import STREAM_READ_ACTIONS
from tests.infrastructure.snapshot import STACKS, both_channels, http_api, rest_api
from tests.program_runs import declared

# A real stream ARN ends in a timestamp label with colons (table/T/stream/2024-05-01T00:00:00.000), and
# parliament splits ARNs at ':', so it reads the stream read actions' exact ARN as the wrong resource type.
_STREAM_LABEL = re.compile(r":table/[^/]+/stream/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def _trust_policy_has_no_resource(kind, finding, document):
    """A role's trust policy names no Resource: the role itself is the resource (IAM User Guide)."""
    return kind == "assumeRolePolicy" and (finding.issue, finding.detail) == (
        "MALFORMED",
        "Statement contains neither Resource nor NotResource",
    )


def _key_policy_star_is_the_key(kind, finding, document):
    """In a KMS key policy, Resource "*" means this key, and the account root's kms:* is AWS's default
    statement that delegates the key to IAM (docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html)."""
    return kind == "keyPolicy" and finding.issue in ("RESOURCE_STAR", "PERMISSIONS_MANAGEMENT_ACTIONS")


def _stream_arn_misread(kind, finding, document):
    """The colon-bearing stream label, misread (see _STREAM_LABEL); only the stream read actions, on such an ARN."""
    return (
        finding.issue == "RESOURCE_MISMATCH"
        and {entry["action"] for entry in finding.detail} <= set(STREAM_READ_ACTIONS)
        and _STREAM_LABEL.search(document) is not None
    )


KEPT_FINDINGS = (_trust_policy_has_no_resource, _key_policy_star_is_the_key, _stream_arn_misread)


def policy_documents(run):
    """(resource name, kind, JSON document) for every IAM policy document in the stack."""
    kinds = {
        "aws:iam/rolePolicy:RolePolicy": ("policy", "policy"),
        "aws:iam/policy:Policy": ("policy", "policy"),
        "aws:iam/role:Role": ("assumeRolePolicy", "assumeRolePolicy"),
        "aws:kms/key:Key": ("policy", "keyPolicy"),
        "aws:sqs/queuePolicy:QueuePolicy": ("policy", "queuePolicy"),
    }
    for resource in run.resources:
        if resource.type in kinds:
            key, kind = kinds[resource.type]
            yield resource.name, kind, resource.inputs[key]


def unexpected_findings(kind, document):
    findings = analyze_policy_string(document, include_community_auditors=True).findings
    return [
        (finding.issue, finding.detail)
        for finding in findings
        if not any(kept(kind, finding, document) for kept in KEPT_FINDINGS)
    ]


@pytest.mark.parametrize(
    ("run", "count"),
    [
        # 4 functions' roles and role policies, 4 key policies, the subscriber DLQ's policy (an HTTP API needs no
        # API Gateway logging role)
        *[(lambda stack=stack: declared(stack), 13) for stack in STACKS],
        # and the chat webhook's function: its role, its role policy, its queue's policy
        (both_channels, 16),
        (http_api, 13),
        # a REST API: and the region's API Gateway logging role
        (rest_api, 14),
    ],
)
def test_every_policy_document_passes_the_iam_linter(run, count):
    documents = list(policy_documents(run()))
    assert len(documents) == count
    assert {name: unexpected_findings(kind, document) for name, kind, document in documents} == {
        name: [] for name, _, _ in documents
    }


def test_the_linter_catches_a_grant_on_a_resource_the_action_cannot_have():
    """The defect that went unseen: ListStreams granted on a stream ARN, where it does nothing."""
    stream = "arn:aws:dynamodb:eu-west-3:123456789012:table/t/stream/2024-05-01T00:00:00.000"
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["dynamodb:ListStreams"], "Resource": [stream]}],
        }
    )
    assert unexpected_findings("policy", document) == [
        ("RESOURCE_MISMATCH", [{"action": "dynamodb:ListStreams", "required_format": "*"}])
    ]
