"""An HTTP function: a REST API (API Gateway v1, proxy payload 1.0) whose routes all invoke one Lambda."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.lambda_function import LambdaFunction, LambdaFunctionArgs

_ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "caller": "$context.identity.caller",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
    }
)


@dataclass(frozen=True)
class Route:
    """A path (with `{name}` parameters) and the methods it answers."""

    path: str
    methods: tuple[str, ...]


@dataclass
class HttpFunctionArgs:
    """The function, its routes, and how the API in front of it behaves."""

    function: LambdaFunctionArgs
    routes: Sequence[Route]
    stage_name: str = "api"
    authorization: str = "AWS_IAM"
    throttling_rate_limit: float = 50.0
    throttling_burst_limit: int = 100
    stage_depends_on: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        if self.authorization not in ("AWS_IAM", "NONE"):
            raise ValueError(f"authorization must be AWS_IAM or NONE, not {self.authorization!r}")


class HttpFunction(pulumi.ComponentResource):
    """A REST API with AWS_PROXY integrations to one Lambda, deployed to a throttled, access-logged stage."""

    lambda_function: LambdaFunction
    api: aws.apigateway.RestApi
    methods: list[aws.apigateway.Method]
    integrations: list[aws.apigateway.Integration]
    permission: aws.lambda_.Permission
    deployment: aws.apigateway.Deployment
    stage: aws.apigateway.Stage
    url: pulumi.Output[str]

    def __init__(self, name: str, args: HttpFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless:http:HttpFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.lambda_function = LambdaFunction(name, args.function, opts=child)
        function = self.lambda_function.function
        self.api = aws.apigateway.RestApi(f"{name}-api", endpoint_configuration={"types": "REGIONAL"}, opts=child)
        self.path_resources: dict[str, aws.apigateway.Resource] = {}
        resource_ids = self._resources(name, args.routes)
        self.methods, self.integrations = [], []
        for route in args.routes:
            for http_method in route.methods:
                self._add_method(name, resource_ids[route.path], route.path, http_method, args.authorization, function)
        self.permission = aws.lambda_.Permission(
            f"{name}-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(self.api.execution_arn, "/*/*"),
            opts=child,
        )
        self.deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=self.api.id,
            triggers=_redeploy_triggers(args, self.integrations),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.methods, *self.integrations]),
        )
        self.access_logs = aws.cloudwatch.LogGroup(
            f"{name}-access-logs", retention_in_days=args.function.log_retention_days, opts=child
        )
        self.stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=self.api.id,
            deployment=self.deployment.id,
            stage_name=args.stage_name,
            access_log_settings={"destination_arn": self.access_logs.arn, "format": _ACCESS_LOG_FORMAT},
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.stage_depends_on)),
        )
        self.method_settings = aws.apigateway.MethodSettings(
            f"{name}-throttling",
            rest_api=self.api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings={
                "throttling_rate_limit": args.throttling_rate_limit,
                "throttling_burst_limit": args.throttling_burst_limit,
                "metrics_enabled": True,
            },
            opts=child,
        )
        self.url = self.stage.invoke_url
        self.register_outputs({"url": self.url, "rest_api_id": self.api.id})

    def _resources(self, name: str, routes: Sequence[Route]) -> dict[str, pulumi.Input[str]]:
        """One API resource per path segment, shared by routes with a common prefix."""
        ids: dict[str, pulumi.Input[str]] = {"/": self.api.root_resource_id}
        for route in routes:
            parent = "/"
            for part in route.path.strip("/").split("/"):
                path = f"{parent.rstrip('/')}/{part}"
                if path not in ids:
                    self.path_resources[path] = aws.apigateway.Resource(
                        f"{name}-{_slug(path)}",
                        rest_api=self.api.id,
                        parent_id=ids[parent],
                        path_part=part,
                        opts=pulumi.ResourceOptions(parent=self),
                    )
                    ids[path] = self.path_resources[path].id
                parent = path
        return ids

    def _add_method(
        self,
        name: str,
        resource_id: pulumi.Input[str],
        path: str,
        http_method: str,
        authorization: str,
        function: aws.lambda_.Function,
    ) -> None:
        slug = f"{http_method.lower()}-{_slug(path)}"
        method = aws.apigateway.Method(
            f"{name}-{slug}",
            rest_api=self.api.id,
            resource_id=resource_id,
            http_method=http_method,
            authorization=authorization,
            opts=pulumi.ResourceOptions(parent=self),
        )
        integration = aws.apigateway.Integration(
            f"{name}-{slug}-integration",
            rest_api=self.api.id,
            resource_id=resource_id,
            http_method=method.http_method,
            type="AWS_PROXY",
            integration_http_method="POST",
            uri=function.invoke_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.methods.append(method)
        self.integrations.append(integration)


def _redeploy_triggers(
    args: HttpFunctionArgs, integrations: Sequence[aws.apigateway.Integration]
) -> dict[str, pulumi.Input[str]]:
    """A new deployment whenever a route, the authorization or an integration changes."""
    shape = json.dumps({"routes": [[r.path, sorted(r.methods)] for r in args.routes], "auth": args.authorization})
    return {
        "routes": hashlib.sha256(shape.encode()).hexdigest(),
        "integrations": pulumi.Output.json_dumps([[integration.id, integration.uri] for integration in integrations]),
    }


def _slug(path: str) -> str:
    """A resource-name-safe form of a path: /stocks/{stock_id} -> stocks-stock_id."""
    return path.strip("/").replace("/", "-").replace("{", "").replace("}", "")
