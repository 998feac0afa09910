"""A REST API function: an API Gateway REST API (proxy payload 1.0) whose routes all invoke one Lambda."""

from __future__ import annotations

import hashlib
import json
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
)
from components.lambda_function import LambdaFunction, LambdaFunctionArgs

_ACCESS_LOG_FORMAT = access_log_format("resourcePath")


@dataclass
class RestApiFunctionArgs:
    """The function, its routes, and how the REST API in front of it behaves."""

    function: LambdaFunctionArgs
    routes: Sequence[Route]
    stage_name: str = "api"
    authorization: str = "AWS_IAM"
    throttling_rate_limit: float = 50.0
    throttling_burst_limit: int = 100
    stage_depends_on: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        check_authorization(self.authorization)


class RestApiFunction(pulumi.ComponentResource):
    """A REST API with AWS_PROXY integrations to one Lambda, deployed to a throttled, access-logged stage."""

    lambda_function: LambdaFunction
    api: aws.apigateway.RestApi
    methods: list[aws.apigateway.Method]
    integrations: list[aws.apigateway.Integration]
    permission: aws.lambda_.Permission
    deployment: aws.apigateway.Deployment
    stage: aws.apigateway.Stage
    url: pulumi.Output[str]

    def __init__(self, name: str, args: RestApiFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(REST_API_TYPE, name, None, switching_kinds(opts, HTTP_API_TYPE))
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
        self.permission = invoke_permission(name, function, self.api.execution_arn, child)
        self.deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=self.api.id,
            triggers=_redeploy_triggers(args, self.integrations),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.methods, *self.integrations]),
        )
        # A REST API writes its access logs with the region's API Gateway CloudWatch role (`apigateway.Account`,
        # docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html), not through log delivery's
        # resource policy, which an HTTP API's logs grow: its group keeps the name Pulumi gives it.
        self.access_logs = access_log_group(name, args.function.log_retention_days, child)
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
                        f"{name}-{slug(path, keep_greedy_mark=True)}",
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
        method_name = f"{name}-{http_method.lower()}-{slug(path, keep_greedy_mark=True)}"
        method = aws.apigateway.Method(
            method_name,
            rest_api=self.api.id,
            resource_id=resource_id,
            http_method=http_method,
            authorization=authorization,
            opts=pulumi.ResourceOptions(parent=self),
        )
        integration = aws.apigateway.Integration(
            f"{method_name}-integration",
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
    args: RestApiFunctionArgs, integrations: Sequence[aws.apigateway.Integration]
) -> dict[str, pulumi.Input[str]]:
    """A new deployment whenever a route, the authorization or an integration changes."""
    shape = json.dumps({"routes": [[r.path, sorted(r.methods)] for r in args.routes], "auth": args.authorization})
    return {
        "routes": hashlib.sha256(shape.encode()).hexdigest(),
        "integrations": pulumi.Output.json_dumps([[integration.id, integration.uri] for integration in integrations]),
    }
