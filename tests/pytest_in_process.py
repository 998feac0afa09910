"""pytest run on some of the suite's tests inside this process, as a fresh `python -m pytest` would run them, without
the second of a new interpreter importing and rewriting pytest's plugins."""

from __future__ import annotations

import gc
import io
import os
import sys
from collections.abc import Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest


@dataclass(frozen=True)
class InnerRun:
    """What the run ended with and what it printed."""

    exit_code: int
    stdout: str
    stderr: str


def run_pytest(args: Sequence[str], environ: Mapping[str, str], cwd: Path, fresh_package: str) -> InnerRun:
    """`python -m pytest *args` in `cwd` with the environment `environ` alone, in this process. The modules of
    `fresh_package` are imported anew, as in a new interpreter: a conftest that reads the environment on import (the
    scenarios' reads which stack they run against) reads `environ`, not what an earlier import saw. The modules,
    import paths, environment and working directory are this process's own again afterwards."""
    saved_modules = dict(sys.modules)
    saved_paths = list(sys.path), list(sys.meta_path)
    saved_environ = dict(os.environ)
    saved_cwd = Path.cwd()
    stdout, stderr = io.StringIO(), io.StringIO()
    # pytest collects garbage as it ends, to report what could not be finalised: over this process's objects as well,
    # that is a quarter of a second or more in a worker that has run many tests. Frozen, they are left out, as they
    # are from a new interpreter's heap.
    gc.freeze()
    try:
        for name in [name for name in sys.modules if name == fresh_package or name.startswith(f"{fresh_package}.")]:
            del sys.modules[name]
        _set_environ(environ)
        os.chdir(cwd)
        with redirect_stdout(stdout), redirect_stderr(stderr):
            exit_code = pytest.main(list(args))
    finally:
        gc.unfreeze()
        os.chdir(saved_cwd)
        _set_environ(saved_environ)
        sys.path[:], sys.meta_path[:] = saved_paths
        _restore_modules(saved_modules)
    return InnerRun(int(exit_code), stdout.getvalue(), stderr.getvalue())


def _set_environ(values: Mapping[str, str]) -> None:
    """The environment made `values`, a variable at a time: no thread of this process ever sees it empty."""
    for name in set(os.environ) - set(values):
        del os.environ[name]
    os.environ.update(values)


def _restore_modules(saved: dict[str, ModuleType]) -> None:
    """sys.modules as saved, and each package's attribute for a submodule imported meanwhile the module saved (or
    none), so that `package.submodule` and `sys.modules["package.submodule"]` stay one module."""
    imported = {name: module for name, module in sys.modules.items() if saved.get(name) is not module}
    for name in imported.keys() - saved.keys():
        del sys.modules[name]
    sys.modules.update(saved)
    for name in imported:
        parent_name, _, child = name.rpartition(".")
        parent = sys.modules.get(parent_name)
        if parent is None:
            continue
        if name in saved:
            setattr(parent, child, saved[name])
        elif getattr(parent, child, None) is imported[name]:
            delattr(parent, child)
