"""What both kinds of API share: the kind a stack chooses, resource names from paths, and a switch of kinds that
keeps the function, its role and its log groups."""

import pulumi
import pytest

from components.api_gateway_parts import API_KINDS, HTTP_API_TYPE, REST_API_TYPE, checked_api_kind, slug
from harness.declared_resources import ProgramRun, RegisteredResource
from tests.program_runs import declared

# What a REST API and an HTTP API both declare under the same names and types; the API, its stage and its routes
# are of other types in each kind, so a switch replaces them.
BOTH_KINDS_DECLARE = {
    "stock-api",  # the LambdaFunction component
    "stock-api-function",
    "stock-api-role",
    "stock-api-policy",
    "stock-api-logs",
    "stock-api-access-logs",
    "stock-api-invoke",
}


@pytest.fixture(scope="module")
def runs() -> dict[str, ProgramRun]:
    return {kind: declared("dev", {"apiKind": kind}) for kind in API_KINDS}


def api_component(run: ProgramRun) -> RegisteredResource:
    [component] = [r for r in run.resources if r.type in (REST_API_TYPE, HTTP_API_TYPE)]
    return component


def under_api(run: ProgramRun) -> list[RegisteredResource]:
    """Every resource whose ancestors include the API component."""
    component = api_component(run)

    def descends(resource: RegisteredResource) -> bool:
        parent = run.by_urn(resource.parent_urn)
        return parent is not None and (parent is component or descends(parent))

    return [resource for resource in run.resources if descends(resource)]


def test_an_unknown_api_kind_is_refused_with_what_to_set():
    with pytest.raises(pulumi.RunError, match=r"apiKind must be rest or http, not 'graphql'"):
        checked_api_kind("apiKind", "graphql")


def test_the_rest_api_keeps_the_type_its_stacks_were_deployed_with(runs):
    assert (api_component(runs["rest"]).type, api_component(runs["http"]).type) == (
        "serverless:http:HttpFunction",
        "serverless:http:HttpApiFunction",
    )


@pytest.mark.parametrize(
    ("before", "after"), [("rest", "http"), ("http", "rest")], ids=["rest-to-http", "http-to-rest"]
)
def test_a_stack_switching_kinds_keeps_what_both_kinds_declare(runs, before, after):
    """The engine finds each kept resource's state under its URN of the other kind (its parent's alias, which it
    inherits), so it updates the resource in place instead of deleting one and creating another."""
    old, new = runs[before], runs[after]
    assert old.engine_urn(api_component(old)) in new.earlier_urns(api_component(new))
    old_urns = {(r.type, r.name): old.engine_urn(r) for r in under_api(old)}
    kept = set()
    for resource in under_api(new):
        old_urn = old_urns.get((resource.type, resource.name))
        if old_urn is None:
            continue
        assert old_urn != new.engine_urn(resource)  # the URN changes with the parent's type: only an alias keeps it
        assert old_urn in new.earlier_urns(resource), resource.name
        kept.add(resource.name)
    assert kept == BOTH_KINDS_DECLARE


def test_a_switch_of_kinds_replaces_the_access_log_group_since_only_an_http_api_names_it(runs):
    """The alias keeps its URN, but a new name is a replacement: the old group goes, its logs with it
    (docs/deploying.md, "Upgrade notes")."""
    names = {kind: runs[kind].named("stock-api-access-logs").inputs.get("name") for kind in API_KINDS}
    assert names == {"rest": None, "http": "/aws/vendedlogs/apigateway/stock-levels/dev/stock-api"}


@pytest.mark.parametrize(
    ("path", "name"),
    [("/stocks", "stocks"), ("/stocks/{stock_id}", "stocks-stock_id"), ("/items/{proxy+}", "items-proxy")],
)
def test_a_path_becomes_a_resource_name_without_braces_or_slashes(path, name):
    assert slug(path) == name


def test_the_rest_api_keeps_the_greedy_mark_in_its_resource_names_as_it_always_did():
    """Another name would replace a deployed REST API's resource, method and integration for a `{proxy+}` route."""
    assert slug("/items/{proxy+}", keep_greedy_mark=True) == "items-proxy+"
