"""The REST API component: a REST API whose routes all proxy to one function, on a throttled, access-logged stage."""

import json

import pulumi
import pytest

from components.api_gateway_parts import Route
from components.rest_api_function import RestApiFunction, RestApiFunctionArgs, _redeploy_triggers
from tests.infrastructure.conftest import function_args
from tests.program_runs import declared

ROUTES = [Route("/stocks", ("POST",)), Route("/stocks/{stock_id}", ("GET", "PUT"))]


def rest_api(name="shop", function=None, **changes):
    return RestApiFunction(name, RestApiFunctionArgs(function=function or function_args(), routes=ROUTES, **changes))


@pulumi.runtime.test
def test_each_route_and_method_is_a_proxy_integration_of_the_function():
    api = rest_api()

    def check(values):
        methods, integrations, invoke_arn = values
        assert sorted(methods) == [("GET", "AWS_IAM"), ("POST", "AWS_IAM"), ("PUT", "AWS_IAM")]
        assert integrations == [("AWS_PROXY", "POST", invoke_arn)] * 3

    return pulumi.Output.all(
        pulumi.Output.all(*[pulumi.Output.all(m.http_method, m.authorization) for m in api.methods]).apply(
            lambda pairs: [tuple(pair) for pair in pairs]
        ),
        pulumi.Output.all(
            *[pulumi.Output.all(i.type, i.integration_http_method, i.uri) for i in api.integrations]
        ).apply(lambda triples: [tuple(triple) for triple in triples]),
        api.lambda_function.function.invoke_arn,
    ).apply(check)


@pulumi.runtime.test
def test_authorization_can_be_turned_off_by_the_stack():
    """Off takes effect only in a new deployment: a stage serves the snapshot of methods, authorization included,
    of the deployment it points at (docs.aws.amazon.com/apigateway/latest/developerguide/set-up-deployments.html),
    so every method is NONE and the deployment's trigger differs from that of the same API signed."""
    opened, signed = rest_api("opened", authorization="NONE"), rest_api("signed")

    def check(values):
        authorizations, opened_trigger, signed_trigger = values
        assert authorizations == ["NONE"] * 3
        assert opened_trigger["routes"] != signed_trigger["routes"]

    return pulumi.Output.all(
        pulumi.Output.all(*[m.authorization for m in opened.methods]),
        opened.deployment.triggers,
        signed.deployment.triggers,
    ).apply(check)


def test_an_unknown_authorization_is_refused():
    with pytest.raises(ValueError, match="AWS_IAM or NONE"):
        RestApiFunctionArgs(function=function_args(), routes=ROUTES, authorization="MAYBE")


@pulumi.runtime.test
def test_paths_share_their_parent_resources():
    api = rest_api()
    return pulumi.Output.all(*[r.id for r in api.methods]).apply(lambda _: _assert(len(api.path_resources) == 2))


@pulumi.runtime.test
def test_only_this_api_may_invoke_the_function():
    api = rest_api()

    def check(values):
        source_arn, execution_arn, principal, action = values
        assert source_arn == f"{execution_arn}/*/*"
        assert (principal, action) == ("apigateway.amazonaws.com", "lambda:InvokeFunction")

    p = api.permission
    return pulumi.Output.all(p.source_arn, api.api.execution_arn, p.principal, p.action).apply(check)


@pulumi.runtime.test
def test_the_stage_is_throttled_and_access_logged_and_gives_the_url():
    api = rest_api(throttling_rate_limit=7.0, throttling_burst_limit=9, stage_name="v1")

    def check(values):
        settings, method_path, access_logs, log_group_arn, url = values
        assert method_path == "*/*"
        assert (settings["throttling_rate_limit"], settings["throttling_burst_limit"]) == (7.0, 9)
        assert access_logs["destination_arn"] == log_group_arn
        assert json.loads(access_logs["format"])["requestId"] == "$context.requestId"
        assert url.endswith("/v1")

    s = api.method_settings
    return pulumi.Output.all(
        s.settings, s.method_path, api.stage.access_log_settings, api.access_logs.arn, api.url
    ).apply(check)


@pulumi.runtime.test
def test_the_access_logs_are_kept_as_long_as_the_function_s_logs():
    """The access-log group's retention is not given to the component: it follows its function's."""
    api = rest_api(function=function_args(log_retention_days=30))
    return api.access_logs.retention_in_days.apply(lambda days: _assert(days == 30, days))


@pulumi.runtime.test
def test_the_deployment_is_triggered_by_routes_and_integrations():
    api = rest_api()

    def check(triggers):
        assert set(triggers) == {"routes", "integrations"}
        assert json.loads(triggers["integrations"])[0][0] == "shop-post-stocks-integration-id"

    return api.deployment.triggers.apply(check)


def test_a_new_route_or_authorization_changes_the_trigger():
    base = RestApiFunctionArgs(function=function_args(), routes=ROUTES)
    more = RestApiFunctionArgs(function=function_args(), routes=[*ROUTES, Route("/health", ("GET",))])
    open_api = RestApiFunctionArgs(function=function_args(), routes=ROUTES, authorization="NONE")
    routes = {_redeploy_triggers(args, [])["routes"] for args in (base, more, open_api)}
    assert len(routes) == 3


def _assert(condition, detail=None):
    assert condition, detail


def test_the_rest_apis_access_log_group_keeps_the_name_pulumi_gives_it():
    """A REST API writes access logs with the region's API Gateway CloudWatch role, not through log delivery's
    resource policy: its group needs no `/aws/vendedlogs/` name (components.rest_api_function)."""
    assert "name" not in declared("dev", {"apiKind": "rest"}).named("stock-api-access-logs").inputs
