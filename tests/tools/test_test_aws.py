"""`make test-aws`'s orchestration, with a fake Automation API stack: no Pulumi CLI or AWS needed."""

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tools import test_aws
from tools.test_aws import LeftBehind, TimeLimits

QUICK = TimeLimits(up=5, scenarios=5, destroy=5, cancel_grace=5)


@dataclass
class Value:
    value: object


class FakeStack:
    """Records what the run asks of it; `up` returns outputs, fails, or hangs until cancelled."""

    def __init__(self, outputs=None, up_fails=False, up_hangs=False):
        self.outputs = outputs or {"endpoint_url": "https://api.example/api", "topic_arn": "arn:aws:sns:eu-west-3:1:t"}
        self.up_fails = up_fails
        self.up_hangs = up_hangs
        self.cancelled = threading.Event()
        self.calls = []

    def up(self, **options):
        self.calls.append(("up", options))
        if self.up_hangs:
            self.cancelled.wait(60)
            raise RuntimeError("update cancelled")
        if self.up_fails:
            raise RuntimeError("update failed")
        return type("UpResult", (), {"outputs": {key: Value(value) for key, value in self.outputs.items()}})()

    def destroy(self, **options):
        self.calls.append(("destroy", options))

    def cancel(self):
        self.calls.append(("cancel", {}))
        self.cancelled.set()


def run_with(tmp_path, stack, scenarios_exit_code=0, limits=QUICK):
    created, handed = [], []

    def create(name):
        created.append(name)
        return stack

    def scenarios(outputs_path, seconds):
        handed.append(json.loads(outputs_path.read_text()))
        return scenarios_exit_code

    outcome = test_aws.run("dev", create, scenarios, work_dir=tmp_path, limits=limits)
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
    assert Path(options["config_file"]) == tmp_path / f"Pulumi.{name_one}.yaml"  # left there after the run
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


def test_an_up_past_its_time_limit_is_cancelled_and_the_stack_still_destroyed(tmp_path, capsys):
    stack = FakeStack(up_hangs=True)
    outcome, _, handed = run_with(tmp_path, stack, limits=TimeLimits(up=0.2, scenarios=5, destroy=5))
    assert [verb for verb, _ in stack.calls] == ["up", "cancel", "destroy"]
    assert handed == []
    assert (outcome.scenarios_exit_code, outcome.destroyed) == (None, True)
    assert "did not finish within 0.2 s and was cancelled" in capsys.readouterr().err


class StuckStack(FakeStack):
    def destroy(self, **options):
        raise RuntimeError("resource in use")


def test_a_failed_destroy_keeps_the_stack_and_says_how_to_finish(tmp_path, capsys):
    stack = StuckStack()
    outcome, [name], _ = run_with(tmp_path, stack)
    assert not outcome.passed
    assert f"pulumi destroy --stack {name} --remove" in capsys.readouterr().err


def secure_paths(value, path=""):
    """Every place a `secure` key sits in a settings document, at any depth."""
    if isinstance(value, dict):
        found = [f"{path}.secure"] if "secure" in value else []
        return found + [p for key, item in value.items() for p in secure_paths(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in secure_paths(item, f"{path}[{index}]")]
    return []


BASE = """\
config:
  aws:region: eu-west-3
  stock-levels:tableDeletionProtection: true
  stock-levels:manageApiGatewayAccount: true
  stock-levels:logRetentionDays: 7
  stock-levels:notificationPhoneNumbers:
    - secure: v1:AAAA
    - +33612345678
  stock-levels:notificationEmails:
    - buyer@shop.fr
  stock-levels:alarmEmails:
    - ops@shop.fr
  stock-levels:requireAlarmEmails: true
  stock-levels:alertChannels: [sns, webhook]
  stock-levels:alertWebhookUrl:
    secure: v1:BBBB
  stock-levels:deep:
    levels:
      - name: a
        token:
          secure: v1:CCCC
"""


def test_the_ephemeral_stack_is_harmless_whatever_its_base_holds(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: stock-levels\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(BASE)
    assert secure_paths(yaml.safe_load(BASE)) != []  # the walk finds what it looks for
    config = test_aws.ephemeral_config("dev", tmp_path)["config"]
    assert secure_paths(config) == []
    assert config == {
        "aws:region": "eu-west-3",
        "stock-levels:tableDeletionProtection": False,
        "stock-levels:manageApiGatewayAccount": False,
        "stock-levels:logRetentionDays": 7,
        "stock-levels:notificationPhoneNumbers": [],
        "stock-levels:notificationEmails": [],
        "stock-levels:alarmEmails": [],
        "stock-levels:requireAlarmEmails": False,
        "stock-levels:alertChannels": ["sns"],
        "stock-levels:deep": {"levels": [{"name": "a"}]},
    }


@pytest.mark.parametrize("base", ["dev", "prod"])
def test_both_stacks_can_be_the_base(base):
    assert test_aws.ephemeral_config(base)["config"]["aws:region"] == "eu-west-3"


def ephemeral(base, minutes_ago):
    return f"{base}-scenarios-{datetime.now(UTC) - timedelta(minutes=minutes_ago):%Y%m%d%H%M%S}-0a1b2c"


def test_cleanup_destroys_only_ephemeral_stacks_old_enough_that_no_run_still_owns_them():
    old, running_now, stuck = ephemeral("dev", 200), ephemeral("dev", 5), ephemeral("dev", 90)
    listed = [
        LeftBehind(old, False),
        LeftBehind(running_now, True),
        LeftBehind(f"org/stock-levels/{stuck}", True),
        LeftBehind("dev", False),
        LeftBehind(ephemeral("prod", 300), False),
    ]
    stacks: dict[str, FakeStack] = {}

    def select(name):
        return stacks.setdefault(name, FakeStack())

    failed = test_aws.clean_up("dev", listed, select, timedelta(minutes=60), QUICK)
    assert failed == []
    assert set(stacks) == {old, f"org/stock-levels/{stuck}"}
    assert [verb for verb, _ in stacks[old].calls] == ["destroy"]
    assert [verb for verb, _ in stacks[f"org/stock-levels/{stuck}"].calls] == ["cancel", "destroy"]
    destroys = [options for stack in stacks.values() for verb, options in stack.calls if verb == "destroy"]
    assert all(options["remove"] is True for options in destroys)


def test_cleanup_reports_what_it_could_not_destroy():
    name = ephemeral("dev", 200)
    assert test_aws.clean_up("dev", [LeftBehind(name, False)], lambda _: StuckStack(), timedelta(0), QUICK) == [name]


def test_cleanup_also_takes_the_stack_this_checkouts_cut_short_run_left_however_young():
    young, elsewhere = ephemeral("dev", 3), ephemeral("dev", 4).replace("0a1b2c", "ffffff")
    stacks: dict[str, FakeStack] = {}
    listed = [LeftBehind(young, True), LeftBehind(elsewhere, True)]
    test_aws.clean_up("dev", listed, lambda n: stacks.setdefault(n, FakeStack()), timedelta(hours=1), QUICK, young)
    assert list(stacks) == [young]


def test_a_run_names_its_stack_until_it_is_destroyed(tmp_path):
    _, [name], _ = run_with(tmp_path, StuckStack())
    assert (tmp_path / test_aws.UNFINISHED).read_text() == name
    _, [destroyed], _ = run_with(tmp_path, FakeStack())
    assert not (tmp_path / test_aws.UNFINISHED).exists()
    assert not (tmp_path / destroyed).exists()  # its outputs and files go with it; its settings file stays
    assert (tmp_path / f"Pulumi.{destroyed}.yaml").exists()


class DeafStack(FakeStack):
    """An `up` that a cancel does not stop, as a CLI that goes on after `pulumi cancel` would."""

    def cancel(self):
        self.calls.append(("cancel", {}))


def test_no_destroy_starts_beside_an_up_that_still_runs_after_its_cancel(tmp_path, capsys):
    stack = DeafStack(up_hangs=True)
    outcome, [name], _ = run_with(tmp_path, stack, limits=TimeLimits(up=0.1, cancel_grace=0.1))
    stack.cancelled.set()  # lets the fake's thread end
    assert [verb for verb, _ in stack.calls] == ["up", "cancel"]
    assert not outcome.destroyed
    assert (tmp_path / test_aws.UNFINISHED).read_text() == name
    assert "left for `make test-aws-cleanup STACK=dev`" in capsys.readouterr().err
