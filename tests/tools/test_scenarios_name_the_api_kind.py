"""Against a stack that STACK_OUTPUTS names, the scenarios run once, labelled with that stack's own kind of API."""

import json
import os
from pathlib import Path

import pytest

from tests.pytest_in_process import run_pytest

ROOT = Path(__file__).resolve().parents[2]
ENDPOINT = "https://a1b2c3.execute-api.eu-west-3.amazonaws.com"


@pytest.mark.parametrize(
    ("endpoint_url", "kind", "other"), [(ENDPOINT, "http", "rest"), (f"{ENDPOINT}/api", "rest", "http")]
)
def test_each_scenario_against_a_stack_is_labelled_with_its_api_kind(tmp_path, endpoint_url, kind, other):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"endpoint_url": endpoint_url, "topic_arn": "arn:aws:sns:eu-west-3:1:t"}))
    collected = run_pytest(
        ["--collect-only", "-p", "no:cacheprovider", "tests/scenarios"],
        {**os.environ, "STACK_OUTPUTS": str(outputs)},
        ROOT,
        fresh_package="tests.scenarios",
    )
    assert collected.exit_code == pytest.ExitCode.OK, collected.stdout + collected.stderr  # every module collected
    scenarios = [line for line in collected.stdout.splitlines() if "::" in line]
    assert scenarios, collected.stdout + collected.stderr
    # A scenario's id joins its parameters with dashes: the stack's kind first, then the scenario's own.
    labels = {line: line[line.index("[") + 1 : -1].split("-") for line in scenarios}
    assert [line for line, parts in labels.items() if kind not in parts or other in parts] == []
