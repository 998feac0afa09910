"""The HTTP API kind (`apiKind: http`) as the program declares it, and the arguments AWS would refuse."""

import json

import pulumi
import pytest

from components.api_gateway_parts import Route
from components.http_api_function import HttpApiFunction, HttpApiFunctionArgs
from harness.fake_cloud import ACCOUNT, REGION
from tests.infrastructure.conftest import function_args
from tests.program_runs import declared

ROUTES = [Route("/stocks", ("POST",)), Route("/stocks/{stock_id}", ("GET", "PUT"))]


@pytest.fixture(scope="module")
def http_stack():
    return declared("dev", {"apiKind": "http"})


def test_the_http_kind_is_one_http_api_with_no_rest_api_resources(http_stack):
    [api] = http_stack.of_type("aws:apigatewayv2/api:Api")
    assert api.inputs["protocolType"] == "HTTP"
    assert not [r.name for r in http_stack.resources if r.type.startswith("aws:apigateway/")]
    assert http_stack.outputs["endpoint_url"] == f"https://stock-api-api-id.execute-api.{REGION}.amazonaws.com"


def test_every_route_requires_a_signature_and_proxies_payload_2_0_to_the_function(http_stack):
    [integration] = http_stack.of_type("aws:apigatewayv2/integration:Integration")
    function_arn = http_stack.named("stock-api-function").outputs["arn"]
    assert integration.inputs == {
        "apiId": "stock-api-api-id",
        "integrationType": "AWS_PROXY",
        "integrationMethod": "POST",
        "integrationUri": function_arn,
        "payloadFormatVersion": "2.0",
    }
    routes = {r.inputs["routeKey"]: r.inputs for r in http_stack.of_type("aws:apigatewayv2/route:Route")}
    assert sorted(routes) == ["GET /stocks", "GET /stocks/{stock_id}", "POST /stocks", "PUT /stocks/{stock_id}"]
    assert {route["authorizationType"] for route in routes.values()} == {"AWS_IAM"}
    assert {route["target"] for route in routes.values()} == {"integrations/stock-api-integration-id"}


def test_the_default_stage_deploys_itself_throttled_and_access_logged(http_stack):
    [stage] = http_stack.of_type("aws:apigatewayv2/stage:Stage")
    assert (stage.inputs["name"], stage.inputs["autoDeploy"]) == ("$default", True)
    settings = stage.inputs["defaultRouteSettings"]
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (20, 40)  # Pulumi.dev.yaml
    logs = http_stack.named("stock-api-access-logs")
    assert stage.inputs["accessLogSettings"]["destinationArn"] == logs.outputs["arn"]
    assert logs.inputs["retentionInDays"] == 7
    assert json.loads(stage.inputs["accessLogSettings"]["format"])["routeKey"] == "$context.routeKey"


def test_the_access_logs_go_to_a_group_under_vendedlogs_named_for_the_project_stack_and_api(http_stack):
    """Log delivery lists each HTTP API log group in one resource policy per account and region, limited to 5,120
    characters; once near it, only groups under `/aws/vendedlogs/` take logs (components.api_gateway_parts)."""
    [stage] = http_stack.of_type("aws:apigatewayv2/stage:Stage")
    logs = http_stack.named("stock-api-access-logs")
    assert logs.inputs["name"] == "/aws/vendedlogs/apigateway/stock-levels/dev/stock-api"
    assert stage.inputs["accessLogSettings"]["destinationArn"] == logs.outputs["arn"]


@pulumi.runtime.test
def test_each_http_api_of_each_stack_has_its_own_vended_log_group():
    """Two APIs of one stack, or one API in two stacks (the mocks' project and stack are `project` and `stack`),
    never share a group: a stack destroyed would take another's logs with it."""
    orders = HttpApiFunction("orders", HttpApiFunctionArgs(function=function_args(), routes=ROUTES))
    returns = HttpApiFunction("returns", HttpApiFunctionArgs(function=function_args(), routes=ROUTES))

    def check(names):
        assert names == [
            "/aws/vendedlogs/apigateway/project/stack/orders",
            "/aws/vendedlogs/apigateway/project/stack/returns",
        ]

    return pulumi.Output.all(orders.access_logs.name, returns.access_logs.name).apply(check)


def test_only_this_api_may_invoke_the_function(http_stack):
    permission = http_stack.named("stock-api-invoke").inputs
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["sourceArn"] == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:stock-api-api-id/*/*"


def test_an_http_api_stack_leaves_the_regions_api_gateway_logging_role_alone(http_stack):
    # HTTP APIs write access logs without it; a REST API stack may set it (manageApiGatewayAccount).
    assert not http_stack.of_type("aws:apigateway/account:Account")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"routes": [Route("/stocks", ("FETCH",))]}, "route key 'FETCH /stocks' is not METHOD /path"),
        ({"routes": [Route("stocks", ("GET",))]}, "route key 'GET stocks' is not METHOD /path"),
        ({"routes": [Route("/stocks/{id", ("GET",))]}, "route key 'GET /stocks/{id' is not METHOD /path"),
        ({"routes": [Route("/items/{rest+}/more", ("GET",))]}, "route key 'GET /items/{rest\\+}/more' is not"),
        ({"throttling_rate_limit": 10_001}, "throttling rate limit must be above 0 and at most 10000"),
        ({"throttling_rate_limit": 0}, "throttling rate limit must be above 0"),
        ({"throttling_burst_limit": 0}, "throttling burst limit must be above 0 and at most 5000"),
        ({"authorization": "JWT"}, "authorization must be AWS_IAM or NONE"),
    ],
)
def test_arguments_aws_would_refuse_are_refused_before_any_preview(changes, message):
    with pytest.raises(ValueError, match=message):
        HttpApiFunctionArgs(**{"function": function_args(), "routes": ROUTES, **changes})


def test_the_routes_the_stack_declares_are_taken():
    extra = [Route("/items/{proxy+}", ("ANY",)), Route("/", ("GET",))]
    args = HttpApiFunctionArgs(function=function_args(), routes=[*ROUTES, *extra])
    assert args.throttling_rate_limit == 50.0
