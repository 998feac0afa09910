"""What the local stack prints once it is up: what it built, where it differs from AWS, how to reach it, its
outputs, and last the line that says it is ready."""

from __future__ import annotations

from typing import Any

from harness.stack_settings import encrypted_settings
from local_stack.api_gateway.api_authorization import Caller
from local_stack.aws_cli_files import PROFILE
from local_stack.lambda_service.async_invocations import AWS_RETRY_DELAYS
from local_stack.local_cloud import LocalDeclarations, describe_not_emulated
from local_stack.settings import LocalStackSettings


def banner(
    settings: LocalStackSettings,
    region: str,
    declared: LocalDeclarations,
    resource_count: int,
    developer: Caller,
    webhook_url: str,
    outputs: dict[str, Any],
) -> list[str]:
    """The lines, in order; the last one holds "Ready", which whoever waits on the stack looks for."""
    lines = [f"Local stack '{settings.stack}' is up: {resource_count} resources from the Pulumi program."]
    lines += [f"  not emulated locally: {line}" for line in describe_not_emulated(declared)]
    lines += [f"  SNS will deliver nothing to {line}, as in AWS" for line in declared.undeliverable]
    lines += [
        f"  encrypted for the stack in AWS, which only Pulumi can read, so left out here: {setting}"
        for setting in encrypted_settings(settings.stack, settings.project_dir, settings.stack_file)
    ]
    lines += _authorization(settings, region, declared, developer, outputs)
    lines += _standard_variables(settings)
    if settings.async_retry_delays != AWS_RETRY_DELAYS:
        first, second = settings.async_retry_delays
        lines.append(f"  asynchronous invocations are retried after {first:g} s and {second:g} s (AWS: 60 s and 120 s)")
    if settings.reload_code:
        lines.append("  code reload is ON: a file saved under domain/, adapters/ or handlers/ replaces the code")
    if declared.api_kind == "http":
        lines.append(
            "  the HTTP API decodes a path once and hands on what follows a decoded '?' as the query string: AWS's"
            " decodes %25 twice, and where it puts that rest is not known (docs/design.md, Validation)"
        )
    lines.append(
        "  alarms are created but never fire: of the metrics, only SNS's counts of what it moved or failed to"
        " move to a subscription's dead-letter queue are recorded"
    )
    lines.append(
        "  SNS delivers to an encrypted queue only while its key is enabled and its key policy lets SNS use it for"
        " the topic (KMS grants are not read)"
    )
    lines.append(
        "  a message move (redrive) without DestinationArn is refused at once while the dead-letter queue holds a"
        " message sent to it directly, which has no source queue (AWS does not document its answer)"
    )
    lines.append(f"  chat alerts (alertChannels: webhook) go to the local receiver {webhook_url}, never to a chat")
    lines.append("Outputs:")
    lines += [f"    {name:<24} {value}" for name, value in outputs.items()]
    lines.append(f"Outputs written to {settings.outputs_path}. Ready; Ctrl-C stops everything.")
    return lines


def _authorization(
    settings: LocalStackSettings, region: str, declared: LocalDeclarations, developer: Caller, outputs: dict[str, Any]
) -> list[str]:
    if not settings.enforce_authorization:
        return ["  authorization is OFF (--no-auth): API signatures and IAM policies are not checked"]
    lines = ["  authorization is ON: each function's AWS calls are checked against its role's policies"]
    if any(route.authorization == "AWS_IAM" for route in declared.routes):
        key, secret = developer.access_key, developer.secret_key
        lines.append(
            f"  the API takes SigV4-signed requests only; your credentials: {settings.credentials_path} (profile local)"
        )
        lines.append(
            f"    curl --aws-sigv4 'aws:amz:{region}:execute-api' --user '{key}:{secret}' "
            f"-X PUT {outputs.get('endpoint_url', '')}/stocks/A000 -d '{{\"stock_level\": 4}}'"
        )
    return lines


def _standard_variables(settings: LocalStackSettings) -> list[str]:
    variables = (
        f"AWS_CONFIG_FILE={settings.config_path} "
        f"AWS_SHARED_CREDENTIALS_FILE={settings.credentials_path} AWS_PROFILE={PROFILE}"
    )
    return [
        "  any AWS SDK or the AWS CLI reaches this stack, with no endpoint or key given, through:",
        f"    export {variables}",
        "    aws dynamodb list-tables   # AWS_ACCESS_KEY_ID or AWS_ENDPOINT_URL, if set, come first",
    ]
