"""Run `__main__.py` in-process under `pulumi.runtime` mocks, recording every resource and the stack outputs.

The Pulumi CLI would read the project's config declarations and the stack's config file, then run the
program; this module does the same, so tests and the local stack see exactly what `pulumi up` would build.
"""

from __future__ import annotations

import asyncio
import json
import runpy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class RegisteredResource:
    """One resource the program declared: what it is, where it sits, what it was given, what came back."""

    urn: str
    type: str
    name: str
    parent_urn: str
    custom: bool
    protect: bool
    retain_on_delete: bool
    inputs: dict[str, Any]
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProgramRun:
    """Everything one run of the program produced."""

    project: str
    stack: str
    resources: list[RegisteredResource]
    outputs: dict[str, Any]

    def of_type(self, type_token: str) -> list[RegisteredResource]:
        """The resources of one type, in the order the program declared them."""
        return [resource for resource in self.resources if resource.type == type_token]

    def named(self, name: str) -> RegisteredResource:
        """The one resource with this logical name."""
        [resource] = [resource for resource in self.resources if resource.name == name]
        return resource

    def by_urn(self, urn: str) -> RegisteredResource | None:
        """The resource with this URN, if the program declared it."""
        return next((resource for resource in self.resources if resource.urn == urn), None)


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock resource monitor, also keeping each resource's parent, which the mocks are not told."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.parents: dict[str, str] = {}
        self.custom: dict[str, bool] = {}
        self.inputs: dict[str, dict[str, Any]] = {}
        self.protect: dict[str, bool] = {}
        self.retain_on_delete: dict[str, bool] = {}
        self.property_dependencies: dict[str, dict[str, list[str]]] = {}
        self.dependencies: dict[str, list[str]] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        self.parents[response.urn] = request.parent
        self.custom[response.urn] = bool(request.custom)
        self.inputs[response.urn] = rpc.deserialize_properties(request.object)
        self.protect[response.urn] = bool(request.protect)
        self.retain_on_delete[response.urn] = bool(request.retainOnDelete)
        self.dependencies[response.urn] = list(request.dependencies)
        self.property_dependencies[response.urn] = {
            name: list(dependencies.urns) for name, dependencies in request.propertyDependencies.items()
        }
        return response


def project_name(project_dir: Path = PROJECT_ROOT) -> str:
    """The project's name from Pulumi.yaml."""
    return str(_read_yaml(project_dir / "Pulumi.yaml")["name"])


def stack_config(
    stack: str,
    project_dir: Path = PROJECT_ROOT,
    overrides: Mapping[str, Any] | None = None,
    stack_file: Path | None = None,
) -> dict[str, str]:
    """Config as the engine passes it: the project's declared defaults, then the stack file (`Pulumi.<stack>.yaml`
    unless another is given, as `pulumi --config-file` takes one), then overrides."""
    project = _read_yaml(project_dir / "Pulumi.yaml")
    name = project["name"]
    values: dict[str, Any] = {
        f"{name}:{key}": declaration["default"]
        for key, declaration in (project.get("config") or {}).items()
        if isinstance(declaration, dict) and "default" in declaration
    }
    values.update(_plain(_stack_settings(stack, project_dir, stack_file), []))
    for key, value in (overrides or {}).items():
        values[key if ":" in key else f"{name}:{key}"] = value
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}


def encrypted_settings(stack: str, project_dir: Path = PROJECT_ROOT, stack_file: Path | None = None) -> list[str]:
    """The settings of the stack file stored with `pulumi config set --secret`, by path: only the engine, with
    the stack's secrets provider, can decrypt them, so a run here leaves them out (a secret in a list, one
    `pulumi config set --secret --path 'list[0]'` wrote, is left out of its list)."""
    left_out: list[str] = []
    _plain(_stack_settings(stack, project_dir, stack_file), left_out)
    return left_out


def _stack_settings(stack: str, project_dir: Path, stack_file: Path | None) -> dict[str, Any]:
    stack_file = stack_file or project_dir / f"Pulumi.{stack}.yaml"
    return (_read_yaml(stack_file).get("config") or {}) if stack_file.exists() else {}


def _plain(value: Any, left_out: list[str], path: str = "") -> Any:
    """`value` without its `{secure: ...}` parts, whose paths are added to `left_out`."""
    if isinstance(value, dict):
        entries = [(key, f"{path}.{key}" if path else str(key), item) for key, item in value.items()]
    elif isinstance(value, list):
        entries = [(index, f"{path}[{index}]", item) for index, item in enumerate(value)]
    else:
        return value
    left_out += [where for _, where, item in entries if _secure(item)]
    kept = [(key, _plain(item, left_out, where)) for key, where, item in entries if not _secure(item)]
    return dict(kept) if isinstance(value, dict) else [item for _, item in kept]


def _secure(value: Any) -> bool:
    return isinstance(value, dict) and "secure" in value


def run_program(
    mocks: pulumi.runtime.Mocks,
    stack: str = "dev",
    overrides: Mapping[str, Any] | None = None,
    project_dir: Path = PROJECT_ROOT,
    stack_file: Path | None = None,
    *,
    secret_keys: Iterable[str] = (),
) -> ProgramRun:
    """Run the program once under `mocks` and return what it declared, with every output resolved.

    `secret_keys` names the settings stored as secrets (`pulumi config set --secret`), as the engine tells the
    program in PULUMI_CONFIG_SECRET_KEYS; those of an earlier run are forgotten."""
    project = project_name(project_dir)
    secrets = [key if ":" in key else f"{project}:{key}" for key in secret_keys]
    pulumi.runtime.set_all_config(stack_config(stack, project_dir, overrides, stack_file), secrets)
    monitor = _RecordingMonitor(mocks)
    pulumi_settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh stack per run
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    root = pulumi_settings.get_root_resource()

    def program() -> None:
        runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")

    try:
        _sync_await(run_pulumi_func(program))
    except BaseException:
        _cancel_what_the_run_left()
        raise
    assert isinstance(root, pulumi.runtime.stack.Stack)
    outputs = {name: _sync_await(pulumi.Output.from_input(value).future()) for name, value in root.outputs.items()}
    return ProgramRun(project, stack, _resources(monitor), outputs)


def _cancel_what_the_run_left() -> None:
    """A run stops at its first error and leaves the outputs it had not awaited in the runtime's settings, which
    `set_mocks` does not reset: the next run would await them and fail with this run's error. They are dropped,
    and whatever still runs on the event loop, which every run shares, is cancelled."""
    with pulumi_settings.SETTINGS.lock:
        pulumi_settings.SETTINGS.outputs.clear()
    loop = asyncio.get_event_loop()
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _resources(monitor: _RecordingMonitor) -> list[RegisteredResource]:
    resources = []
    for urn, registration in monitor.resources.items():
        type_token, name = urn.split("::")[2].split("$")[-1], urn.split("::")[3]
        resources.append(
            RegisteredResource(
                urn=urn,
                type=type_token,
                name=name,
                parent_urn=monitor.parents.get(urn, ""),
                custom=monitor.custom.get(urn, True),
                protect=monitor.protect.get(urn, False),
                retain_on_delete=monitor.retain_on_delete.get(urn, False),
                inputs=monitor.inputs.get(urn, {}),
                property_dependencies=monitor.property_dependencies.get(urn, {}),
                dependencies=monitor.dependencies.get(urn, []),
                outputs=dict(registration.state or {}),
            )
        )
    return resources


def _read_yaml(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text()) or {}
    if not isinstance(document, dict):
        raise ValueError(f"{path.name} is not a YAML mapping")
    return document
