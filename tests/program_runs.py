"""The Pulumi program run under the fake cloud once per configuration in a test process: each caller gets a copy of
its own, so that no test can change what another reads.

A run takes a tenth of a second or more, and the same few configurations are read by tests in many files. A test
of how a run behaves (one refused, one after another) calls `configured_stack` or `run_program` itself."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from typing import Any

from harness.declared_resources import ProgramRun
from harness.fake_cloud import configured_stack


def declared(
    stack: str, overrides: Mapping[str, Any] | None = None, secrets: Mapping[str, Any] | None = None
) -> ProgramRun:
    """What `configured_stack(stack, overrides, secrets)` returns, from its first run in this process."""
    return copy.deepcopy(_first_run(stack, _key(overrides), _key(secrets)))


def _key(settings: Mapping[str, Any] | None) -> str:
    return json.dumps(settings or {}, sort_keys=True)


@functools.cache
def _first_run(stack: str, overrides: str, secrets: str) -> ProgramRun:
    return configured_stack(stack, json.loads(overrides), json.loads(secrets))
