"""Run `__main__.py` in-process under `pulumi.runtime` mocks, recording every resource and the stack outputs.

The Pulumi CLI would read the project's config declarations and the stack's config file, then run the
program; this module does the same, so tests, benchmarks and the local stack see exactly what `pulumi up` would
build. It is the one module that calls Pulumi's private runtime functions (pulumi 3.x, sdk/python/lib/pulumi/
runtime/): `mocks.MockMonitor`, `rpc.deserialize_properties`, `settings`, `stack.run_pulumi_func` and
`sync_await._sync_await`, which `pulumi.runtime.test` itself uses to run a test's program to its end.
"""

from __future__ import annotations

import asyncio
import runpy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from harness.declared_resources import DeclaredAlias, ProgramRun, RegisteredResource
from harness.stack_settings import PROJECT_ROOT, project_name, stack_config


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock resource monitor, also keeping what `Mocks.new_resource` is not told: each resource's parent,
    dependencies and options (`MockResourceArgs` carries no parent, dependency, protect, retainOnDelete or
    aliases)."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.parents: dict[str, str] = {}
        self.custom: dict[str, bool] = {}
        self.inputs: dict[str, dict[str, Any]] = {}
        self.protect: dict[str, bool] = {}
        self.retain_on_delete: dict[str, bool] = {}
        self.property_dependencies: dict[str, dict[str, list[str]]] = {}
        self.dependencies: dict[str, list[str]] = {}
        self.aliases: dict[str, list[DeclaredAlias]] = {}

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
        self.aliases[response.urn] = [_declared_alias(alias) for alias in request.aliases]
        return response


def _declared_alias(alias: Any) -> DeclaredAlias:
    """An alias as the SDK sends it to a monitor that takes alias specs (the mock monitor says it does)."""
    if alias.WhichOneof("alias") == "urn":
        return DeclaredAlias(urn=alias.urn)
    spec = alias.spec
    if spec.stack or spec.project:
        raise NotImplementedError("an alias to another stack or project is not modelled")
    return DeclaredAlias(type=spec.type, name=spec.name, parent_urn=spec.parentUrn, no_parent=spec.noParent)


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
    program in PULUMI_CONFIG_SECRET_KEYS; those of an earlier run are forgotten. Each run gets a stack of its own:
    `set_mocks` makes a root Stack resource only when the runtime has none, so the previous run's is dropped."""
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
                aliases=monitor.aliases.get(urn, []),
            )
        )
    return resources
