"""The local stack in the Pulumi CLI's place, for `make test-aws TARGET=local`.

`up` starts `python -m local_stack` with the ephemeral stack's settings file, as `pulumi up --config-file` would
take it, and hands over the outputs it writes; `destroy` stops it; `cancel` kills it. The local stack runs in a
process of its own: the tools never import it, so that what they do against AWS is what they do here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class OutputValue:
    """One stack output, as the Automation API hands it over (`.value`)."""

    value: Any


@dataclass(frozen=True)
class UpResult:
    outputs: dict[str, OutputValue]


class LocalStackProcess:
    """One local stack, named like the ephemeral stack, its files (outputs, AWS configuration) in `work_dir`."""

    def __init__(self, name: str, work_dir: Path, project_dir: Path) -> None:
        self.name = name
        self.work_dir = work_dir
        self._project_dir = project_dir
        self._process: subprocess.Popen[str] | None = None

    def up(self, **options: Any) -> UpResult:
        """Start the stack and wait until it says it is ready; the caller bounds the wait (and cancels). Of the
        Automation API's options, `config_file` and `on_output` apply; the policy pack is the CLI's (tests/policy
        runs it over the same program)."""
        on_output: Callable[[str], object] = options.get("on_output", print)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "local_stack", "--stack", self.name, "--config-file", options["config_file"]]
        command += ["--work-dir", str(self.work_dir), "--port", "0", "--aws-port", "0", "--no-reload"]
        with (self.work_dir / "stderr.log").open("w") as errors:  # the child keeps its own descriptor
            self._process = subprocess.Popen(
                command, cwd=self._project_dir, stdout=subprocess.PIPE, stderr=errors, text=True
            )
        ready = threading.Event()
        threading.Thread(target=self._relay, args=(on_output, ready), daemon=True).start()
        ready.wait()
        if self._process.poll() is not None:
            log = (self.work_dir / "stderr.log").read_text()[-3000:]
            raise RuntimeError(f"the local stack {self.name} stopped before it was ready:\n{log}")
        outputs = json.loads((self.work_dir / "outputs.json").read_text())
        return UpResult({key: OutputValue(value) for key, value in outputs.items()})

    def _relay(self, on_output: Callable[[str], object], ready: threading.Event) -> None:
        """Pass the console on; ready once it says so, or once the process has ended."""
        assert self._process is not None
        assert self._process.stdout is not None
        for line in self._process.stdout:
            on_output(line.rstrip())
            if line.startswith("Outputs written to") and "Ready" in line:
                ready.set()
        self._process.wait()
        ready.set()

    def destroy(self, **_: Any) -> None:
        """Stop the stack (SIGTERM, as Ctrl-C); nothing of it outlives its process."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            raise

    def cancel(self) -> None:
        if self._process is not None:
            self._process.kill()
