"""The stack's resource graph as reviewable JSON: `python -m tests.infrastructure.snapshot` rewrites it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.declared_resources import ProgramRun
from tests.program_runs import declared

SNAPSHOTS = Path(__file__).parent / "snapshots"
STACKS = ("dev", "prod")
# A stack as an operator who chose both alert channels configures it: the fan-out to the chat webhook's queue.
BOTH_CHANNELS = "dev-sns-and-webhook"
WEBHOOK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"
# The dev stack with the REST API, the kind dev and prod do not use (apiKind: rest).
REST_API = "dev-rest-api"
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


def both_channels() -> ProgramRun:
    """The dev stack with `alertChannels: [sns, webhook]` and its webhook URL set as a secret."""
    return declared("dev", {"alertChannels": ["sns", "webhook"]}, secrets={"alertWebhookUrl": WEBHOOK_URL})


def http_api() -> ProgramRun:
    """The dev stack with `apiKind: http`."""
    return declared("dev", {"apiKind": "http"})


def rest_api() -> ProgramRun:
    """The dev stack with `apiKind: rest`."""
    return declared("dev", {"apiKind": "rest"})


def snapshot_runs() -> dict[str, ProgramRun]:
    """Each snapshot's name and the run it records."""
    return {
        **{stack: declared(stack) for stack in STACKS},
        BOTH_CHANNELS: both_channels(),
        REST_API: rest_api(),
    }


def main() -> None:
    SNAPSHOTS.mkdir(exist_ok=True)
    for name, run in snapshot_runs().items():
        snapshot_path(name).write_text(render(run))
        print(f"wrote {snapshot_path(name).relative_to(Path.cwd())}")


if __name__ == "__main__":
    main()
