"""The drop bucket as the stack declares it: private, encrypted, TLS only, expiring, wired to its function."""

import json

import pulumi
import pytest

from components.bucket_function import BucketFunction, BucketFunctionArgs
from harness.fake_cloud import ACCOUNT
from tests.infrastructure.conftest import function_args, statements_of
from tests.program_runs import declared

BUCKET_ARN = "arn:aws:s3:::stock-drop-bucket-0a1b2c3"


def test_the_bucket_is_private_encrypted_and_owned_by_the_account(dev_stack):
    assert dev_stack.named("stock-drop-public-access").inputs | {"bucket": None} == {
        "bucket": None,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    assert dev_stack.named("stock-drop-ownership").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert dev_stack.named("stock-drop-encryption").inputs["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    ]
    assert dev_stack.named("stock-drop-bucket").inputs["forceDestroy"] is False


def test_the_bucket_policy_refuses_every_request_without_tls(dev_stack):
    [statement] = statements_of(dev_stack.named("stock-drop-tls-only").inputs["policy"])
    assert statement == {
        "Sid": "RefuseRequestsWithoutTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:*"],
        "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def test_dropped_files_and_reports_expire_and_abandoned_uploads_are_cleaned_up(prod_stack):
    rules = {rule["id"]: rule for rule in prod_stack.named("stock-drop-lifecycle").inputs["rules"]}
    assert rules["processed-files"]["filter"] == {"prefix": "incoming/"}
    assert rules["processed-files"]["expiration"] == {"days": 30}
    assert rules["reports"]["filter"] == {"prefix": "reports/"}
    assert rules["reports"]["expiration"] == {"days": 90}
    assert rules["abandoned-uploads"]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 1}
    assert {rule["status"] for rule in rules.values()} == {"Enabled"}


def test_only_objects_created_under_the_input_prefix_invoke_the_function_and_only_after_s3_may(dev_stack):
    notification = dev_stack.named("stock-drop-notification")
    function = dev_stack.named("stock-drop-function")
    [target] = notification.inputs["lambdaFunctions"]
    assert target == {
        "lambdaFunctionArn": function.outputs["arn"],
        "events": ["s3:ObjectCreated:*"],
        "filterPrefix": "incoming/",
    }
    assert dev_stack.named("stock-drop-s3-invoke").urn in notification.dependencies
    permission = dev_stack.named("stock-drop-s3-invoke").inputs
    assert (permission["principal"], permission["sourceArn"], permission["sourceAccount"]) == (
        "s3.amazonaws.com",
        BUCKET_ARN,
        ACCOUNT,
    )


def test_a_file_that_keeps_failing_is_kept_on_the_failure_queue(dev_stack):
    config = dev_stack.named("stock-drop-async").inputs
    failures = dev_stack.named("stock-drop-failures").outputs["arn"]
    assert (config["maximumRetryAttempts"], config["maximumEventAgeInSeconds"]) == (2, 21600)
    assert config["destinationConfig"] == {"onFailure": {"destination": failures}}
    alarmed = {alarm.inputs["metricName"] for alarm in dev_stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert {"AsyncEventAge", "ApproximateNumberOfMessagesVisible"} <= alarmed


def test_the_function_reads_only_dropped_files_and_writes_only_reports(dev_stack):
    granted = statements_of(dev_stack.named("stock-drop-policy").inputs["policy"])
    by_action: dict[str, list[str]] = {}
    for statement in granted:
        for action in statement["Action"]:
            by_action.setdefault(action, []).extend(statement["Resource"])
    assert sorted(by_action["s3:GetObject"]) == [f"{BUCKET_ARN}/incoming/*", f"{BUCKET_ARN}/reports/*"]
    assert by_action["s3:PutObject"] == [f"{BUCKET_ARN}/reports/*"]
    assert by_action["s3:ListBucket"] == [BUCKET_ARN]
    assert {action for action in by_action if action.startswith("s3:")} == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:ListBucket",
    }
    environment = dev_stack.named("stock-drop-function").inputs["environment"]["variables"]
    assert (environment["INPUT_PREFIX"], environment["OUTPUT_PREFIX"]) == ("incoming/", "reports/")
    assert json.dumps(environment).count("sqs.") == 2  # the import queue and its dead-letter queue, by URL


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"input_prefix": "incoming/", "output_prefix": "incoming/reports/"}, "must not overlap"),
        ({"input_prefix": "incoming"}, "ending in '/'"),
        ({"maximum_retry_attempts": 3}, "from 0 to 2"),
        ({"maximum_event_age_seconds": 30}, "from 60 s"),
    ],
)
def test_settings_aws_or_the_design_would_refuse_are_refused_before_deploying(changes, message):
    with pytest.raises(ValueError, match=message):
        BucketFunctionArgs(function=function_args(), **changes)


def test_a_stack_may_go_without_the_drop_bucket():
    run = declared("dev", {"dropBucket": False})
    assert not run.of_type("aws:s3/bucket:Bucket")
    assert "drop_bucket_name" not in run.outputs


@pulumi.runtime.test
def test_the_component_knows_nothing_of_stock_its_prefixes_come_from_its_caller():
    component = BucketFunction(
        "invoices",
        BucketFunctionArgs(
            function=function_args(), input_prefix="in/", output_prefix="out/", maximum_retry_attempts=0
        ),
    )

    def check(values):
        targets, policy, variables, bucket_arn, retries = values
        assert [target["filter_prefix"] for target in targets] == ["in/"]
        resources = {r for statement in statements_of(policy) for r in statement["Resource"]}
        assert {f"{bucket_arn}/in/*", f"{bucket_arn}/out/*"} <= resources
        assert (variables["INPUT_PREFIX"], variables["OUTPUT_PREFIX"]) == ("in/", "out/")
        assert retries == 0

    return pulumi.Output.all(
        component.notification.lambda_functions,
        component.lambda_function.policy.policy,
        component.lambda_function.function.environment.apply(lambda e: e.variables if e else None),
        component.bucket.arn,
        component.invoke_config.maximum_retry_attempts,
    ).apply(check)
