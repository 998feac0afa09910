"""The local IAM evaluation: a role may do only what its policies allow, as IAM decides it."""

import io
import json

import pytest

from local_stack.aws.iam_enforcement import IamEnforcer
from local_stack.aws.iam_policies import Identity

TABLE = "arn:aws:dynamodb:eu-west-3:123456789012:table/stock-levels"
QUEUE = "arn:aws:sqs:eu-west-3:123456789012:stock-import-dlq"
KEY = "arn:aws:kms:eu-west-3:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"


def role(*statements):
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    return Identity("arn:aws:iam::123456789012:role/fn-role", "fn", (document,))


def allow(actions, resources, **more):
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **more}


def test_nothing_is_allowed_unless_a_statement_allows_it():
    assert not role().allows("dynamodb:GetItem", TABLE)
    assert role(allow(["dynamodb:GetItem"], [TABLE])).allows("dynamodb:GetItem", TABLE)
    assert not role(allow(["dynamodb:GetItem"], [TABLE])).allows("dynamodb:UpdateItem", TABLE)
    assert not role(allow(["dynamodb:GetItem"], [TABLE])).allows("dynamodb:GetItem", TABLE + "-other")


def test_wildcards_match_actions_and_resources():
    identity = role(allow("dynamodb:Get*", "arn:aws:dynamodb:eu-west-3:123456789012:table/*"))
    assert identity.allows("dynamodb:GetItem", TABLE)
    assert not identity.allows("dynamodb:PutItem", TABLE)


def test_an_explicit_deny_wins_over_any_allow():
    identity = role(allow("dynamodb:*", "*"), {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": TABLE})
    assert identity.allows("dynamodb:GetItem", TABLE)
    assert not identity.allows("dynamodb:DeleteItem", TABLE)


def test_not_action_and_not_resource_apply_to_everything_but_what_they_name():
    identity = role(
        {"Effect": "Allow", "NotAction": "sqs:DeleteQueue", "Resource": QUEUE},
        {"Effect": "Deny", "Action": "sqs:*", "NotResource": QUEUE},
    )
    assert identity.allows("sqs:SendMessage", QUEUE)
    assert not identity.allows("sqs:DeleteQueue", QUEUE)
    assert not identity.allows("sqs:SendMessage", QUEUE + "-other")


def environ(target=None, body=b"", form=None):
    data = form.encode() if form else body
    headers = {"HTTP_X_AMZ_TARGET": target} if target else {}
    return {"CONTENT_LENGTH": str(len(data)), "wsgi.input": io.BytesIO(data), **headers}


def s3_environ(method, path, **headers):
    """A path-style S3 request as WSGI gives it: the path decoded, as Latin-1."""
    credential = "Credential=ASIA/20240501/eu-west-3/s3/aws4_request"
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path.encode().decode("latin-1"),
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 {credential}, SignedHeaders=host, Signature=x",
        "CONTENT_LENGTH": "0",
        "wsgi.input": io.BytesIO(b""),
        **headers,
    }


@pytest.mark.parametrize(
    ("request_environ", "expected"),
    [
        (
            environ("DynamoDB_20120810.UpdateItem", json.dumps({"TableName": "stock-levels"}).encode()),
            [("dynamodb:UpdateItem", TABLE)],
        ),
        (
            environ(
                "DynamoDB_20120810.Query",
                json.dumps({"TableName": "stock-levels", "IndexName": "low-items"}).encode(),
            ),
            [("dynamodb:Query", TABLE + "/index/low-items")],  # a query of an index is authorised on the index
        ),
        (
            environ("DynamoDB_20120810.Query", json.dumps({"TableName": "stock-levels"}).encode()),
            [("dynamodb:Query", TABLE)],
        ),
        (
            environ(
                "DynamoDB_20120810.BatchGetItem",
                json.dumps({"RequestItems": {"stock-levels": {"Keys": []}, "sent-alerts": {"Keys": []}}}).encode(),
            ),
            [
                ("dynamodb:BatchGetItem", TABLE),
                ("dynamodb:BatchGetItem", "arn:aws:dynamodb:eu-west-3:123456789012:table/sent-alerts"),
            ],  # a batch is authorised on each table it names
        ),
        (
            environ(
                "AmazonSQS.SendMessageBatch",
                json.dumps({"QueueUrl": "http://h/123456789012/stock-import-dlq"}).encode(),
            ),
            [("sqs:SendMessage", QUEUE)],  # a batch is authorised as the single action
        ),
        (
            environ(form="Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aeu-west-3%3A123456789012%3Aalerts&Message=x"),
            [
                ("sns:Publish", "arn:aws:sns:eu-west-3:123456789012:alerts"),
                ("kms:GenerateDataKey", "arn:aws:kms:eu-west-3:123456789012:key/k"),
                ("kms:Decrypt", "arn:aws:kms:eu-west-3:123456789012:key/k"),
            ],
        ),
        (s3_environ("GET", "/drops/incoming/café.txt"), [("s3:GetObject", "arn:aws:s3:::drops/incoming/café.txt")]),
        (s3_environ("PUT", "/drops/reports/a.json"), [("s3:PutObject", "arn:aws:s3:::drops/reports/a.json")]),
        (s3_environ("GET", "/drops"), [("s3:ListBucket", "arn:aws:s3:::drops")]),
        (
            s3_environ("PUT", "/drops/b", HTTP_X_AMZ_COPY_SOURCE="/other/a"),
            [("s3:PutObject", "arn:aws:s3:::drops/b"), ("s3:GetObject", "arn:aws:s3:::other/a")],
        ),
        (
            environ(
                "secretsmanager.GetSecretValue",
                json.dumps({"SecretId": "arn:aws:secretsmanager:eu-west-3:123456789012:secret:hook-AbC"}).encode(),
            ),
            [("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-3:123456789012:secret:hook-AbC")],
        ),
        (
            environ("TrentService.GenerateMac", json.dumps({"KeyId": KEY}).encode()),
            [("kms:GenerateMac", KEY)],
        ),
        (
            environ("TrentService.VerifyMac", json.dumps({"KeyId": KEY.rsplit("/", 1)[1]}).encode()),
            [("kms:VerifyMac", KEY)],  # a key named by its id is authorised on its ARN
        ),
    ],
)
def test_each_request_is_checked_for_its_action_on_the_resource_it_names(request_environ, expected):
    enforcer = IamEnforcer("eu-west-3", "123456789012")
    enforcer.encrypt_topic("arn:aws:sns:eu-west-3:123456789012:alerts", "arn:aws:kms:eu-west-3:123456789012:key/k")
    assert enforcer.requirements(request_environ) == expected


def index_query():
    return environ(
        "DynamoDB_20120810.Query", json.dumps({"TableName": "stock-levels", "IndexName": "low-items"}).encode()
    )


@pytest.mark.parametrize(
    ("resources", "allowed"),
    [
        ([TABLE], False),
        ([TABLE + "/index/low-items"], True),
        ([TABLE + "/index/*"], True),
        ([TABLE + "/index/other"], False),
    ],
)
def test_a_query_of_an_index_is_allowed_only_by_a_policy_naming_the_index(resources, allowed):
    enforcer = IamEnforcer("eu-west-3", "123456789012")
    identity = role(allow(["dynamodb:Query"], resources))
    [(action, resource)] = enforcer.requirements(index_query())
    assert identity.allows(action, resource) is allowed
