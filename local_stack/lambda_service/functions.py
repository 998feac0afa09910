"""The functions of the local stack, each in its own process with only its own environment and code."""

from __future__ import annotations

import json
import logging
import queue
import shutil
import subprocess
import sys
import threading
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_stack.local_cloud import DeclaredFunction

logger = logging.getLogger("local_stack.lambda_service.functions")
_WORKER = Path(__file__).with_name("function_worker.py")
_INIT_TIMEOUT_SECONDS = 10
_STOPPING = {"errorType": "Runtime.Stopped", "errorMessage": "the local stack is stopping"}


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invocation: the handler's result, or the error Lambda would report."""

    result: Any = None
    error: dict[str, Any] | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def _level_of(line: str) -> int:
    """The level of a JSON log line from the function (anything else, such as a crash, is an error)."""
    try:
        return int(logging.getLevelName(json.loads(line).get("level", "ERROR")))
    except (ValueError, AttributeError, TypeError):
        return logging.ERROR


class ExecutionEnvironment:
    """One execution environment of a function: started on first use, restarted after a crash or a time-out."""

    def __init__(
        self, declared: DeclaredFunction, code_dir: Path, aws_environment: dict[str, str], generation: int = 0
    ) -> None:
        self.declared = declared
        self.generation = generation  # which version of the code it runs
        self._code_dir = code_dir
        self._environment = {
            **aws_environment,
            "AWS_LAMBDA_FUNCTION_NAME": declared.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(declared.memory_mb),
            "PYTHONPATH": str(code_dir),
            **declared.environment,
        }
        self._process: subprocess.Popen[str] | None = None
        self._responses: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._closed = False

    def invoke(self, event: dict[str, Any]) -> Invocation:
        """Run the handler on one event, as Lambda's synchronous invoke does (one at a time per function)."""
        with self._lock:
            if self._closed:
                return Invocation(error=dict(_STOPPING))
            process = self._ensure_started()
            if process is None:
                message = f"the runtime did not initialise within {_INIT_TIMEOUT_SECONDS} seconds"
                return Invocation(error={"errorType": "Runtime.InitTimeout", "errorMessage": message})
            assert process.stdin is not None
            process.stdin.write(json.dumps({"event": event, "request_id": str(uuid.uuid4())}) + "\n")
            process.stdin.flush()
            try:
                line = self._responses.get(timeout=self.declared.timeout_seconds)
            except queue.Empty:
                self._stop_process()
                message = f"Task timed out after {self.declared.timeout_seconds} seconds"
                return Invocation(error={"errorType": "TimeoutError", "errorMessage": message})
            if line is None:
                self._stop_process()
                return Invocation(error={"errorType": "Runtime.ExitError", "errorMessage": "the runtime exited"})
            response = json.loads(line)
            return Invocation(result=response.get("result"), error=response.get("error"))

    def stop(self) -> None:
        """Kill the environment now, even mid-invocation (the invocation then fails, as on a crash)."""
        self._closed = True
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    def _ensure_started(self) -> subprocess.Popen[str] | None:
        """The running environment, started and initialised if need be (None if its init phase timed out).

        As in Lambda, the init phase (importing the handler's module) does not count against the
        invocation's time-out; it has its own limit of 10 s
        (docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html)."""
        if self._process is None or self._process.poll() is not None:
            self._responses = queue.Queue()
            self._process = subprocess.Popen(
                [sys.executable, "-u", str(_WORKER), self.declared.handler, str(self.declared.timeout_seconds)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=self._environment,
                cwd=self._code_dir,
            )
            threading.Thread(target=self._read_responses, args=(self._process,), daemon=True).start()
            threading.Thread(target=self._forward_logs, args=(self._process,), daemon=True).start()
            try:
                initialized = self._responses.get(timeout=_INIT_TIMEOUT_SECONDS)
            except queue.Empty:
                initialized = None
            if initialized is None:  # timed out, or the process exited while starting
                self._stop_process()
                return None
        return self._process

    def _read_responses(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._responses.put(line)
        self._responses.put(None)

    def _forward_logs(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            logger.log(_level_of(line), "[%s] %s", self.declared.name, line.rstrip())

    def _stop_process(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None


class LocalFunction:
    """A function that, like Lambda, runs concurrent invocations in separate environments, reusing warm ones.

    New code replaces the environments as a new version does in Lambda: invocations from then on start
    environments on the new code; one in flight finishes on the old code, and its environment is retired."""

    def __init__(
        self, declared: DeclaredFunction, code_dir: Path, aws_environment: dict[str, str], max_environments: int
    ) -> None:
        self.declared = declared
        self._code_dir = code_dir
        self._aws_environment = aws_environment
        self._idle: queue.LifoQueue[ExecutionEnvironment] = queue.LifoQueue()
        self._every: list[ExecutionEnvironment] = []
        self._slots = threading.BoundedSemaphore(max_environments)
        self._lock = threading.Lock()
        self._generation = 0
        self._stopped = False
        self.invocations = 0

    def invoke(self, event: dict[str, Any]) -> Invocation:
        with self._lock:
            self.invocations += 1
        with self._slots:
            environment = self._take()
            if environment is None:
                return Invocation(error=dict(_STOPPING))
            try:
                return environment.invoke(event)
            finally:
                if environment.generation == self._generation:
                    self._idle.put(environment)
                else:
                    environment.stop()  # it ran the old code to the end; the next one starts on the new

    def replace_code(self, code_dir: Path) -> None:
        """Run `code_dir` from the next invocation on; idle environments on the old code are stopped now."""
        with self._lock:
            self._code_dir = code_dir
            self._generation += 1
        while True:
            try:
                self._idle.get_nowait().stop()
            except queue.Empty:
                return

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for environment in self._every:
                environment.stop()

    def _take(self) -> ExecutionEnvironment | None:
        """An idle environment, or a new one; None once the function is stopped (none is started then)."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                if self._stopped:
                    return None
                environment = ExecutionEnvironment(
                    self.declared, self._code_dir, self._aws_environment, self._generation
                )
                self._every.append(environment)
                return environment


def _unpack(archive: Path, code_dir: Path) -> Path:
    shutil.rmtree(code_dir, ignore_errors=True)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(code_dir)
    return code_dir


class FunctionFleet:
    """Every declared function, each unpacked from its own code archive."""

    def __init__(
        self,
        functions: list[DeclaredFunction],
        work_dir: Path,
        aws_environment: Callable[[DeclaredFunction], dict[str, str]],
        max_environments: int = 4,
    ) -> None:
        self._functions: dict[str, LocalFunction] = {}
        self._work_dir = work_dir
        self._versions = 0
        for declared in functions:
            for old in [work_dir / declared.name, *work_dir.glob(f"{declared.name}@*")]:
                shutil.rmtree(old, ignore_errors=True)
            code_dir = _unpack(declared.code_path, work_dir / declared.name)
            self._functions[declared.arn] = LocalFunction(
                declared, code_dir, aws_environment(declared), max_environments
            )

    def replace_code(self, archive: Path) -> None:
        """Every function runs the code of `archive` from its next invocation on (see LocalFunction)."""
        self._versions += 1
        for function in self._functions.values():
            name = function.declared.name
            function.replace_code(_unpack(archive, self._work_dir / f"{name}@{self._versions}"))

    def by_arn(self, arn: str) -> LocalFunction:
        return self._functions[arn]

    def invocations(self) -> dict[str, int]:
        """Invocations so far, by function name."""
        return {function.declared.name: function.invocations for function in self._functions.values()}

    def stop(self) -> None:
        for function in self._functions.values():
            function.stop()
