"""IAM policy documents written out as data: exact actions on exact resources."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

Statement = Mapping[str, Any]


def allow(actions: Sequence[str], resources: Sequence[pulumi.Input[str]]) -> Statement:
    """One Allow statement; resources may be outputs of other resources."""
    return {"Effect": "Allow", "Action": list(actions), "Resource": list(resources)}


def policy_document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """A policy document as JSON, resolving any outputs inside the statements."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume_role_policy(service: str) -> str:
    """A trust policy that lets one AWS service assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )
