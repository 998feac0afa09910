"""pytest run on some of the suite's tests inside this process, without the second a new interpreter takes to import
and rewrite pytest's plugins: a fresh session, with the environment, working directory and package it is given."""

from __future__ import annotations

import io
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

# The inner session leaves to the outer one what belongs to the process: crash tracebacks (faulthandler), and the
# exceptions of objects and threads that are not its own (the outer test's, which they would fail). Without those two
# plugins it also makes no garbage collection of the whole process as it ends, a quarter of a second or more in a
# worker that has run many tests. Its tests get the old bound of the whole subprocess run each.
_INNER_OPTIONS = ("-p", "no:faulthandler", "-p", "no:unraisableexception", "-p", "no:threadexception")
_INNER_TIMEOUT_SECONDS = 120
_ABSENT = object()


@dataclass(frozen=True)
class InnerRun:
    """What the run ended with and what it printed."""

    exit_code: int
    stdout: str
    stderr: str


def run_pytest(args: Sequence[str], environ: Mapping[str, str], cwd: Path, fresh_package: str) -> InnerRun:
    """`python -m pytest *args` in `cwd` with the environment `environ` alone, in this process. The modules of
    `fresh_package` are imported anew, as in a new interpreter: a conftest that reads the environment on import (the
    scenarios' reads which stack they run against) reads `environ`, not what an earlier import saw; other modules are
    this process's. The package's modules, the import paths, the environment, the working directory and the outer
    test's time-out are this process's own again afterwards, whatever fails. Ctrl-C stops the outer run too."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with ExitStack() as restore:
        restore.callback(_restore_package, fresh_package, _modules_of(fresh_package))
        restore.callback(_restore_paths, list(sys.path), list(sys.meta_path))
        restore.callback(_set_environ, dict(os.environ))
        restore.callback(os.chdir, Path.cwd())
        restore.callback(_saved_alarm())
        for name in _modules_of(fresh_package):
            del sys.modules[name]
        _set_environ(environ)
        os.chdir(cwd)
        inner = [*_INNER_OPTIONS, "-o", f"timeout={_INNER_TIMEOUT_SECONDS}", *args]
        interrupts = _Interrupts()
        with redirect_stdout(stdout), redirect_stderr(stderr):
            exit_code = pytest.main(inner, plugins=[interrupts])
    if interrupts.seen:  # not the exit code: pytest ends a run with collection errors as "interrupted" too
        raise KeyboardInterrupt
    return InnerRun(int(exit_code), stdout.getvalue(), stderr.getvalue())


class _Interrupts:
    """Plugin: whether the run was stopped by Ctrl-C."""

    seen = False

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.seen = self.seen or excinfo.type is KeyboardInterrupt


def _modules_of(package: str) -> dict[str, ModuleType]:
    return {name: module for name, module in sys.modules.items() if name == package or name.startswith(f"{package}.")}


def _set_environ(values: Mapping[str, str]) -> None:
    """The environment made `values`, a variable at a time: no thread of this process ever sees it empty."""
    for name in set(os.environ) - set(values):
        del os.environ[name]
    os.environ.update(values)


def _restore_paths(path: list[str], meta_path: list[object]) -> None:
    sys.path[:], sys.meta_path[:] = path, meta_path  # type: ignore[assignment]


def _restore_package(package: str, saved: dict[str, ModuleType]) -> None:
    """The package's modules as saved, and each parent's attribute for one of them the module saved (or none), so
    that `package.submodule` and `sys.modules["package.submodule"]` stay one module. Other modules the run imported
    stay: a later import would load them anyway, and loading one twice would make two of its state."""
    for name, module in _modules_of(package).items():
        if saved.get(name, _ABSENT) is module:
            continue
        if name in saved:
            sys.modules[name] = saved[name]
        else:
            del sys.modules[name]
        parent_name, _, child = name.rpartition(".")
        parent = sys.modules.get(parent_name)
        if parent is None:
            continue
        if name in saved:
            setattr(parent, child, saved[name])
        elif getattr(parent, child, None) is module:
            delattr(parent, child)
    sys.modules.update(saved)


def _saved_alarm() -> Callable[[], None]:
    """What puts back the outer test's time-out (pytest-timeout's alarm), which the inner tests' own replace and end,
    less the time spent meanwhile."""
    handler, (left, interval) = signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL)
    saved_at = time.monotonic()

    def restore() -> None:
        signal.signal(signal.SIGALRM, handler)
        if left > 0:  # an alarm due already goes off at once: the outer test has run out of time
            signal.setitimer(signal.ITIMER_REAL, max(left - (time.monotonic() - saved_at), 1e-3), interval)

    return restore
