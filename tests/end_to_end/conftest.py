"""The local stack as a user runs it: `python -m local_stack` in its own process, used over HTTP and AWS APIs."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from local_stack.embedded_aws import local_client

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    work_dir: Path
    outputs: dict[str, Any]
    console: list[str]

    def client(self, service: str) -> Any:
        return local_client(service, self.outputs["aws_endpoint_url"], self.outputs["topic_arn"].split(":")[3])

    def request(
        self, method: str, path: str, body: bytes | str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        data = body.encode() if isinstance(body, str) else body
        request = urllib.request.Request(
            self.outputs["endpoint_url"] + path, data=data, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


def start_stack(work_dir: Path, timeout: float = 90) -> RunningStack:
    """Start the local stack on free ports and wait until it says it is ready."""
    process = subprocess.Popen(
        [sys.executable, "-m", "local_stack", "--port", "0", "--aws-port", "0", "--work-dir", str(work_dir), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    console: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    for line in process.stdout:
        console.append(line.rstrip())
        if "Ready" in line:
            break
        if time.monotonic() > deadline:
            break
    if process.poll() is not None or not console or "Ready" not in console[-1]:
        process.kill()
        pytest.fail("the local stack did not start:\n" + "\n".join(console))
    threading.Thread(target=lambda: console.extend(line.rstrip() for line in process.stdout or []), daemon=True).start()
    outputs = json.loads((work_dir / "outputs.json").read_text())
    return RunningStack(process, work_dir, outputs, console)


def stop_stack(stack: RunningStack, timeout: float = 30) -> int:
    stack.process.terminate()
    try:
        return stack.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        raise


def eventually(probe: Callable[[], T], timeout: float = 30, interval: float = 0.2) -> T:
    """The first truthy value `probe` returns, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s waiting for {probe}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack = start_stack(tmp_path_factory.mktemp("local-stack"))
    yield stack
    stop_stack(stack)
