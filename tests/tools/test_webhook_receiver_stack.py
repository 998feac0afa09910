"""The webhook receiver's stack, run under mocks: a public function URL with both grants AWS now requires, and a
function that may only write its posts."""

import zipfile

import pulumi
import pytest

from harness.fake_cloud import FakeCloud
from tests.infrastructure.conftest import statements_of
from tools import webhook_receiver_stack
from tools.webhook_receiver_stack import declare_receiver


@pytest.fixture(autouse=True)
def _pulumi_mocks():
    pulumi.runtime.set_mocks(FakeCloud(), preview=False)


@pulumi.runtime.test
def test_the_function_url_is_public_with_both_grants_a_public_url_needs_since_october_2025():
    receiver = declare_receiver()

    def check(values):
        auth, url_function, function_name, public_url, public_invoke = values
        assert auth == "NONE"
        assert url_function == function_name
        assert public_url == (function_name, "lambda:InvokeFunctionUrl", "*", "NONE", None)
        assert public_invoke == (function_name, "lambda:InvokeFunction", "*", None, True)

    def grant(permission):
        return pulumi.Output.all(
            permission.function,
            permission.action,
            permission.principal,
            permission.function_url_auth_type,
            permission.invoked_via_function_url,
        ).apply(tuple)

    return pulumi.Output.all(
        receiver.url.authorization_type,
        receiver.url.function_name,
        receiver.function.function.name,
        grant(receiver.public_url),
        grant(receiver.public_invoke),
    ).apply(check)


@pulumi.runtime.test
def test_the_function_may_only_put_posts_in_its_table_and_write_its_logs():
    receiver = declare_receiver()

    def check(values):
        policy, table_arn, table_name, environment, handler = values
        assert [statement["Action"] for statement in statements_of(policy)] == [
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            ["dynamodb:PutItem"],
        ]
        assert statements_of(policy)[1]["Resource"] == [table_arn]
        assert environment["variables"]["POSTS_TABLE"] == table_name
        assert handler == "webhook_receiver.function.handler"

    f = receiver.function
    return pulumi.Output.all(
        f.policy.policy, receiver.posts.arn, receiver.posts.name, f.function.environment, f.function.handler
    ).apply(check)


def test_the_archive_holds_the_function_alone():
    declare_receiver()
    with zipfile.ZipFile(webhook_receiver_stack.ARCHIVE) as archive:
        assert sorted(archive.namelist()) == ["webhook_receiver/__init__.py", "webhook_receiver/function.py"]


@pulumi.runtime.test
def test_the_hook_url_is_the_function_urls_hook_path_and_a_secret():
    receiver = declare_receiver()

    def check(values):
        url, is_secret = values
        assert url == "https://receiver-url-id.lambda-url.eu-west-3.on.aws/hook"
        assert is_secret

    return pulumi.Output.all(receiver.hook_url, pulumi.Output.is_secret(receiver.hook_url)).apply(check)
