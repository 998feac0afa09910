"""Security of the Pulumi program, checked on both stacks under mocks."""

import pytest

from tests.infrastructure.conftest import statements_of
from tests.program_runs import declared

STACKS = ("dev", "prod")
_KEY_ADMINISTRATION = "AccountAdministersTheKey"  # AWS's default key statement: delegates the key to IAM


def policy_documents(run):
    """Every policy document in the stack: (resource name, statement)."""
    for resource in run.resources:
        for key in ("policy", "assumeRolePolicy"):
            document = resource.inputs.get(key)
            if isinstance(document, str) and '"Statement"' in document:
                for statement in statements_of(document):
                    yield resource.name, statement


@pytest.fixture(params=STACKS)
def run(request):
    return declared(request.param)


def test_no_policy_grants_a_wildcard_action(run):
    offending = [
        (name, statement["Action"])
        for name, statement in policy_documents(run)
        if statement["Effect"] == "Allow"
        and statement.get("Sid") != _KEY_ADMINISTRATION
        and any("*" in action for action in statement["Action"])
    ]
    assert offending == []


def test_wildcard_resources_appear_only_where_the_action_or_aws_requires_them(run):
    """The key policies ("*" is the key itself) and ListStreams, an action with no resource type."""
    wildcards = [
        (name, statement["Action"]) for name, statement in policy_documents(run) if "*" in statement.get("Resource", [])
    ]
    keys = {"notifications-key", "alert-queues-key", "low-stock-subscriber-dlq-key", "list-cursor-key"}
    assert {name for name, _ in wildcards} == {*keys, "low-stock-notifier-policy"}
    assert [actions for name, actions in wildcards if name not in keys] == [["dynamodb:ListStreams"]]


def test_queues_topics_and_table_are_encrypted_at_rest(run):
    queues = run.of_type("aws:sqs/queue:Queue")
    assert len(queues) == 5
    # SQS's own keys, or, where SNS writes (the subscribers' dead letters), a key whose policy lets it.
    keys = {run.named(name).outputs["arn"] for name in ("alert-queues-key", "low-stock-subscriber-dlq-key")}
    assert all(
        queue.inputs.get("sqsManagedSseEnabled") is True or queue.inputs.get("kmsMasterKeyId") in keys
        for queue in queues
    )
    assert all(
        topic.inputs["kmsMasterKeyId"].startswith("arn:aws:kms:") for topic in run.of_type("aws:sns/topic:Topic")
    )
    assert run.named("stock-levels").inputs["serverSideEncryption"] == {"enabled": True}
    [bucket_encryption] = run.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert bucket_encryption.inputs["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]


def test_topics_use_the_stacks_rotating_key(run):
    key = run.named("notifications-key")
    assert key.inputs["enableKeyRotation"] is True
    assert {topic.inputs["kmsMasterKeyId"] for topic in run.of_type("aws:sns/topic:Topic")} == {key.outputs["arn"]}


def test_point_in_time_recovery_is_on(run):
    assert run.named("stock-levels").inputs["pointInTimeRecovery"] == {"enabled": True}


def authorizations(run):
    """How each REST API method and each HTTP API route is authorised."""
    methods = [m.inputs["authorization"] for m in run.of_type("aws:apigateway/method:Method")]
    return {*methods, *(r.inputs["authorizationType"] for r in run.of_type("aws:apigatewayv2/route:Route"))}


@pytest.mark.parametrize("kind", ["rest", "http"])
def test_api_methods_are_authenticated_unless_the_stack_opts_out(run, kind):
    assert authorizations(declared(run.stack, {"apiKind": kind})) == {"AWS_IAM"}
    assert authorizations(declared(run.stack, {"apiKind": kind, "apiAuthorization": "NONE"})) == {"NONE"}


def test_the_prod_table_is_protected_from_deletion():
    table = declared("prod").named("stock-levels")
    assert table.inputs["deletionProtectionEnabled"] is True
    assert table.protect
    assert declared("dev").named("stock-levels").protect is False
