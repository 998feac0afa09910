"""`make test-aws STACK=dev`: the scenarios against an ephemeral stack, created and removed for the run.

It writes the ephemeral stack's settings file under build/test-aws/ from the base stack's (and leaves it there),
creates a stack with a unique name, runs `up` with the policy pack, runs `tests/scenarios` against the outputs,
then destroys and removes the stack even when a scenario or the `up` fails. A failed `destroy` keeps the stack,
so that nothing is left in AWS without a stack that knows about it. Each step has a time limit: past it, the
step is cancelled and the run goes on to the destroy.

TARGET=aws (the default) deploys with the Pulumi Automation API, which drives the Pulumi CLI. TARGET=local puts
the local stack in the CLI's place (tools.local_rehearsal), so that everything else, the settings file, the
scenarios reaching the stack through the standard AWS variables only, the destroy and the summary, is rehearsed
on every `make test`. `make test-aws-cleanup` destroys the ephemeral stacks a cancelled run left behind.
"""

from __future__ import annotations

import argparse
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
from typing import Any, Protocol, TypeVar, cast

import yaml

from tools.local_rehearsal import LocalStackProcess
from tools.stack_outputs import local_stack_environment

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = ROOT / "build" / "test-aws"
POLICY_PACK = str(ROOT / "policy")
UNFINISHED = "unfinished-stack"  # in the work dir: the ephemeral stack this checkout's last run did not destroy
T = TypeVar("T")

# What makes an ephemeral stack harmless, whatever its base stack holds. The region's API Gateway account setting
# belongs to the long-lived stacks (README: one stack per region manages it); nobody is mailed or texted each
# night, since the scenarios subscribe a queue of their own; and no secret is needed (a webhook URL would be).
HARMLESS_SETTINGS: dict[str, Any] = {
    "tableDeletionProtection": False,
    "manageApiGatewayAccount": False,
    "alertChannels": ["sns"],
    "notificationPhoneNumbers": [],
    "notificationEmails": [],
    "alarmEmails": [],
    "requireAlarmEmails": False,
}


@dataclass(frozen=True)
class TimeLimits:
    """Seconds each step may take. Together they stay under the workflow step's 40 minutes (tests/delivery checks
    it), so that the run reaches its own destroy, and the cleanup step after it still has time."""

    up: float = 15 * 60
    scenarios: float = 8 * 60
    destroy: float = 10 * 60
    cancel_grace: float = 60


class EphemeralStack(Protocol):
    """What the run needs of a stack: pulumi.automation.Stack has it, and so has tools.local_rehearsal's."""

    def up(self, **options: Any) -> Any: ...

    def destroy(self, **options: Any) -> Any: ...

    def cancel(self) -> None: ...


CreateStack = Callable[[str], EphemeralStack]
RunScenarios = Callable[[Path, float], int]


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

    @property
    def passed(self) -> bool:
        return self.scenarios_exit_code == 0 and self.destroyed


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
    work_dir: Path = WORK_DIR,
    base_file: Path | None = None,
    limits: TimeLimits = TimeLimits(),
) -> Outcome:
    """Create, deploy, test, destroy and remove one ephemeral stack; report what happened."""
    name = ephemeral_name(base)
    (work_dir / name).mkdir(parents=True, exist_ok=True)
    config_file = work_dir / f"Pulumi.{name}.yaml"
    config_file.write_text(yaml.safe_dump(ephemeral_config(base, base_file=base_file)))
    print(f"Ephemeral stack {name}, its settings in {config_file}")
    # Named until it is destroyed: if this run is cut short, `make test-aws-cleanup` in the same checkout takes it.
    (work_dir / UNFINISHED).write_text(name)
    stack = create_stack(name)
    options = {"config_file": str(config_file), "on_output": print}
    exit_code: int | None = None
    up_running = False
    try:
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
        outputs_path = work_dir / name / "outputs.json"
        outputs_path.write_text(json.dumps({key: value.value for key, value in result.outputs.items()}, indent=2))
        exit_code = run_scenarios(outputs_path, limits.scenarios)
    finally:
        # A destroy beside an `up` still running would find the stack locked; the cleanup step comes later.
        destroyed = not up_running and _destroy(stack, name, options, limits)
    if destroyed:
        (work_dir / UNFINISHED).unlink(missing_ok=True)
        shutil.rmtree(work_dir / name, ignore_errors=True)  # its outputs, and a local stack's files
    else:
        print(f"{name} is left for `make test-aws-cleanup STACK={base}`", file=sys.stderr)
    return Outcome(name, exit_code, destroyed)


def _destroy(stack: EphemeralStack, name: str, options: dict[str, Any], limits: TimeLimits) -> bool:
    try:
        # remove=True removes the stack once its resources are gone.
        bounded(lambda: stack.destroy(remove=True, **options), limits.destroy, stack.cancel, f"destroy of {name}", 0)
    except Exception as error:
        print(f"destroy of {name} failed; its resources remain and so does the stack: {error}", file=sys.stderr)
        print(f"  finish by hand: pulumi destroy --stack {name} --remove, or make test-aws-cleanup", file=sys.stderr)
        return False
    return True


def scenarios_against(outputs_path: Path, seconds: float, environment: Mapping[str, str]) -> int:
    """Run tests/scenarios against the stack whose outputs are in `outputs_path`, reached with `environment`."""
    command = [sys.executable, "-m", "pytest", "tests/scenarios", "-v", "-p", "no:cacheprovider"]
    try:
        return subprocess.run(
            command, cwd=ROOT, env={**environment, "STACK_OUTPUTS": str(outputs_path)}, check=False, timeout=seconds
        ).returncode
    except subprocess.TimeoutExpired:
        print(f"the scenarios did not finish within {seconds:g} s", file=sys.stderr)
        return 124


def automation_stack(name: str) -> EphemeralStack:
    """A new stack of this project, in PULUMI_ORG if set; the Automation API runs the Pulumi CLI."""
    from pulumi import automation

    # Stack.up and destroy take these options by name; the Protocol keeps the fakes in tests honest.
    return cast(EphemeralStack, automation.create_stack(stack_name=_qualified(name), work_dir=str(ROOT)))


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
    select_stack: Callable[[str], EphemeralStack],
    older_than: timedelta,
    limits: TimeLimits = TimeLimits(),
    this_checkouts: str | None = None,
) -> list[str]:
    """Destroy and remove `base`'s ephemeral stacks started longer than `older_than` ago, so never one whose run
    may still be going elsewhere, and the one this checkout's run left (`this_checkouts`), whatever its age. An
    update still marked in progress there is cancelled first (`pulumi cancel`). Returns the names it could not
    destroy."""
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
        if not _destroy(selected, stack.name, {"on_output": print}, limits):
            failed.append(stack.name)
    return failed


def _automation_left_behind() -> tuple[list[LeftBehind], Callable[[str], EphemeralStack]]:
    from pulumi import automation

    workspace = automation.LocalWorkspace(work_dir=str(ROOT))
    stacks = [LeftBehind(s.name, bool(s.update_in_progress)) for s in workspace.list_stacks(include_all=False)]

    def select(name: str) -> EphemeralStack:
        return cast(EphemeralStack, automation.select_stack(stack_name=_qualified(name), work_dir=str(ROOT)))

    return stacks, select


def summary(outcome: Outcome) -> str:
    """One line for the console and the workflow's summary."""
    scenarios = {None: "did not run (up failed)", 0: "passed"}.get(outcome.scenarios_exit_code, "FAILED")
    removal = "destroyed and removed" if outcome.destroyed else "NOT destroyed (see the log)"
    return f"Scenarios against ephemeral stack {outcome.stack_name}: {scenarios}; stack {removal}."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make test-aws", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="dev", help="the stack whose settings the ephemeral stack takes")
    parser.add_argument("--stack-file", type=Path, help="its settings file (default: Pulumi.<stack>.yaml)")
    parser.add_argument("--target", choices=("aws", "local"), default="aws", help="AWS, or the local stack")
    parser.add_argument("--cleanup", action="store_true", help="destroy the stack's ephemeral stacks left behind")
    parser.add_argument("--older-than-minutes", type=float, default=60, help="with --cleanup: which ones")
    args = parser.parse_args(argv)
    if args.cleanup:
        stacks, select = _automation_left_behind()
        unfinished = WORK_DIR / UNFINISHED
        ours = unfinished.read_text().strip() if unfinished.exists() else None
        failed = clean_up(args.stack, stacks, select, timedelta(minutes=args.older_than_minutes), this_checkouts=ours)
        if ours and all(name.rsplit("/", 1)[-1] != ours for name in failed):
            unfinished.unlink()
        print(f"Cleanup: {len(failed)} ephemeral stack(s) of {args.stack} could not be destroyed {failed}")
        return 1 if failed else 0
    limits = TimeLimits()
    if args.target == "local":

        def local_stack(name: str) -> EphemeralStack:
            return LocalStackProcess(name, WORK_DIR / name, ROOT)

        def local_scenarios(outputs: Path, seconds: float) -> int:
            return scenarios_against(outputs, seconds, local_stack_environment(outputs.parent, os.environ))

        outcome = run(args.stack, local_stack, local_scenarios, base_file=args.stack_file, limits=limits)
    else:

        def aws_scenarios(outputs: Path, seconds: float) -> int:
            return scenarios_against(outputs, seconds, os.environ)

        outcome = run(args.stack, automation_stack, aws_scenarios, base_file=args.stack_file, limits=limits)
    print(summary(outcome))
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main())
