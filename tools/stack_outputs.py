"""A stack's outputs and AWS clients for it: a deployed stack by name, or the local stack by its outputs file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import boto3

from local_stack.aws.embedded_aws import local_client


def stack_outputs(stack: str | None, outputs_path: Path) -> dict[str, Any]:
    """`pulumi stack output` of a deployed stack, or the outputs `make run` wrote."""
    if stack:
        command = ["pulumi", "stack", "output", "--json", "--stack", stack]
        return dict(json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout))
    if not outputs_path.exists():
        raise SystemExit(f"{outputs_path} not found: start the local stack with `make run`, or pass --stack NAME")
    return dict(json.loads(outputs_path.read_text()))


def stack_client(service: str, outputs: dict[str, Any]) -> Any:
    """The embedded AWS's client for a local stack; otherwise AWS's, with the default credential chain."""
    if "aws_endpoint_url" in outputs:
        return local_client(service, outputs["aws_endpoint_url"], outputs["topic_arn"].split(":")[3])
    return boto3.client(service)  # type: ignore[call-overload]  # any service by name


def sqs_client(outputs: dict[str, Any]) -> Any:
    """The stack's SQS client."""
    return stack_client("sqs", outputs)
