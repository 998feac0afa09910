"""`make test-aws`'s orchestration, with a fake Automation API stack: no Pulumi CLI or AWS needed."""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tools import test_aws


@dataclass
class Value:
    value: object


class FakeStack:
    """Records what the run asks of it; `up` returns outputs, or fails."""

    def __init__(self, outputs=None, up_fails=False):
        self.outputs = outputs or {"endpoint_url": "https://api.example/api", "topic_arn": "arn:aws:sns:eu-west-3:1:t"}
        self.up_fails = up_fails
        self.calls = []

    def up(self, **options):
        self.calls.append(("up", options))
        if self.up_fails:
            raise RuntimeError("update failed")
        return type("UpResult", (), {"outputs": {key: Value(value) for key, value in self.outputs.items()}})()

    def destroy(self, **options):
        self.calls.append(("destroy", options))


def run_with(tmp_path, stack, scenarios_exit_code=0):
    created, handed = [], []

    def create(name):
        created.append(name)
        return stack

    def scenarios(outputs_path):
        handed.append(json.loads(outputs_path.read_text()))
        return scenarios_exit_code

    outcome = test_aws.run("dev", create, scenarios, work_dir=tmp_path)
    return outcome, created, handed


def test_each_run_deploys_a_stack_of_its_own_with_the_policy_pack(tmp_path):
    first, second = FakeStack(), FakeStack()
    outcome_one, [name_one], _ = run_with(tmp_path, first)
    outcome_two, [name_two], _ = run_with(tmp_path, second)
    assert name_one != name_two
    assert name_one.startswith("dev-scenarios-")
    assert name_two.startswith("dev-scenarios-")
    [(verb, options), _] = first.calls
    assert verb == "up"
    assert options["policy_packs"] == [test_aws.POLICY_PACK]
    config = yaml.safe_load(Path(options["config_file"]).read_text())["config"]
    assert config["stock-levels:tableDeletionProtection"] is False
    assert outcome_one.passed
    assert outcome_two.passed


def test_the_scenarios_get_the_deployed_stacks_outputs(tmp_path):
    stack = FakeStack(outputs={"endpoint_url": "https://x/api", "queue_url": "https://q", "topic_arn": "arn:t"})
    _, _, [handed] = run_with(tmp_path, stack)
    assert handed == {"endpoint_url": "https://x/api", "queue_url": "https://q", "topic_arn": "arn:t"}


def test_the_stack_is_destroyed_and_removed_when_a_scenario_fails(tmp_path):
    stack = FakeStack()
    outcome, _, _ = run_with(tmp_path, stack, scenarios_exit_code=1)
    assert [verb for verb, _ in stack.calls] == ["up", "destroy"]
    assert stack.calls[-1][1]["remove"] is True
    assert not outcome.passed
    assert "FAILED" in test_aws.summary(outcome)


def test_the_stack_is_destroyed_and_removed_when_up_fails(tmp_path):
    stack = FakeStack(up_fails=True)
    outcome, _, handed = run_with(tmp_path, stack)
    assert handed == []
    assert [verb for verb, _ in stack.calls] == ["up", "destroy"]
    assert (outcome.scenarios_exit_code, outcome.destroyed, outcome.passed) == (None, True, False)


class StuckStack(FakeStack):
    def destroy(self, **options):
        raise RuntimeError("resource in use")


def test_a_failed_destroy_keeps_the_stack_and_says_how_to_finish(tmp_path, capsys):
    stack = StuckStack()
    outcome, [name], _ = run_with(tmp_path, stack)
    assert not outcome.passed
    assert f"pulumi destroy --stack {name} --remove" in capsys.readouterr().err


def test_the_ephemeral_stack_takes_the_base_stacks_settings_without_its_secrets(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: stock-levels\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: eu-west-3\n  stock-levels:tableDeletionProtection: true\n"
        "  stock-levels:notificationPhoneNumbers:\n    secure: v1:abc\n  stock-levels:logRetentionDays: 7\n"
    )
    assert test_aws.ephemeral_config("dev", tmp_path) == {
        "config": {
            "aws:region": "eu-west-3",
            "stock-levels:tableDeletionProtection": False,
            "stock-levels:logRetentionDays": 7,
        }
    }


@pytest.mark.parametrize("base", ["dev", "prod"])
def test_both_stacks_can_be_the_base(base):
    assert test_aws.ephemeral_config(base)["config"]["aws:region"] == "eu-west-3"
