"""Code changes live in `make run`: a saved change to the Lambda code replaces the functions' environments.

A change under domain/, adapters/ or handlers/ rebuilds the code archive as the program builds it and hands it
to every function: new invocations run it, one in flight finishes on the old code (as after a Lambda update),
and the table, the queues and their messages stay as they are. A change to the program itself (__main__.py,
components/, a stack file) may change the resources, so it is announced as needing a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchfiles import watch

from components.code_archive import build_code_archive

logger = logging.getLogger("local_stack.reload")
RUNTIME_PACKAGES = ("domain", "adapters", "handlers")  # what __main__.py packs into the functions' archive
_PROGRAM = ("__main__.py", "components", "Pulumi.yaml")
_WATCHED_SUFFIXES = (".py", ".json", ".yaml")


class CodeReloader:
    """Watches the project in a thread; `replace_code(archive)` gets each rebuilt archive."""

    def __init__(
        self, project: Path, work_dir: Path, replace_code: Callable[[Path], None], announce: Callable[[str], None]
    ) -> None:
        self._project = project
        self._work_dir = work_dir
        self._replace_code = replace_code
        self._announce = announce
        self._stopped = threading.Event()
        self._builds = 0

    def run(self) -> None:
        watched = [
            self._project / name for name in (*RUNTIME_PACKAGES, "components") if (self._project / name).exists()
        ]
        watched += [
            path for path in self._project.glob("*") if path.name in _PROGRAM or path.name.startswith("Pulumi.")
        ]
        # A short rust_timeout lets `stop()` end the watch within half a second.
        changes_seen = watch(
            *watched, stop_event=self._stopped, debounce=100, step=20, rust_timeout=500, raise_interrupt=False
        )
        try:
            for changes in changes_seen:
                try:
                    self.changed(sorted({Path(path) for _, path in changes}))
                except Exception:
                    logger.exception("reloading the code failed; the functions keep the code they had")
        except Exception:  # no file watching on this machine (no inotify, say): the stack runs on without it
            self._announce("code reload stopped: files cannot be watched here; restart `make run` after a change")
            logger.exception("watching the project failed")

    def stop(self) -> None:
        self._stopped.set()

    def changed(self, paths: Iterable[Path]) -> None:
        """React to saved files: reload the Lambda code, or say that the program needs a restart."""
        relevant = [p for p in paths if p.suffix in _WATCHED_SUFFIXES and "__pycache__" not in p.parts]
        runtime = [p for p in relevant if self._top(p) in RUNTIME_PACKAGES]
        program = [p for p in relevant if p not in runtime]
        if program:
            names = ", ".join(self._relative(p) for p in program)
            self._announce(f"changed {names}: the program's resources may differ; restart `make run` to apply it")
        if runtime:
            started = time.perf_counter()
            self._builds += 1
            archive = build_code_archive(
                self._project, list(RUNTIME_PACKAGES), self._work_dir / f"lambda-{self._builds}.zip"
            )
            self._replace_code(archive.path)
            elapsed = (time.perf_counter() - started) * 1000
            names = ", ".join(self._relative(p) for p in runtime)
            self._announce(
                f"code reloaded in {elapsed:.0f} ms ({names}): new invocations run it; "
                "those in flight finish on the old code"
            )

    def _top(self, path: Path) -> str:
        return path.relative_to(self._project).parts[0] if path.is_relative_to(self._project) else ""

    def _relative(self, path: Path) -> str:
        return str(path.relative_to(self._project)) if path.is_relative_to(self._project) else str(path)
