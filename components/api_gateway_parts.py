"""What the REST API and HTTP API components share: routes, the kind of API a stack chooses, authorization, the
access-log line and group, the function's invoke permission, and the aliases that let a stack switch kinds."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

API_KINDS = ("rest", "http")
AUTHORIZATIONS = ("AWS_IAM", "NONE")
# The REST API component's type is the one it had before there was an HTTP API kind: a new token would give every
# resource of a deployed REST API stack a new URN.
REST_API_TYPE = "serverless:http:HttpFunction"
HTTP_API_TYPE = "serverless:http:HttpApiFunction"
VENDED_LOGS_PREFIX = "/aws/vendedlogs/"


@dataclass(frozen=True)
class Route:
    """A path (with `{name}` parameters) and the methods it answers."""

    path: str
    methods: tuple[str, ...]


def checked_api_kind(setting: str, value: object) -> str:
    """The kind of API a stack chose, `rest` (RestApiFunction) or `http` (HttpApiFunction), or a RunError naming
    both."""
    kind = str(value).strip()
    if kind not in API_KINDS:
        raise pulumi.RunError(f"{setting} must be rest or http, not {kind!r}: `pulumi config set {setting} http`")
    return kind


def check_authorization(authorization: str) -> None:
    """A ValueError unless the authorization is one both kinds of API take on their routes: AWS_IAM or NONE."""
    if authorization not in AUTHORIZATIONS:
        raise ValueError(f"authorization must be AWS_IAM or NONE, not {authorization!r}")


def switching_kinds(opts: pulumi.ResourceOptions | None, other_kind_type: str) -> pulumi.ResourceOptions:
    """`opts`, plus an alias to the other API component's type: a stack that switches kinds keeps its function,
    role and log groups, the same names under a parent of the other type (children inherit their parent's
    aliases). The access log group, kept by the alias, is still replaced, since each kind names it its own way
    (`vended_log_group_name`)."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=other_kind_type)]))


def slug(path: str, keep_greedy_mark: bool = False) -> str:
    """A resource-name-safe form of a path: /stocks/{stock_id} -> stocks-stock_id, /items/{proxy+} -> items-proxy.
    The REST API component keeps the `+` (items-proxy+), as it always named its resources: another name would
    replace them."""
    name = path.strip("/").replace("/", "-").replace("{", "").replace("}", "")
    return name if keep_greedy_mark else name.replace("+", "")


def access_log_format(route_variable: str, **more: str) -> str:
    """The JSON line API Gateway writes to the access log for each request: who called, what, and how it went.
    `route_variable` is the `$context` variable naming what answered (`resourcePath` on a REST API, `routeKey` on
    an HTTP API); `more` are fields after the common ones."""
    return json.dumps(
        {
            "requestId": "$context.requestId",
            "ip": "$context.identity.sourceIp",
            "caller": "$context.identity.caller",
            "requestTime": "$context.requestTime",
            "httpMethod": "$context.httpMethod",
            route_variable: f"$context.{route_variable}",
            "status": "$context.status",
            "responseLength": "$context.responseLength",
            "integrationLatency": "$context.integrationLatency",
            **more,
        }
    )


def access_log_group(
    name: str, retention_in_days: int, opts: pulumi.ResourceOptions, log_group_name: str | None = None
) -> aws.cloudwatch.LogGroup:
    """The API's access logs, kept as long as its function's logs, named `log_group_name` (or by Pulumi)."""
    return aws.cloudwatch.LogGroup(
        f"{name}-access-logs", name=log_group_name, retention_in_days=retention_in_days, opts=opts
    )


def vended_log_group_name(name: str) -> str:
    """A log group name under `/aws/vendedlogs/` for the API `name`, one per stack:
    `/aws/vendedlogs/apigateway/<project>/<stack>/<name>`.

    An HTTP API writes its access logs through CloudWatch Logs' log delivery, which lists each destination log group
    in a resource policy of the account's, one per region and limited to 5,120 characters, and takes nothing out
    when the group or its stack goes. Near the limit, CloudWatch Logs lets the service write to `/aws/vendedlogs/*`
    (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html, "Log group resource policy
    size limit considerations"; docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html): a group outside that
    prefix then fails the stage with "Cannot enable logging. Policy document length breaking Cloudwatch Logs
    Constraints" (github.com/serverless/serverless/issues/10469, github.com/aws-samples/retail-demo-store/pull/646).
    Pulumi's own names take no prefix, so the name is made here, with the project and stack that keep it unique."""
    return f"{VENDED_LOGS_PREFIX}apigateway/{pulumi.get_project()}/{pulumi.get_stack()}/{name}"


def invoke_permission(
    name: str, function: aws.lambda_.Function, execution_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.lambda_.Permission:
    """Lets this API invoke the function. The execution ARN's path is /stage/METHOD/path: any stage, method and
    path of this API, no other API's."""
    return aws.lambda_.Permission(
        f"{name}-invoke",
        action="lambda:InvokeFunction",
        function=function.name,
        principal="apigateway.amazonaws.com",
        source_arn=pulumi.Output.concat(execution_arn, "/*/*"),
        opts=opts,
    )
