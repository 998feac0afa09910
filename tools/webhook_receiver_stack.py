"""The webhook receiver's own Pulumi stack, which `make test-aws` deploys with the Automation API (an inline
program) before the ephemeral stack, so that its chat channel posts somewhere the scenarios can read.

A function URL open to anyone (auth NONE, as a chat's incoming webhook is: its URL is its credential) in front of
tools.webhook_receiver.function, and the table where the function keeps each post. Stack outputs: `url`, the
hook the ephemeral stack is given (a secret), and `posts_table`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.code_archive import build_code_archive
from components.iam import allow
from components.lambda_function import LambdaFunction, LambdaFunctionArgs
from tools.webhook_receiver.function import HOOK_PATH, POSTS_TABLE_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "stock-levels-webhook-receiver"
ARCHIVE = ROOT / "build" / "webhook-receiver.zip"


@dataclass(frozen=True)
class WebhookReceiver:
    """What the program declares, for the program's outputs and its tests."""

    posts: aws.dynamodb.Table
    function: LambdaFunction
    url: aws.lambda_.FunctionUrl
    public_url: aws.lambda_.Permission
    public_invoke: aws.lambda_.Permission

    @property
    def hook_url(self) -> pulumi.Output[str]:
        """The URL the chat channel posts to: the function URL (which ends with "/") and the hook's path. A secret,
        as a chat's webhook URL is: whoever has it may post."""
        return pulumi.Output.secret(self.url.function_url.apply(lambda url: url.rstrip("/") + HOOK_PATH))


def declare_receiver() -> WebhookReceiver:
    """Declare the receiver's resources; its code is zipped from tools/webhook_receiver alone."""
    code = build_code_archive(ROOT / "tools", ["webhook_receiver"], ARCHIVE)
    posts = aws.dynamodb.Table(
        "posts",
        billing_mode="PAY_PER_REQUEST",
        hash_key="stock_id",
        range_key="request_id",
        attributes=[{"name": "stock_id", "type": "S"}, {"name": "request_id", "type": "S"}],
        server_side_encryption={"enabled": True},
    )
    function = LambdaFunction(
        "receiver",
        LambdaFunctionArgs(
            handler="webhook_receiver.function.handler",
            code=code,
            description="A chat's incoming webhook for the scenarios: keeps each post and the answer it got.",
            statements=[allow(["dynamodb:PutItem"], [posts.arn])],
            environment={POSTS_TABLE_VARIABLE: posts.name},
            log_retention_days=1,
        ),
    )
    url = aws.lambda_.FunctionUrl("receiver-url", function_name=function.function.name, authorization_type="NONE")
    # A public function URL needs both grants since October 2025: lambda:InvokeFunctionUrl for the URL and
    # lambda:InvokeFunction, limited to calls through a function URL (docs.aws.amazon.com/lambda/latest/dg/
    # urls-auth.html). pulumi-aws 7 also adds both when it creates a URL with auth NONE (its FunctionUrl page), but
    # outside the stack's state; declared here, they are in the program and in every preview, whatever the
    # provider's version does. Lambda takes the same grant twice under two statement ids.
    public_url = aws.lambda_.Permission(
        "receiver-public-url",
        function=function.function.name,
        action="lambda:InvokeFunctionUrl",
        principal="*",
        function_url_auth_type="NONE",
    )
    public_invoke = aws.lambda_.Permission(
        "receiver-public-invoke",
        function=function.function.name,
        action="lambda:InvokeFunction",
        principal="*",
        invoked_via_function_url=True,
    )
    return WebhookReceiver(posts, function, url, public_url, public_invoke)


def program() -> None:
    """The inline program the Automation API runs."""
    receiver = declare_receiver()
    pulumi.export("url", receiver.hook_url)
    pulumi.export("posts_table", receiver.posts.name)
