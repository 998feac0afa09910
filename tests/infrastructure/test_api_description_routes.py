"""openapi.yaml describes exactly the routes the stack declares, each with the authorization it declares."""

from pathlib import Path

import yaml

DESCRIPTION = Path(__file__).resolve().parents[2] / "openapi.yaml"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def test_the_description_has_the_routes_of_the_stack_and_their_authorization(dev_stack):
    document = yaml.safe_load(DESCRIPTION.read_text(encoding="utf-8"))
    described = {
        f"{method.upper()} {path}": operation.get("security", document["security"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }
    assert dev_stack.of_type("aws:apigatewayv2/api:Api"), "dev's API is no longer an HTTP API: read the REST API's"
    declared = {r.inputs["routeKey"]: r.inputs for r in dev_stack.of_type("aws:apigatewayv2/route:Route")}
    assert sorted(described) == sorted(declared)
    assert {route["authorizationType"] for route in declared.values()} == {"AWS_IAM"}
    assert all(security == [{"AWS_IAM": []}] for security in described.values())
