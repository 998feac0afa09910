"""`make test-aws`'s orchestration, with fake Automation API stacks: no Pulumi CLI or AWS needed."""

import importlib.metadata
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
import yaml
from pulumi import automation

from tools import test_aws, webhook_receiver_stack
from tools.test_aws import LeftBehind, TimeLimits

QUICK = TimeLimits(receiver_up=5, up=5, scenarios=5, destroy=5, receiver_destroy=5, cancel_grace=5)
RECEIVER_OUTPUTS = {"url": "https://abc.lambda-url.eu-west-3.on.aws/hook", "posts_table": "posts-0a1b2c3"}


@dataclass
class Value:
    value: object


class FakeStack:
    """Records what the run asks of it, also in a `log` shared with other stacks if given; `up` returns outputs,
    fails, or hangs until cancelled."""

    def __init__(self, outputs=None, up_fails=False, up_hangs=False, log=None, name="stack"):
        self.outputs = outputs or {"endpoint_url": "https://api.example/api", "topic_arn": "arn:aws:sns:eu-west-3:1:t"}
        self.up_fails = up_fails
        self.up_hangs = up_hangs
        self.cancelled = threading.Event()
        self.calls = []
        self.log = log if log is not None else []
        self.name = name

    def _record(self, verb, options):
        self.calls.append((verb, options))
        self.log.append((self.name, verb))

    def set_secret(self, key, value, config_file):
        self._record("set_secret", {"key": key, "value": value, "config_file": config_file})

    def up(self, **options):
        self._record("up", options)
        if self.up_hangs:
            self.cancelled.wait(60)
            raise RuntimeError("update cancelled")
        if self.up_fails:
            raise RuntimeError("update failed")
        return type("UpResult", (), {"outputs": {key: Value(value) for key, value in self.outputs.items()}})()

    def destroy(self, **options):
        self._record("destroy", options)

    def cancel(self):
        self._record("cancel", {})
        self.cancelled.set()


def receiver_like(**options):
    return FakeStack(outputs=RECEIVER_OUTPUTS, name="receiver", **options)


def run_with(tmp_path, stack, scenarios_exit_code=0, limits=QUICK, receiver=None, base_file=None):
    """One run with these fakes: the outcome, the names of the stacks created, the outputs the scenarios got."""
    receiver = receiver or receiver_like()
    created, handed = [], []

    def create(name):
        created.append(name)
        return stack

    def create_receiver(name, region):
        receiver.created_as = (name, region)
        return receiver

    def scenarios(outputs_path, receiver_path, seconds):
        handed.append(json.loads(outputs_path.read_text()))
        receiver.handed = json.loads(receiver_path.read_text())
        return scenarios_exit_code

    outcome = test_aws.run("dev", create, scenarios, create_receiver, tmp_path, base_file, limits)
    return outcome, created, handed


def test_each_run_deploys_a_stack_of_its_own_with_the_policy_pack(tmp_path):
    first, second = FakeStack(), FakeStack()
    outcome_one, [name_one], _ = run_with(tmp_path, first)
    outcome_two, [name_two], _ = run_with(tmp_path, second)
    assert name_one != name_two
    assert name_one.startswith("dev-scenarios-")
    assert name_two.startswith("dev-scenarios-")
    [_, (verb, options), _] = first.calls
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
    assert [verb for verb, _ in stack.calls] == ["set_secret", "up", "destroy"]
    assert stack.calls[-1][1]["remove"] is True
    assert not outcome.passed
    assert "FAILED" in test_aws.summary(outcome)


def test_the_stack_is_destroyed_and_removed_when_up_fails(tmp_path):
    stack = FakeStack(up_fails=True)
    outcome, _, handed = run_with(tmp_path, stack)
    assert handed == []
    assert [verb for verb, _ in stack.calls] == ["set_secret", "up", "destroy"]
    assert (outcome.scenarios_exit_code, outcome.destroyed, outcome.passed) == (None, True, False)


def test_an_up_past_its_time_limit_is_cancelled_and_the_stack_still_destroyed(tmp_path, capsys):
    stack = FakeStack(up_hangs=True)
    outcome, _, handed = run_with(tmp_path, stack, limits=TimeLimits(up=0.2, scenarios=5, destroy=5))
    assert [verb for verb, _ in stack.calls] == ["set_secret", "up", "cancel", "destroy"]
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
    err = capsys.readouterr().err
    assert f"pulumi destroy --stack {name} --remove" in err
    assert f"the ephemeral stack {name} is left for `make test-aws-cleanup STACK=dev`" in err


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
        "stock-levels:alertChannels": ["sns", "webhook"],
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

    failed = test_aws.clean_up("dev", listed, select, timedelta(minutes=60), QUICK.destroy)
    assert failed == []
    assert set(stacks) == {old, f"org/stock-levels/{stuck}"}
    assert [verb for verb, _ in stacks[old].calls] == ["destroy"]
    assert [verb for verb, _ in stacks[f"org/stock-levels/{stuck}"].calls] == ["cancel", "destroy"]
    destroys = [options for stack in stacks.values() for verb, options in stack.calls if verb == "destroy"]
    assert all(options["remove"] is True for options in destroys)


def test_cleanup_reports_what_it_could_not_destroy():
    name = ephemeral("dev", 200)
    assert test_aws.clean_up("dev", [LeftBehind(name, False)], lambda _: StuckStack(), timedelta(0), 5) == [name]


def test_cleanup_also_takes_the_stack_this_checkouts_cut_short_run_left_however_young():
    young, elsewhere = ephemeral("dev", 3), ephemeral("dev", 4).replace("0a1b2c", "ffffff")
    stacks: dict[str, FakeStack] = {}
    listed = [LeftBehind(young, True), LeftBehind(elsewhere, True)]
    test_aws.clean_up("dev", listed, lambda n: stacks.setdefault(n, FakeStack()), timedelta(hours=1), 5, young)
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
    assert [verb for verb, _ in stack.calls] == ["set_secret", "up", "cancel"]
    assert not outcome.destroyed
    assert (tmp_path / test_aws.UNFINISHED).read_text() == name
    assert "left for `make test-aws-cleanup STACK=dev`" in capsys.readouterr().err


def test_the_receiver_is_deployed_first_and_the_stack_gets_its_url_as_a_secret_in_the_file_its_up_reads(tmp_path):
    log: list[tuple[str, str]] = []
    stack, receiver = FakeStack(log=log), receiver_like(log=log)
    _, [name], _ = run_with(tmp_path, stack, receiver=receiver)
    assert log == [
        ("receiver", "up"),
        ("stack", "set_secret"),
        ("stack", "up"),
        ("stack", "destroy"),
        ("receiver", "destroy"),
    ]
    assert receiver.created_as == (name, "eu-west-3")
    [(_, secret), (_, up)] = stack.calls[:2]
    assert secret == {"key": "alertWebhookUrl", "value": RECEIVER_OUTPUTS["url"], "config_file": up["config_file"]}
    assert [options["remove"] for verb, options in receiver.calls if verb == "destroy"] == [True]


def test_the_receiver_is_deployed_in_the_base_stacks_region(tmp_path):
    base = tmp_path / "Pulumi.base.yaml"
    base.write_text("config:\n  aws:region: eu-central-1\n")
    receiver = receiver_like()
    _, [name], _ = run_with(tmp_path, FakeStack(), receiver=receiver, base_file=base)
    assert receiver.created_as == (name, "eu-central-1")


def test_the_scenarios_get_the_receivers_outputs_beside_the_stacks(tmp_path):
    receiver = receiver_like()
    outcome, _, [handed] = run_with(tmp_path, FakeStack(), receiver=receiver)
    assert receiver.handed == RECEIVER_OUTPUTS
    assert handed["endpoint_url"] == "https://api.example/api"
    assert outcome.passed
    assert "webhook receiver destroyed and removed" in test_aws.summary(outcome)


def test_without_a_receiver_no_ephemeral_stack_is_made_and_the_receiver_is_still_destroyed(tmp_path, capsys):
    receiver = receiver_like(up_fails=True)
    outcome, created, handed = run_with(tmp_path, FakeStack(), receiver=receiver)
    assert (created, handed) == ([], [])
    assert [verb for verb, _ in receiver.calls] == ["up", "destroy"]
    assert (outcome.scenarios_exit_code, outcome.destroyed, outcome.receiver_destroyed) == (None, True, True)
    assert not outcome.passed
    assert "the ephemeral stack is not made" in capsys.readouterr().err


def test_a_receiver_up_past_its_time_limit_is_cancelled_then_destroyed(tmp_path):
    receiver = receiver_like(up_hangs=True)
    outcome, created, _ = run_with(tmp_path, FakeStack(), receiver=receiver, limits=TimeLimits(receiver_up=0.2))
    assert created == []
    assert [verb for verb, _ in receiver.calls] == ["up", "cancel", "destroy"]
    assert outcome.receiver_destroyed
    assert not (tmp_path / test_aws.UNFINISHED).exists()


def test_a_receiver_whose_up_goes_on_after_its_cancel_is_left_named_for_the_cleanup(tmp_path, capsys):
    receiver = DeafStack(outputs=RECEIVER_OUTPUTS, up_hangs=True)
    outcome, [], _ = run_with(
        tmp_path, FakeStack(), receiver=receiver, limits=TimeLimits(receiver_up=0.1, cancel_grace=0.1)
    )
    receiver.cancelled.set()  # lets the fake's thread end
    assert [verb for verb, _ in receiver.calls] == ["up", "cancel"]
    assert not outcome.receiver_destroyed
    name = (tmp_path / test_aws.UNFINISHED).read_text()
    assert f"the webhook receiver {name} is left for `make test-aws-cleanup STACK=dev`" in capsys.readouterr().err


def test_the_receiver_is_destroyed_even_when_the_stacks_destroy_fails(tmp_path):
    receiver = receiver_like()
    outcome, _, _ = run_with(tmp_path, StuckStack(), receiver=receiver)
    assert [verb for verb, _ in receiver.calls] == ["up", "destroy"]
    assert (outcome.destroyed, outcome.receiver_destroyed, outcome.passed) == (False, True, False)


def test_a_receiver_that_cannot_be_destroyed_fails_the_run_and_stays_named_for_the_cleanup(tmp_path, capsys):
    stuck = StuckStack(outputs=RECEIVER_OUTPUTS)
    outcome, [name], _ = run_with(tmp_path, FakeStack(), receiver=stuck)
    assert (outcome.destroyed, outcome.receiver_destroyed, outcome.passed) == (True, False, False)
    assert (tmp_path / test_aws.UNFINISHED).read_text() == name
    assert "webhook receiver NOT destroyed" in test_aws.summary(outcome)
    assert "finish with make test-aws-cleanup" in capsys.readouterr().err


def test_the_longest_run_counts_every_step_and_a_grace_after_each_up():
    limits = TimeLimits(receiver_up=1, up=10, scenarios=100, destroy=1000, receiver_destroy=10000, cancel_grace=100000)
    assert limits.longest_run() == 211111


class FakeCommand:
    def __init__(self):
        self.runs = []

    def run(self, args, cwd, additional_env, on_output=None, on_error=None):
        self.runs.append((args, cwd, additional_env))


class FakeWorkspace:
    def __init__(self):
        self.pulumi_command = FakeCommand()
        self.pulumi_home = "/home/ci/.pulumi"
        self.env_vars = {"PULUMI_CONFIG_PASSPHRASE": "p"}
        self.work_dir = "/project"
        self.plugins = []

    def install_plugin(self, name, version):
        self.plugins.append((name, version))


class FakeAutomationStack:
    def __init__(self, name):
        self.name = name
        self.workspace = FakeWorkspace()
        self.config = {}

    def set_config(self, key, value):
        self.config[key] = (value.value, value.secret)


def test_the_secret_is_set_encrypted_in_the_settings_file_the_up_reads_through_the_workspaces_command():
    stack = FakeAutomationStack("org/dev-scenarios-x")
    test_aws.AutomationStack(cast(automation.Stack, stack)).set_secret(
        "alertWebhookUrl", "https://r/hook", "build/test-aws/Pulumi.x.yaml"
    )
    [(args, cwd, environment)] = stack.workspace.pulumi_command.runs
    assert args == [
        "config",
        "set",
        "--stack",
        "org/dev-scenarios-x",
        "--config-file",
        "build/test-aws/Pulumi.x.yaml",
        "--secret",
        "alertWebhookUrl",
        "--",
        "https://r/hook",
    ]
    assert cwd == "/project"
    assert environment == {"PULUMI_HOME": "/home/ci/.pulumi", "PULUMI_CONFIG_PASSPHRASE": "p"}


def test_the_receiver_is_an_inline_program_of_its_own_project_with_the_installed_aws_provider(monkeypatch):
    created = {}
    stack = FakeAutomationStack("org/dev-scenarios-x")

    def create_stack(**arguments):
        created.update(arguments)
        return stack

    monkeypatch.setattr(automation, "create_stack", create_stack)
    monkeypatch.setenv("PULUMI_ORG", "org")
    receiver: object = test_aws.automation_receiver("dev-scenarios-x", "eu-west-3")
    assert receiver is stack
    assert created == {
        "stack_name": "org/dev-scenarios-x",
        "project_name": "stock-levels-webhook-receiver",
        "program": webhook_receiver_stack.program,
    }
    assert stack.workspace.plugins == [("aws", f"v{importlib.metadata.version('pulumi_aws')}")]
    assert stack.config == {"aws:region": ("eu-west-3", False)}


def test_cleanup_destroys_the_left_stacks_then_their_receivers_and_forgets_this_checkouts(tmp_path, monkeypatch):
    old = ephemeral("dev", 200)
    log: list[tuple[str, str]] = []
    stacks = {old: FakeStack(log=log, name="stack")}
    receivers = {old: FakeStack(log=log, name="receiver")}
    monkeypatch.setattr(test_aws, "WORK_DIR", tmp_path)
    (tmp_path / test_aws.UNFINISHED).write_text(old)
    monkeypatch.setattr(test_aws, "_automation_left_behind", lambda: ([LeftBehind(old, False)], stacks.__getitem__))
    monkeypatch.setattr(
        test_aws, "_automation_receivers_left_behind", lambda: ([LeftBehind(old, False)], receivers.__getitem__)
    )
    assert test_aws.main(["--cleanup", "--stack", "dev"]) == 0
    assert log == [("stack", "destroy"), ("receiver", "destroy")]
    assert not (tmp_path / test_aws.UNFINISHED).exists()


def test_cleanup_keeps_this_checkouts_name_while_its_receiver_remains(tmp_path, monkeypatch, capsys):
    young = ephemeral("dev", 2)
    monkeypatch.setattr(test_aws, "WORK_DIR", tmp_path)
    (tmp_path / test_aws.UNFINISHED).write_text(young)
    monkeypatch.setattr(test_aws, "_automation_left_behind", lambda: ([], None))
    monkeypatch.setattr(
        test_aws, "_automation_receivers_left_behind", lambda: ([LeftBehind(young, False)], lambda _: StuckStack())
    )
    assert test_aws.main(["--cleanup", "--stack", "dev"]) == 1
    assert (tmp_path / test_aws.UNFINISHED).read_text() == young
    assert f"and 1 webhook receiver(s) ['{young}']" in capsys.readouterr().out


def test_the_scenarios_are_told_where_the_stacks_and_the_receivers_outputs_are(tmp_path, monkeypatch):
    ran: dict[str, object] = {}

    def run(command, **options):
        ran.update(options, command=command)
        return type("Completed", (), {"returncode": 0})()

    monkeypatch.setattr(subprocess, "run", run)
    outputs, receiver = tmp_path / "outputs.json", tmp_path / "webhook_receiver.json"
    assert test_aws.scenarios_against(outputs, receiver, 60, {"AWS_PROFILE": "ci"}) == 0
    assert ran["command"] == [sys.executable, "-m", "pytest", "tests/scenarios", "-v", "-p", "no:cacheprovider"]
    assert ran["env"] == {
        "AWS_PROFILE": "ci",
        "STACK_OUTPUTS": str(outputs),
        test_aws.RECEIVER_OUTPUTS_VARIABLE: str(receiver),
    }
    assert ran["timeout"] == 60
