"""`make test-aws STACK=dev`: the scenarios against an ephemeral stack in AWS, created and removed by Pulumi.

With the Automation API (`pulumi.automation`, which drives the Pulumi CLI), it creates a stack with a unique
name and the chosen stack's settings (deletion protection off, secrets left out: they are encrypted for that
stack alone), runs `up` with the policy pack, runs `tests/scenarios` against the outputs, then destroys and
removes the stack even when a scenario or the `up` fails. A failed `destroy` keeps the stack, so that
nothing is left in AWS without a stack that knows about it.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, cast

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = ROOT / "build" / "test-aws"
POLICY_PACK = str(ROOT / "policy")


class EphemeralStack(Protocol):
    """What the run needs of an Automation API stack (pulumi.automation.Stack has it)."""

    def up(self, **options: Any) -> Any: ...

    def destroy(self, **options: Any) -> Any: ...


CreateStack = Callable[[str], EphemeralStack]
RunScenarios = Callable[[Path], int]


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


def ephemeral_config(base: str, project_dir: Path = ROOT) -> dict[str, Any]:
    """The base stack's settings, deletion protection off and encrypted values left out, as a stack file."""
    config = (yaml.safe_load((project_dir / f"Pulumi.{base}.yaml").read_text()) or {}).get("config") or {}
    kept = {key: value for key, value in config.items() if not (isinstance(value, dict) and "secure" in value)}
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"]
    kept[f"{project}:tableDeletionProtection"] = False
    return {"config": kept}


def run(base: str, create_stack: CreateStack, run_scenarios: RunScenarios, work_dir: Path = WORK_DIR) -> Outcome:
    """Create, deploy, test, destroy and remove one ephemeral stack; report what happened."""
    name = ephemeral_name(base)
    work_dir.mkdir(parents=True, exist_ok=True)
    config_file = work_dir / f"Pulumi.{name}.yaml"
    config_file.write_text(yaml.safe_dump(ephemeral_config(base)))
    stack = create_stack(name)
    options = {"config_file": str(config_file), "on_output": print}
    exit_code: int | None = None
    try:
        result = stack.up(policy_packs=[POLICY_PACK], **options)
    except Exception as error:
        print(f"up of {name} failed: {error}", file=sys.stderr)
    else:
        outputs_path = work_dir / "outputs.json"
        outputs_path.write_text(json.dumps({key: value.value for key, value in result.outputs.items()}, indent=2))
        exit_code = run_scenarios(outputs_path)
    finally:
        destroyed = _destroy(stack, name, options)
    return Outcome(name, exit_code, destroyed)


def _destroy(stack: EphemeralStack, name: str, options: dict[str, Any]) -> bool:
    try:
        stack.destroy(remove=True, **options)  # removes the stack once its resources are gone
    except Exception as error:
        print(f"destroy of {name} failed; its resources remain and so does the stack: {error}", file=sys.stderr)
        print(f"  finish by hand: pulumi destroy --stack {name} --remove", file=sys.stderr)
        return False
    return True


def scenarios_against(outputs_path: Path) -> int:
    """Run tests/scenarios against the stack whose outputs are in `outputs_path`."""
    environment = {**os.environ, "STACK_OUTPUTS": str(outputs_path)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/scenarios", "-v"], cwd=ROOT, env=environment, check=False
    ).returncode


def automation_stack(name: str) -> EphemeralStack:
    """A new stack of this project, in PULUMI_ORG if set; the Automation API runs the Pulumi CLI."""
    from pulumi import automation

    organisation = os.environ.get("PULUMI_ORG")
    qualified = f"{organisation}/{name}" if organisation else name
    # Stack.up and destroy take these options by name; the Protocol keeps the fakes in tests honest.
    return cast(EphemeralStack, automation.create_stack(stack_name=qualified, work_dir=str(ROOT)))


def summary(outcome: Outcome) -> str:
    """One line for the console and the workflow's summary."""
    scenarios = {None: "did not run (up failed)", 0: "passed"}.get(outcome.scenarios_exit_code, "FAILED")
    removal = "destroyed and removed" if outcome.destroyed else "NOT destroyed (see the log)"
    return f"Scenarios against ephemeral stack {outcome.stack_name}: {scenarios}; stack {removal}."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make test-aws", description=__doc__)
    parser.add_argument("--stack", default="dev", help="the stack whose settings the ephemeral stack takes")
    args = parser.parse_args(argv)
    outcome = run(args.stack, automation_stack, scenarios_against)
    print(summary(outcome))
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main())
