"""A stack's outputs and AWS clients for it: a deployed stack by name, or the local stack by its outputs file.

Clients are built the same way for both: the default credential chain, and the region the stack's own ARNs
name. The local stack is reached through the standard AWS configuration that `make run` writes beside its
outputs (profile `local`, whose `endpoint_url` is the embedded AWS), never by an endpoint or a key given here.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

LOCAL_VARIABLES = ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE")


def local_stack_environment(work_dir: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` set to reach the local stack whose files are in `work_dir` as AWS is reached: the AWS CLI's
    config and credentials files that `make run` writes there, profile `local`, and no other AWS setting. Keys,
    AWS_DEFAULT_PROFILE (botocore reads it before AWS_PROFILE) and endpoint URLs, general or per service, would
    all come before the profile (docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html,
    feature-ss-endpoints.html); `make dlq`, `send` and `redrive` unset the same."""
    kept = {name: value for name, value in environ.items() if not name.startswith("AWS_")}
    files = (work_dir / "config", work_dir / "credentials", "local")
    return {**kept, **{name: str(value) for name, value in zip(LOCAL_VARIABLES, files, strict=True)}}


class NotReachable(SystemExit):
    """The environment's AWS configuration does not lead to the stack the outputs describe."""


def stack_outputs(stack: str | None, outputs_path: Path) -> dict[str, Any]:
    """`pulumi stack output` of a deployed stack, or the outputs `make run` wrote."""
    if stack:
        command = ["pulumi", "stack", "output", "--json", "--stack", stack]
        return dict(json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout))
    if not outputs_path.exists():
        raise SystemExit(f"{outputs_path} not found: start the local stack with `make run`, or pass --stack NAME")
    return dict(json.loads(outputs_path.read_text()))


def region_of(outputs: dict[str, Any]) -> str:
    """The stack's region, from the ARN of its topic (arn:partition:sns:REGION:account:name)."""
    return str(outputs["topic_arn"].split(":")[3])


def api_kind_of(outputs: dict[str, Any]) -> str:
    """`rest` or `http`, the kind of the stack's API (its `apiKind`): a REST API's endpoint_url ends with its stage,
    while an HTTP API serves from its `$default` stage, which adds no segment."""
    return "rest" if urlsplit(outputs["endpoint_url"]).path.strip("/") else "http"


def stack_session(outputs: dict[str, Any]) -> boto3.session.Session:
    """A session on the default credential chain in the stack's region, whatever the profile's region says."""
    return boto3.session.Session(region_name=region_of(outputs))


def stack_client(service: str, outputs: dict[str, Any], session: boto3.session.Session | None = None) -> Any:
    """A client of the stack's AWS. Refused when the configuration leads elsewhere: local outputs reached without
    the local stack's profile, or a stack in AWS reached with an endpoint configured (the local profile exported,
    say), which would otherwise act on the wrong stack without a word."""
    session = session or stack_session(outputs)
    client = session.client(service)  # type: ignore[call-overload]  # any service by name
    local_endpoint = outputs.get("aws_endpoint_url")
    if local_endpoint and client.meta.endpoint_url != local_endpoint:
        raise NotReachable(
            f"these are the local stack's outputs, but the AWS configuration leads to {client.meta.endpoint_url}"
            f"{_set_endpoints()}: reach it as any AWS client does, with only "
            f"{', '.join(LOCAL_VARIABLES)} set, to the config and credentials files `make run` wrote beside these "
            "outputs, and profile local (make dlq, send and redrive set them)"
        )
    if not local_endpoint:
        refuse_configured_endpoint(client, session)
    return client


def refuse_configured_endpoint(client: Any, session: boto3.session.Session) -> None:
    """Refuse a client of AWS whose endpoint comes from the configuration (AWS_ENDPOINT_URL*, a profile's
    endpoint_url) rather than from AWS's own endpoint rules, which a client told to ignore them follows
    (the `ignore_configured_endpoint_urls` setting, feature-ss-endpoints.html)."""
    service = client.meta.service_model.service_name
    # botocore-stubs lag behind botocore, whose Config takes this setting (botocore/config.py).
    ignoring = Config(ignore_configured_endpoint_urls=True)  # type: ignore[call-arg]
    aws_endpoint = session.client(service, config=ignoring).meta.endpoint_url
    if client.meta.endpoint_url != aws_endpoint:
        raise NotReachable(
            f"this stack is in AWS, but the AWS configuration leads to {client.meta.endpoint_url}"
            f"{_set_endpoints()}, not to {aws_endpoint}: unset {', '.join(LOCAL_VARIABLES)} if the local stack's "
            "are exported, and any AWS_ENDPOINT_URL"
        )


def _set_endpoints() -> str:
    named = sorted(name for name in os.environ if name.startswith("AWS_ENDPOINT_URL"))
    return f" ({', '.join(named)} set)" if named else ""


def sqs_client(outputs: dict[str, Any]) -> Any:
    """The stack's SQS client."""
    return stack_client("sqs", outputs)


def queue_region(queue_url: str) -> str | None:
    """The region in an SQS queue URL (https://sqs.REGION.amazonaws.com/account/name), if it names one."""
    host = queue_url.split("://", 1)[-1].split("/", 1)[0].split(".")
    return host[1] if len(host) > 2 and host[0] == "sqs" else None
