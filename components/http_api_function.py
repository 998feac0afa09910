"""An HTTP API function: an API Gateway HTTP API (payload format 2.0) whose routes all invoke one Lambda.

The cheaper sibling of `RestApiFunction`'s REST API (docs.aws.amazon.com/apigateway/latest/developerguide/
http-api-vs-rest.html): `AWS_IAM` on every route, a Lambda proxy integration, throttling and access logs on the
`$default` stage, which deploys each change itself and puts no stage name in the URL. What it gives up, a stack
chooses knowingly (docs/deploying.md, "Which API"): WAF, usage plans and API keys, request validation, caching,
private and edge endpoints.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.api_gateway_parts import (
    HTTP_API_TYPE,
    REST_API_TYPE,
    Route,
    access_log_format,
    access_log_group,
    check_authorization,
    invoke_permission,
    slug,
    switching_kinds,
    vended_log_group_name,
)
from components.lambda_function import LambdaFunction, LambdaFunctionArgs

# The stage whose URL has no stage name and that serves every request; HTTP APIs name it `$default`
# (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html).
DEFAULT_STAGE = "$default"
# A route key is a method and a path, or `$default`; the methods an HTTP API routes, `ANY` for all
# (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html).
ROUTE_METHODS = ("ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
# A greedy `{name+}` only as the last segment (same page); `/` alone is a route too.
_PATH = re.compile(r"^/$|^(/([A-Za-z0-9._~-]+|\{[A-Za-z0-9_]+\}))*(/\{[A-Za-z0-9_]+\+\})?$")
# A region's default account-level throttling quota: 10,000 requests per second and a burst of 5,000
# (docs.aws.amazon.com/apigateway/latest/developerguide/limits.html; adjustable, and lower in some regions): a
# route's limits above it never take effect, so a value above it is a mistake, not a choice.
ACCOUNT_RATE_LIMIT, ACCOUNT_BURST_LIMIT = 10_000, 5_000
_ACCESS_LOG_FORMAT = access_log_format(
    "routeKey",
    # Why a request failed before or in the integration: what AWS's troubleshooting pages ask for
    # (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html).
    error="$context.error.message",
    integrationError="$context.integrationErrorMessage",
)


@dataclass
class HttpApiFunctionArgs:
    """The function, its routes, and how the HTTP API in front of it behaves."""

    function: LambdaFunctionArgs
    routes: Sequence[Route]
    authorization: str = "AWS_IAM"
    throttling_rate_limit: float = 50.0
    throttling_burst_limit: int = 100

    def __post_init__(self) -> None:
        # The provider takes these as they come; AWS refuses them at `pulumi up`, after a preview that passed.
        check_authorization(self.authorization)
        for key in route_keys(self.routes):
            method, _, path = key.partition(" ")
            if method not in ROUTE_METHODS or not _PATH.match(path):
                methods = ", ".join(ROUTE_METHODS)
                raise ValueError(f"route key {key!r} is not METHOD /path with a method among {methods}")
        # 0 is accepted, and answers every request 429 (github.com/pulumi/pulumi-aws/issues/2363).
        if not 0 < self.throttling_rate_limit <= ACCOUNT_RATE_LIMIT:
            raise ValueError(
                f"throttling rate limit must be above 0 and at most {ACCOUNT_RATE_LIMIT}, the account's quota"
            )
        if not 0 < self.throttling_burst_limit <= ACCOUNT_BURST_LIMIT:
            raise ValueError(
                f"throttling burst limit must be above 0 and at most {ACCOUNT_BURST_LIMIT}, the account's quota"
            )


def route_keys(routes: Sequence[Route]) -> list[str]:
    """`METHOD /path` for each method of each route."""
    return [f"{method} {route.path}" for route in routes for method in route.methods]


class HttpApiFunction(pulumi.ComponentResource):
    """An HTTP API with one Lambda proxy integration (payload 2.0), a route per method, on a throttled,
    access-logged `$default` stage."""

    lambda_function: LambdaFunction
    api: aws.apigatewayv2.Api
    integration: aws.apigatewayv2.Integration
    api_routes: list[aws.apigatewayv2.Route]
    permission: aws.lambda_.Permission
    stage: aws.apigatewayv2.Stage
    url: pulumi.Output[str]

    def __init__(self, name: str, args: HttpApiFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(HTTP_API_TYPE, name, None, switching_kinds(opts, REST_API_TYPE))
        child = pulumi.ResourceOptions(parent=self)
        self.lambda_function = LambdaFunction(name, args.function, opts=child)
        function = self.lambda_function.function
        self.api = aws.apigatewayv2.Api(f"{name}-api", protocol_type="HTTP", opts=child)
        self.integration = aws.apigatewayv2.Integration(
            f"{name}-integration",
            api_id=self.api.id,
            integration_type="AWS_PROXY",
            integration_method="POST",
            integration_uri=function.arn,
            payload_format_version="2.0",
            opts=child,
        )
        target = pulumi.Output.concat("integrations/", self.integration.id)
        self.api_routes = [
            aws.apigatewayv2.Route(
                f"{name}-{key.split(' ')[0].lower()}-{slug(key.split(' ')[1])}",
                api_id=self.api.id,
                route_key=key,
                authorization_type=args.authorization,
                target=target,
                opts=child,
            )
            for key in route_keys(args.routes)
        ]
        self.permission = invoke_permission(name, function, self.api.execution_arn, child)
        self.access_logs = access_log_group(
            name, args.function.log_retention_days, child, log_group_name=vended_log_group_name(name)
        )
        self.stage = aws.apigatewayv2.Stage(
            f"{name}-stage",
            api_id=self.api.id,
            name=DEFAULT_STAGE,
            auto_deploy=True,
            default_route_settings={
                "throttling_rate_limit": args.throttling_rate_limit,
                "throttling_burst_limit": args.throttling_burst_limit,
                "detailed_metrics_enabled": True,
            },
            access_log_settings={"destination_arn": self.access_logs.arn, "format": _ACCESS_LOG_FORMAT},
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.api_routes),
        )
        # The API's endpoint, without the `/` the `$default` stage's invoke URL ends with: clients add `/stocks`.
        self.url = self.api.api_endpoint
        self.register_outputs({"url": self.url, "api_id": self.api.id})
