"""Fixtures for the Pulumi tests: mocks that answer like AWS, and whole-program runs per stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.code_archive import CodeArchive
from components.lambda_function import LambdaFunctionArgs
from harness.declared_resources import ProgramRun
from harness.fake_cloud import FakeCloud
from tests.program_runs import declared


@pytest.fixture(autouse=True)
def _pulumi_mocks() -> None:
    """Components built in a test register with the fake cloud, outputs known (as in `pulumi up`)."""
    pulumi.runtime.set_mocks(FakeCloud(), preview=False)


@pytest.fixture(scope="session")
def dev_stack() -> ProgramRun:
    return declared("dev")


@pytest.fixture(scope="session")
def prod_stack() -> ProgramRun:
    return declared("prod")


def function_args(**changes: Any) -> LambdaFunctionArgs:
    """Arguments of a plain function, for component tests."""
    defaults: dict[str, Any] = {
        "handler": "handlers.example.handler",
        "code": CodeArchive(Path("build/example.zip"), "c2hhMjU2"),
        "timeout_seconds": 20,
    }
    return LambdaFunctionArgs(**{**defaults, **changes})


def statements_of(policy_json: str) -> list[dict[str, Any]]:
    """The statements of a policy document, each with Action and Resource as lists."""
    statements = json.loads(policy_json)["Statement"]
    for statement in statements:
        for key in ("Action", "Resource"):
            if isinstance(statement.get(key), str):
                statement[key] = [statement[key]]
    return list(statements)
