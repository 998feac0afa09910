"""`make test-aws STACK=dev`: the scenarios against an ephemeral stack, created and removed for the run.

It writes the ephemeral stack's settings file under build/test-aws/ from the base stack's (and leaves it there),
deploys a webhook receiver of its own (a second, small stack: tools.webhook_receiver_stack), creates a stack with
a unique name whose chat channel posts to that receiver (its URL set as a secret), runs `up` with the policy pack,
runs `tests/scenarios` against the outputs and the receiver, then destroys and removes the stack, and the
receiver after it, even when a scenario or an `up` fails. A failed `destroy` keeps its stack, so that nothing is
left in AWS without a stack that knows about it. Each step has a time limit: past it, the step is cancelled and
the run goes on to the destroys.

TARGET=aws (the default) deploys with the Pulumi Automation API, which drives the Pulumi CLI. TARGET=local puts
the local stack in the CLI's place and a loopback receiver in the receiver stack's (tools.local_rehearsal), so
that everything else, the settings file, the secret, the scenarios reaching the stack through the standard AWS
variables only, the destroys and the summary, is rehearsed on every `make test`. `make test-aws-cleanup` destroys
the ephemeral stacks and receivers a cancelled run left behind.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import yaml

from tools.local_rehearsal import LocalStackProcess, LoopbackReceiver
from tools.stack_outputs import local_stack_environment

if TYPE_CHECKING:
    from pulumi import automation

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = ROOT / "build" / "test-aws"
POLICY_PACK = str(ROOT / "policy")
# In the work dir: the name of the ephemeral stack and receiver this checkout's last run did not both destroy.
UNFINISHED = "unfinished-stack"
WEBHOOK_URL_SETTING = "alertWebhookUrl"
RECEIVER_OUTPUTS_VARIABLE = "WEBHOOK_RECEIVER_OUTPUTS"  # tells the scenarios where the receiver's outputs are
T = TypeVar("T")

# What makes an ephemeral stack harmless, whatever its base stack holds. The region's API Gateway account setting
# belongs to the long-lived stacks (docs/deploying.md: one stack per region manages it); nobody is mailed or texted each
# night, since the scenarios subscribe a queue of their own; and the chat channel posts to the run's own webhook
# receiver, whose URL the run sets (as a secret), never to the base stack's chat.
HARMLESS_SETTINGS: dict[str, Any] = {
    "tableDeletionProtection": False,
    "manageApiGatewayAccount": False,
    "alertChannels": ["sns", "webhook"],
    "notificationPhoneNumbers": [],
    "notificationEmails": [],
    "alarmEmails": [],
    "requireAlarmEmails": False,
}


@dataclass(frozen=True)
class TimeLimits:
    """Seconds each step may take: the receiver's up, the ephemeral stack's up, the scenarios, its destroy, then
    the receiver's destroy. Their sum stays under the workflow step's timeout (tests/delivery checks it), so that
    the run reaches its own destroys, and the cleanup step after it still has time."""

    receiver_up: float = 4 * 60
    up: float = 15 * 60
    scenarios: float = 8 * 60
    destroy: float = 10 * 60
    receiver_destroy: float = 4 * 60
    cancel_grace: float = 60

    def longest_run(self) -> float:
        """The most a run can take: each step to its limit, and a cancel's grace after each of the two `up`s."""
        ups = self.receiver_up + self.up + 2 * self.cancel_grace
        return ups + self.scenarios + self.destroy + self.receiver_destroy


class Deployable(Protocol):
    """What the run needs of a stack: pulumi.automation.Stack has it, and so have tools.local_rehearsal's."""

    def up(self, **options: Any) -> Any: ...

    def destroy(self, **options: Any) -> Any: ...

    def cancel(self) -> None: ...


class EphemeralStack(Deployable, Protocol):
    """The stack under test, which is also given a secret setting."""

    def set_secret(self, key: str, value: str, config_file: str) -> None:
        """Store `value` encrypted for this stack under `key` in `config_file`, the settings its `up` reads."""
        ...


CreateStack = Callable[[str], EphemeralStack]
CreateReceiver = Callable[[str, str | None], Deployable]  # a name and a region
RunScenarios = Callable[[Path, Path, float], int]  # the stack's outputs, the receiver's, and the time limit


class TimeLimitExceeded(RuntimeError):
    """A step ran past its time limit and was cancelled; `still_running` if it had not ended even then."""

    def __init__(self, message: str, still_running: bool) -> None:
        super().__init__(message)
        self.still_running = still_running


@dataclass
class Outcome:
    stack_name: str
    scenarios_exit_code: int | None
    destroyed: bool
    receiver_destroyed: bool

    @property
    def passed(self) -> bool:
        return self.scenarios_exit_code == 0 and self.destroyed and self.receiver_destroyed


def ephemeral_name(base: str) -> str:
    """A stack name no other run uses: the base stack, the time, and random digits."""
    return f"{base}-scenarios-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def _ephemeral_time(name: str, base: str) -> datetime | None:
    """When the run that named this stack started, if it is one of `base`'s ephemeral stacks."""
    found = re.fullmatch(rf"{re.escape(base)}-scenarios-(\d{{14}})-[0-9a-f]{{6}}", name.rsplit("/", 1)[-1])
    return datetime.strptime(found.group(1), "%Y%m%d%H%M%S").replace(tzinfo=UTC) if found else None


def without_secrets(value: Any) -> Any:
    """`value` with every `{secure: ...}` taken out, at any depth: a secret is encrypted for its own stack alone,
    and `pulumi config set --secret --path 'list[0]'` stores one inside a list."""
    if isinstance(value, dict):
        return {key: without_secrets(item) for key, item in value.items() if not _is_secret(item)}
    if isinstance(value, list):
        return [without_secrets(item) for item in value if not _is_secret(item)]
    return value


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and "secure" in value


def ephemeral_config(base: str, project_dir: Path = ROOT, base_file: Path | None = None) -> dict[str, Any]:
    """The base stack's settings, made harmless and without secrets, as a stack file."""
    stack_file = base_file or project_dir / f"Pulumi.{base}.yaml"
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"]
    kept = without_secrets(config)
    kept.update({f"{project}:{key}": value for key, value in HARMLESS_SETTINGS.items()})
    return {"config": kept}


def bounded(call: Callable[[], T], seconds: float, cancel: Callable[[], None], what: str, grace: float) -> T:
    """`call()`, given `seconds`; past them `cancel()`, then TimeLimitExceeded. The Automation API has no time limit
    of its own: it waits for the CLI. Its cancel is `pulumi cancel`, which "cancels the update currently being
    applied to a stack" on the backend and "may leave the stack in an inconsistent state if a resource operation
    was pending" (pulumi.com/docs/iac/cli/commands/pulumi_cancel); that the CLI running the update then ends is
    not documented, so `grace` is how long to wait for it, and TimeLimitExceeded says if it still runs."""
    results: list[T] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def attempt() -> None:
        try:
            results.append(call())
        except BaseException as error:
            errors.append(error)
        finally:
            done.set()

    threading.Thread(target=attempt, name=what, daemon=True).start()
    if not done.wait(seconds):
        try:
            cancel()
        except Exception as error:
            print(f"cancelling {what} failed: {error}", file=sys.stderr)
        ended = done.wait(grace)
        state = "" if ended else f"; it still runs {grace:g} s later"
        raise TimeLimitExceeded(f"{what} did not finish within {seconds:g} s and was cancelled{state}", not ended)
    if errors:
        raise errors[0]
    return results[0]


def run(
    base: str,
    create_stack: CreateStack,
    run_scenarios: RunScenarios,
    create_receiver: CreateReceiver,
    work_dir: Path = WORK_DIR,
    base_file: Path | None = None,
    limits: TimeLimits = TimeLimits(),
) -> Outcome:
    """Deploy a webhook receiver, then create, deploy, test, destroy and remove one ephemeral stack that posts to
    it, then destroy the receiver; report what happened."""
    name = ephemeral_name(base)
    (work_dir / name).mkdir(parents=True, exist_ok=True)
    config_file = work_dir / f"Pulumi.{name}.yaml"
    config = ephemeral_config(base, base_file=base_file)
    config_file.write_text(yaml.safe_dump(config))
    print(f"Ephemeral stack {name}, its settings in {config_file}")
    # Named until both are destroyed: if this run is cut short, `make test-aws-cleanup` in the same checkout takes
    # them (the receiver stack has the same name, in a project of its own).
    (work_dir / UNFINISHED).write_text(name)
    receiver = create_receiver(name, config["config"].get("aws:region"))
    receiver_running = False
    exit_code: int | None = None
    destroyed = True  # nothing to destroy while no ephemeral stack exists
    try:
        deployed = bounded(
            lambda: receiver.up(on_output=print),
            limits.receiver_up,
            receiver.cancel,
            f"up of the webhook receiver {name}",
            limits.cancel_grace,
        )
    except Exception as error:
        receiver_running = isinstance(error, TimeLimitExceeded) and error.still_running
        print(f"up of the webhook receiver {name} failed, so the ephemeral stack is not made: {error}", file=sys.stderr)
    else:
        receiver_outputs = work_dir / name / "webhook_receiver.json"
        receiver_outputs.write_text(json.dumps(_values(deployed.outputs), indent=2))
        stack = create_stack(name)
        exit_code, destroyed = _test_stack(
            stack, name, deployed.outputs["url"].value, config_file, receiver_outputs, run_scenarios, limits
        )
    finally:
        # Last: until the ephemeral stack is gone, its chat channel may still post to the receiver.
        receiver_destroyed = not receiver_running and _destroy(
            receiver, f"the webhook receiver {name}", {"on_output": print}, limits.receiver_destroy
        )
    if destroyed and receiver_destroyed:
        (work_dir / UNFINISHED).unlink(missing_ok=True)
        shutil.rmtree(work_dir / name, ignore_errors=True)  # its outputs, the receiver's, and a local stack's files
    for left, what in ((destroyed, "the ephemeral stack"), (receiver_destroyed, "the webhook receiver")):
        if not left:
            print(f"{what} {name} is left for `make test-aws-cleanup STACK={base}`", file=sys.stderr)
    return Outcome(name, exit_code, destroyed, receiver_destroyed)


def _test_stack(
    stack: EphemeralStack,
    name: str,
    webhook_url: str,
    config_file: Path,
    receiver_outputs: Path,
    run_scenarios: RunScenarios,
    limits: TimeLimits,
) -> tuple[int | None, bool]:
    """Give the stack the receiver's URL, deploy it, run the scenarios, destroy it: the scenarios' exit code (None
    if they did not run) and whether it was destroyed."""
    options = {"config_file": str(config_file), "on_output": print}
    exit_code: int | None = None
    up_running = False
    try:
        stack.set_secret(WEBHOOK_URL_SETTING, webhook_url, str(config_file))
        result = bounded(
            lambda: stack.up(policy_packs=[POLICY_PACK], **options),
            limits.up,
            stack.cancel,
            f"up of {name}",
            limits.cancel_grace,
        )
    except Exception as error:
        up_running = isinstance(error, TimeLimitExceeded) and error.still_running
        print(f"up of {name} failed: {error}", file=sys.stderr)
    else:
        outputs_path = receiver_outputs.parent / "outputs.json"
        outputs_path.write_text(json.dumps(_values(result.outputs), indent=2))
        exit_code = run_scenarios(outputs_path, receiver_outputs, limits.scenarios)
    finally:
        # A destroy beside an `up` still running would find the stack locked; the cleanup step comes later.
        destroyed = not up_running and _destroy(
            stack, name, options, limits.destroy, f"pulumi destroy --stack {name} --remove, or make test-aws-cleanup"
        )
    return exit_code, destroyed


def _values(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Stack outputs as the Automation API hands them over (each with `.value`), as plain values."""
    return {key: value.value for key, value in outputs.items()}


def _destroy(
    stack: Deployable, name: str, options: dict[str, Any], seconds: float, by_hand: str = "make test-aws-cleanup"
) -> bool:
    try:
        # remove=True removes the stack once its resources are gone.
        bounded(lambda: stack.destroy(remove=True, **options), seconds, stack.cancel, f"destroy of {name}", 0)
    except Exception as error:
        print(f"destroy of {name} failed; its resources remain and so does the stack: {error}", file=sys.stderr)
        print(f"  finish with {by_hand}", file=sys.stderr)
        return False
    return True


def scenarios_against(
    outputs_path: Path, receiver_outputs: Path, seconds: float, environment: Mapping[str, str]
) -> int:
    """Run tests/scenarios against the stack whose outputs are in `outputs_path`, reached with `environment`, and
    the webhook receiver its chat channel posts to."""
    command = [sys.executable, "-m", "pytest", "tests/scenarios", "-v", "-p", "no:cacheprovider"]
    variables = {"STACK_OUTPUTS": str(outputs_path), RECEIVER_OUTPUTS_VARIABLE: str(receiver_outputs)}
    try:
        return subprocess.run(
            command, cwd=ROOT, env={**environment, **variables}, check=False, timeout=seconds
        ).returncode
    except subprocess.TimeoutExpired:
        print(f"the scenarios did not finish within {seconds:g} s", file=sys.stderr)
        return 124


class AutomationStack:
    """A pulumi.automation.Stack of this project as the run uses it. Its `set_config` writes to the settings file
    the workspace finds (Pulumi.<stack>.yaml beside Pulumi.yaml), not to the one the run's `up` reads, so
    `set_secret` runs `pulumi config set --secret --config-file` (a flag every `pulumi config` command takes:
    pulumi.com/docs/iac/cli/commands/pulumi_config_set) through the workspace's own Pulumi command, as `set_config`
    does, value on the command line included."""

    def __init__(self, stack: automation.Stack) -> None:
        self.stack = stack

    def up(self, **options: Any) -> Any:
        return self.stack.up(**options)

    def destroy(self, **options: Any) -> Any:
        return self.stack.destroy(**options)

    def cancel(self) -> None:
        self.stack.cancel()

    def set_secret(self, key: str, value: str, config_file: str) -> None:
        workspace = cast("automation.LocalWorkspace", self.stack.workspace)
        arguments = ["config", "set", "--stack", self.stack.name, "--config-file", config_file, "--secret", key]
        environment = {"PULUMI_HOME": workspace.pulumi_home} if workspace.pulumi_home else {}
        workspace.pulumi_command.run(
            [*arguments, "--", value], workspace.work_dir, {**environment, **workspace.env_vars}
        )


def automation_stack(name: str) -> EphemeralStack:
    """A new stack of this project, in PULUMI_ORG if set; the Automation API runs the Pulumi CLI."""
    from pulumi import automation

    return AutomationStack(automation.create_stack(stack_name=_qualified(name), work_dir=str(ROOT)))


def automation_receiver(name: str, region: str | None) -> Deployable:
    """A new stack of the webhook receiver's project (an inline program), named like the ephemeral stack, in its
    region. The program runs in this process, so the CLI learns of no plugin from a project file: the AWS provider
    of the installed pulumi_aws is installed first."""
    from pulumi import automation

    from tools import webhook_receiver_stack

    stack = automation.create_stack(
        stack_name=_qualified(name), project_name=webhook_receiver_stack.PROJECT, program=webhook_receiver_stack.program
    )
    _install_aws_provider(stack.workspace)
    if region:
        stack.set_config("aws:region", automation.ConfigValue(region))
    # Stack.up and destroy take these options by name; the Protocol keeps the fakes in tests honest.
    return cast(Deployable, stack)


def _install_aws_provider(workspace: automation.Workspace) -> None:
    workspace.install_plugin("aws", f"v{importlib.metadata.version('pulumi_aws')}")


def _qualified(name: str) -> str:
    organisation = os.environ.get("PULUMI_ORG")
    return f"{organisation}/{name}" if organisation and "/" not in name else name


@dataclass
class LeftBehind:
    """An ephemeral stack of an earlier run, as the backend lists it."""

    name: str
    update_in_progress: bool


def clean_up(
    base: str,
    left_behind: list[LeftBehind],
    select_stack: Callable[[str], Deployable],
    older_than: timedelta,
    destroy_seconds: float = TimeLimits.destroy,
    this_checkouts: str | None = None,
) -> list[str]:
    """Destroy and remove `base`'s ephemeral stacks (or webhook receivers) started longer than `older_than` ago, so
    never one whose run may still be going elsewhere, and the one this checkout's run left (`this_checkouts`),
    whatever its age. An update still marked in progress there is cancelled first (`pulumi cancel`). Returns the
    names it could not destroy."""
    now = datetime.now(UTC)
    failed = []
    for stack in left_behind:
        started = _ephemeral_time(stack.name, base)
        ours = this_checkouts is not None and stack.name.rsplit("/", 1)[-1] == this_checkouts
        if started is None or (now - started < older_than and not ours):
            continue
        print(f"cleaning up {stack.name}, left behind by a run started {started:%Y-%m-%d %H:%M} UTC")
        selected = select_stack(stack.name)
        if stack.update_in_progress:
            try:
                selected.cancel()
            except Exception as error:
                print(f"  cancelling its update failed: {error}", file=sys.stderr)
        if not _destroy(selected, stack.name, {"on_output": print}, destroy_seconds):
            failed.append(stack.name)
    return failed


def _automation_left_behind() -> tuple[list[LeftBehind], Callable[[str], Deployable]]:
    from pulumi import automation

    workspace = automation.LocalWorkspace(work_dir=str(ROOT))
    stacks = [LeftBehind(s.name, bool(s.update_in_progress)) for s in workspace.list_stacks(include_all=False)]

    def select(name: str) -> Deployable:
        return cast(Deployable, automation.select_stack(stack_name=_qualified(name), work_dir=str(ROOT)))

    return stacks, select


def _automation_receivers_left_behind() -> tuple[list[LeftBehind], Callable[[str], Deployable]]:
    """The webhook receivers' stacks, listed from a workspace of their project (`pulumi stack ls` lists the
    current project's)."""
    from pulumi import automation

    from tools import webhook_receiver_stack

    project = webhook_receiver_stack.PROJECT
    workspace = automation.LocalWorkspace(project_settings=automation.ProjectSettings(name=project, runtime="python"))
    stacks = [LeftBehind(s.name, bool(s.update_in_progress)) for s in workspace.list_stacks(include_all=False)]

    def select(name: str) -> Deployable:
        stack = automation.select_stack(
            stack_name=_qualified(name), project_name=project, program=webhook_receiver_stack.program
        )
        _install_aws_provider(stack.workspace)
        return cast(Deployable, stack)

    return stacks, select


def summary(outcome: Outcome) -> str:
    """One line for the console and the workflow's summary."""
    scenarios = {None: "did not run (an up failed)", 0: "passed"}.get(outcome.scenarios_exit_code, "FAILED")

    def removal(destroyed: bool) -> str:
        return "destroyed and removed" if destroyed else "NOT destroyed (see the log)"

    return (
        f"Scenarios against ephemeral stack {outcome.stack_name}: {scenarios}; stack {removal(outcome.destroyed)}; "
        f"webhook receiver {removal(outcome.receiver_destroyed)}."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make test-aws", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="dev", help="the stack whose settings the ephemeral stack takes")
    parser.add_argument("--stack-file", type=Path, help="its settings file (default: Pulumi.<stack>.yaml)")
    parser.add_argument("--target", choices=("aws", "local"), default="aws", help="AWS, or the local stack")
    parser.add_argument("--cleanup", action="store_true", help="destroy the stack's ephemeral stacks left behind")
    parser.add_argument("--older-than-minutes", type=float, default=60, help="with --cleanup: which ones")
    args = parser.parse_args(argv)
    limits = TimeLimits()
    if args.cleanup:
        unfinished = WORK_DIR / UNFINISHED
        ours = unfinished.read_text().strip() if unfinished.exists() else None
        older_than = timedelta(minutes=args.older_than_minutes)
        # The ephemeral stacks first, then the receivers their chat channels post to, as a run destroys them.
        stacks, select = _automation_left_behind()
        failed = clean_up(args.stack, stacks, select, older_than, limits.destroy, ours)
        receivers, select_receiver = _automation_receivers_left_behind()
        failed_receivers = clean_up(args.stack, receivers, select_receiver, older_than, limits.receiver_destroy, ours)
        if ours and all(name.rsplit("/", 1)[-1] != ours for name in failed + failed_receivers):
            unfinished.unlink()
        print(
            f"Cleanup: {len(failed)} ephemeral stack(s) of {args.stack} could not be destroyed {failed}, and "
            f"{len(failed_receivers)} webhook receiver(s) {failed_receivers}"
        )
        return 1 if failed or failed_receivers else 0
    if args.target == "local":

        def local_stack(name: str) -> EphemeralStack:
            return LocalStackProcess(name, WORK_DIR / name, ROOT)

        def loopback_receiver(name: str, region: str | None) -> Deployable:
            return LoopbackReceiver()

        def local_scenarios(outputs: Path, receiver: Path, seconds: float) -> int:
            return scenarios_against(outputs, receiver, seconds, local_stack_environment(outputs.parent, os.environ))

        outcome = run(
            args.stack, local_stack, local_scenarios, loopback_receiver, base_file=args.stack_file, limits=limits
        )
    else:

        def aws_scenarios(outputs: Path, receiver: Path, seconds: float) -> int:
            return scenarios_against(outputs, receiver, seconds, os.environ)

        outcome = run(
            args.stack, automation_stack, aws_scenarios, automation_receiver, base_file=args.stack_file, limits=limits
        )
    print(summary(outcome))
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main())
