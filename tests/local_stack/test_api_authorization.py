"""The local API's AWS_IAM check: what API Gateway accepts and refuses, with its messages."""

import json

import pytest

from local_stack.api_gateway.api_authorization import (
    BAD_SIGNATURE,
    INVALID_TOKEN,
    MISSING_TOKEN,
    Caller,
    Refused,
    SigV4Authorizer,
    signed_headers,
)
from local_stack.aws.iam_policies import Identity

REGION = "eu-west-3"
URL = "http://127.0.0.1:3000/api/stocks/caf%C3%A9"
RESOURCE = "arn:aws:execute-api:eu-west-3:123456789012:local/api/PUT/stocks/caf%C3%A9"
DEVELOPER = Caller("AKIALOCALDEVELOPER01", "s3cr3t", "arn:aws:iam::123456789012:user/developer")
BODY = json.dumps({"stock_level": 4}).encode()


def authorizer(*callers):
    return SigV4Authorizer(REGION, [DEVELOPER, *callers])


def check(headers, body=BODY, method="PUT", path="/api/stocks/caf%C3%A9", caller=None):
    return authorizer(*([caller] if caller else [])).authorize(method, path, headers, body, RESOURCE)


def sign(caller=DEVELOPER, region=REGION, body=BODY, url=URL):
    return signed_headers("PUT", url, body, caller.access_key, caller.secret_key, region)


def test_a_request_signed_for_execute_api_in_the_region_is_accepted():
    assert check(sign()) == DEVELOPER


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda headers: {k: v for k, v in headers.items() if k != "Authorization"}, MISSING_TOKEN),
        (
            lambda headers: headers | {"Authorization": headers["Authorization"].replace("AKIALOCAL", "AKIAOTHER")},
            INVALID_TOKEN,
        ),
        (lambda headers: headers | {"Authorization": headers["Authorization"][:-4] + "0000"}, BAD_SIGNATURE),
        (lambda headers: headers | {"X-Amz-Date": "20240101T000000Z"}, "Signature expired"),
    ],
)
def test_unsigned_unknown_or_badly_signed_requests_are_refused(tamper, message):
    with pytest.raises(Refused, match=message.split(".")[0]):
        check(tamper(sign()))


def test_a_changed_body_breaks_the_signature():
    with pytest.raises(Refused, match="does not match"):
        check(sign(), body=b'{"stock_level": 5}')


def test_a_wrong_secret_breaks_the_signature():
    with pytest.raises(Refused, match="does not match"):
        check(sign(Caller(DEVELOPER.access_key, "not-the-secret", DEVELOPER.arn)))


def test_a_signature_for_another_service_or_region_is_refused():
    with pytest.raises(Refused, match="execute-api"):
        check(sign(region="us-east-1"))


def test_a_known_role_without_execute_api_invoke_may_not_call_the_api():
    role = Identity("arn:aws:iam::123456789012:role/fn-role", "fn", ['{"Statement": []}'])
    function = Caller("ASIALOCALFUNCTION001", "fn-secret", role.arn, role)
    with pytest.raises(Refused, match="not authorized to perform: execute-api:Invoke"):
        check(sign(function), caller=function)
