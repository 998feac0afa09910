"""Run `__main__.py` in-process under `pulumi.runtime` mocks, recording every resource and the stack outputs.

The Pulumi CLI would read the project's config declarations and the stack's config file, then run the
program; this module does the same, so tests and the local stack see exactly what `pulumi up` would build.
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Mapping
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
    stack: str, project_dir: Path = PROJECT_ROOT, overrides: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Config as the engine passes it: the project's declared defaults, then the stack file, then overrides."""
    project = _read_yaml(project_dir / "Pulumi.yaml")
    name = project["name"]
    values: dict[str, Any] = {
        f"{name}:{key}": declaration["default"]
        for key, declaration in (project.get("config") or {}).items()
        if isinstance(declaration, dict) and "default" in declaration
    }
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if stack_file.exists():
        values.update(_read_yaml(stack_file).get("config") or {})
    for key, value in (overrides or {}).items():
        values[key if ":" in key else f"{name}:{key}"] = value
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}


def run_program(
    mocks: pulumi.runtime.Mocks,
    stack: str = "dev",
    overrides: Mapping[str, Any] | None = None,
    project_dir: Path = PROJECT_ROOT,
) -> ProgramRun:
    """Run the program once under `mocks` and return what it declared, with every output resolved."""
    project = project_name(project_dir)
    pulumi.runtime.set_all_config(stack_config(stack, project_dir, overrides))
    monitor = _RecordingMonitor(mocks)
    pulumi_settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh stack per run
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    root = pulumi_settings.get_root_resource()

    def program() -> None:
        runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")

    _sync_await(run_pulumi_func(program))
    assert isinstance(root, pulumi.runtime.stack.Stack)
    outputs = {name: _sync_await(pulumi.Output.from_input(value).future()) for name, value in root.outputs.items()}
    return ProgramRun(project, stack, _resources(monitor), outputs)


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
