"""Pulumi mocks that answer like AWS: every output a test reads is returned, with realistic names and ARNs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from harness.declared_resources import ProgramRun
from harness.pulumi_program import run_program

ACCOUNT = "123456789012"
REGION = "eu-west-3"
_PREFIX = f"{REGION}:{ACCOUNT}"


def _outputs(type_token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The outputs AWS computes for a resource of this type (inputs come back too, as the engine does)."""
    physical = inputs.get("name") or f"{name}-0a1b2c3"
    arn = f"arn:aws:{type_token.split(':')[1].split('/')[0]}:{_PREFIX}:{physical}"
    computed: dict[str, Any] = {"arn": arn, "name": physical}
    match type_token:
        case "aws:iam/role:Role":
            computed["arn"] = f"arn:aws:iam::{ACCOUNT}:role/{physical}"
        case "aws:cloudwatch/logGroup:LogGroup":
            computed["arn"] = f"arn:aws:logs:{_PREFIX}:log-group:{physical}"
        case "aws:lambda/function:Function":
            computed["arn"] = f"arn:aws:lambda:{_PREFIX}:function:{physical}"
            computed["invokeArn"] = (
                f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{computed['arn']}/invocations"
            )
        case "aws:lambda/functionUrl:FunctionUrl":
            computed["functionUrl"] = f"https://{name}-id.lambda-url.{REGION}.on.aws/"
        case "aws:apigateway/restApi:RestApi":
            computed["rootResourceId"] = f"{name}-root"
            computed["executionArn"] = f"arn:aws:execute-api:{_PREFIX}:{name}-id"
        case "aws:apigatewayv2/api:Api":
            computed["executionArn"] = f"arn:aws:execute-api:{_PREFIX}:{name}-id"
            computed["apiEndpoint"] = f"https://{name}-id.execute-api.{REGION}.amazonaws.com"
        case "aws:apigatewayv2/stage:Stage":
            computed["invokeUrl"] = f"https://{inputs['apiId']}.execute-api.{REGION}.amazonaws.com/"
        case "aws:apigateway/stage:Stage":
            computed["invokeUrl"] = (
                f"https://{inputs['restApi']}.execute-api.{REGION}.amazonaws.com/{inputs['stageName']}"
            )
        case "aws:sqs/queue:Queue":
            computed["arn"] = f"arn:aws:sqs:{_PREFIX}:{physical}"
            computed["url"] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{physical}"
        case "aws:dynamodb/table:Table":
            computed["arn"] = f"arn:aws:dynamodb:{_PREFIX}:table/{physical}"
            computed["streamArn"] = f"{computed['arn']}/stream/2024-05-01T00:00:00.000"
        case "aws:sns/topic:Topic":
            computed["arn"] = f"arn:aws:sns:{_PREFIX}:{physical}"
        case "aws:s3/bucket:Bucket":
            physical = f"{name}-0a1b2c3"
            computed.update(arn=f"arn:aws:s3:::{physical}", bucket=physical, id=physical)
        case "aws:secretsmanager/secret:Secret":
            computed["arn"] = f"arn:aws:secretsmanager:{_PREFIX}:secret:{physical}-AbCdEf"
        case "aws:kms/key:Key":
            computed["arn"] = f"arn:aws:kms:{_PREFIX}:key/{name}-key-id"
    return {**computed, **inputs}


class FakeCloud(pulumi.runtime.Mocks):
    """Resources get ids `<name>-id` and the computed outputs above; calls answer for account and partition."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", _outputs(args.typ, args.name, dict(args.inputs))

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci", "userId": "AIDA"}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        if args.token == "aws:index/getRegion:getRegion":
            return {"region": REGION, "name": REGION, "id": REGION}, []
        raise NotImplementedError(f"the fake cloud does not answer {args.token}")


# What an operator sets before a stack's first deploy; prod refuses to deploy without an alarm address.
OPERATOR_SETTINGS: dict[str, dict[str, Any]] = {"prod": {"alarmEmails": ["operations@stock-levels.io"]}}
OPERATIONS_EMAIL = OPERATOR_SETTINGS["prod"]["alarmEmails"][0]


def configured_stack(
    stack: str, overrides: Mapping[str, Any] | None = None, secrets: Mapping[str, Any] | None = None
) -> ProgramRun:
    """The program run under the fake cloud for a stack as its operator has configured it: `secrets` are the
    settings set with `pulumi config set --secret`."""
    settings = {**OPERATOR_SETTINGS.get(stack, {}), **(overrides or {}), **(secrets or {})}
    return run_program(FakeCloud(), stack, settings, secret_keys=list(secrets or {}))
