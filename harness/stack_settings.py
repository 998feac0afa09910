"""A stack's settings as the Pulumi CLI hands them to the program: the project's declared defaults, then the
stack file, then overrides; and which settings of the stack file are encrypted, which only the CLI can read."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # where Pulumi.yaml and the program, __main__.py, are


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


def _read_yaml(path: Path) -> dict[str, Any]:
    # Each run of the program reads the project's and the stack's files, and PyYAML's parser took a tenth of a run's
    # time: a text is parsed once, and each reader gets a copy of its own.
    document = copy.deepcopy(_parsed_yaml(path.read_text()))
    if not isinstance(document, dict):
        raise ValueError(f"{path.name} is not a YAML mapping")
    return document


@functools.lru_cache(maxsize=64)
def _parsed_yaml(text: str) -> Any:
    return yaml.safe_load(text) or {}
