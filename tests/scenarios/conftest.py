"""Which stack the scenarios run against: STACK_OUTPUTS names a running one's outputs, else a local one starts."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.running_stack import start_stack, stop_stack
from tests.scenarios.target import Target


@pytest.fixture(scope="session")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    given = os.environ.get("STACK_OUTPUTS")
    if given:
        yield Target.from_outputs_file(Path(given))
        return
    work_dir = tmp_path_factory.mktemp("scenarios-stack")
    stack = start_stack(work_dir)
    try:
        yield Target.from_outputs_file(work_dir / "outputs.json")
    finally:
        stop_stack(stack)


@pytest.fixture
def unique() -> str:
    """A prefix for this test's items, so runs against a shared stack never meet."""
    return f"SC-{uuid.uuid4().hex[:10]}"
