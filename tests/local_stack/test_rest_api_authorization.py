"""Which routes the local API checks: AWS_IAM methods only, as API Gateway does."""

from local_stack.api_gateway.api_authorization import Caller, SigV4Authorizer
from local_stack.api_gateway.rest_api import LocalRestApi
from local_stack.lambda_service.functions import Invocation
from local_stack.local_cloud import DeclaredRoute

OK = Invocation(result={"statusCode": 200, "body": "{}"})


def api(authorization):
    invoked = []

    def invoke(arn, event):
        invoked.append(event)
        return OK

    authorizer = SigV4Authorizer("eu-west-3", [Caller("AKIALOCAL", "secret", "arn:aws:iam::123456789012:root")])
    route = DeclaredRoute("/stocks/{stock_id}", "GET", authorization, "arn:function")
    return LocalRestApi([route], "api", invoke, authorizer, "arn:aws:execute-api:eu-west-3:123456789012:local"), invoked


def test_an_aws_iam_method_refuses_an_unsigned_request_before_the_function_runs():
    local, invoked = api("AWS_IAM")
    status, _, body = local.respond("GET", "/api/stocks/A1", {"Host": "h"}, b"", "127.0.0.1")
    assert (status, body) == (403, b'{"message": "Missing Authentication Token"}')
    assert invoked == []


def test_a_method_declared_without_authorization_is_not_checked():
    local, invoked = api("NONE")
    status, _, _ = local.respond("GET", "/api/stocks/A1", {"Host": "h"}, b"", "127.0.0.1")
    assert status == 200
    assert invoked[0]["pathParameters"] == {"stock_id": "A1"}
