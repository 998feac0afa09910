"""The stack's resource graph as reviewable JSON: `python -m tests.infrastructure.snapshot` rewrites it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.declared_resources import ProgramRun
from harness.fake_cloud import configured_stack

SNAPSHOTS = Path(__file__).parent / "snapshots"
STACKS = ("dev", "prod")
# The code hash changes with every edit of the Lambda code; the code tests cover the archive itself.
_VOLATILE_INPUTS = frozenset({"code", "sourceCodeHash"})
_SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"


def render(run: ProgramRun) -> str:
    """Types, names, parents, protection, retention and inputs of every resource, in a stable order."""
    resources = []
    for resource in run.resources:
        parent = run.by_urn(resource.parent_urn)
        resources.append(
            {
                "type": resource.type,
                "name": resource.name,
                "parent": parent.name if parent else None,
                "protect": resource.protect,
                "retain_on_delete": resource.retain_on_delete,
                "inputs": {k: _readable(v) for k, v in sorted(resource.inputs.items()) if k not in _VOLATILE_INPUTS},
            }
        )
    resources.sort(key=lambda entry: (entry["type"], entry["name"]))
    return json.dumps({"outputs": run.outputs, "resources": resources}, indent=2, sort_keys=True) + "\n"


def _readable(value: Any) -> Any:
    """Secrets masked, and JSON documents (policies, redrive) unfolded so a diff shows what changed."""
    if isinstance(value, dict):
        if _SECRET_SIGNATURE in value:
            return "[secret]"
        return {key: _readable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_readable(item) for item in value]
    if isinstance(value, str) and value.startswith(("{", "[")):
        try:
            return _readable(json.loads(value))
        except ValueError:
            return value
    return value


def snapshot_path(stack: str) -> Path:
    return SNAPSHOTS / f"{stack}.json"


def main() -> None:
    SNAPSHOTS.mkdir(exist_ok=True)
    for stack in STACKS:
        snapshot_path(stack).write_text(render(configured_stack(stack)))
        print(f"wrote {snapshot_path(stack).relative_to(Path.cwd())}")


if __name__ == "__main__":
    main()
