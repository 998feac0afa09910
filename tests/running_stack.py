"""The local stack as a user runs it: `python -m local_stack` in its own process, used over HTTP and AWS APIs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from local_stack.api_gateway.api_authorization import signed_headers
from local_stack.aws.embedded_aws import local_client
from local_stack.aws_cli_files import read_credentials
from tools.stack_outputs import api_kind_of, local_stack_environment

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    work_dir: Path
    outputs: dict[str, Any]
    console: list[str]
    _clients: dict[str, Any] = field(default_factory=dict)

    @property
    def region(self) -> str:
        return str(self.outputs["topic_arn"].split(":")[3])

    @property
    def api_kind(self) -> str:
        """`rest` or `http`, read from the stack's outputs."""
        return api_kind_of(self.outputs)

    @property
    def no_such_route(self) -> tuple[int, dict[str, str]]:
        """API Gateway's own answer to a request no route or method matches: a REST API's 403, an HTTP API's 404."""
        if self.api_kind == "rest":
            return 403, {"message": "Missing Authentication Token"}
        return 404, {"message": "Not Found"}

    @property
    def unsigned(self) -> tuple[int, dict[str, str]]:
        """API Gateway's own answer to an unsigned request to an AWS_IAM route."""
        return (403, {"message": "Missing Authentication Token" if self.api_kind == "rest" else "Forbidden"})

    def client(self, service: str) -> Any:
        """The embedded AWS's client for `service`, made once (its errors' classes are its own)."""
        if service not in self._clients:
            self._clients[service] = local_client(service, self.outputs["aws_endpoint_url"], self.region)
        return self._clients[service]

    def reach_as_aws(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Set this test's AWS configuration to the stack's, as `make dlq` or `make send` do: the tools build
        their clients from the default chain, as they do for a deployed stack."""
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            monkeypatch.delenv(name)
        for name, value in local_stack_environment(self.work_dir, {}).items():
            monkeypatch.setenv(name, value)

    def credentials(self) -> tuple[str, str]:
        """The developer's access key and secret, from the shared-credentials file the stack wrote."""
        return read_credentials(self.work_dir / "credentials")

    def drain(self, queue_url: str) -> list[dict[str, Any]]:
        """Every message now on a queue, with its attributes, deleted as read."""
        sqs = self.client("sqs")
        drained: list[dict[str, Any]] = []
        while messages := sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages"):
            drained.extend(messages)
            for message in messages:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return drained

    def faults(self, method: str = "GET", **spec: Any) -> dict[str, Any]:
        """Inject (POST), clear (DELETE) or report (GET) faults in the embedded AWS."""
        data = json.dumps(spec).encode() if spec else None
        request = urllib.request.Request(self.outputs["aws_endpoint_url"] + "/_local/faults", data=data, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            report: dict[str, Any] = json.loads(response.read())
            return report

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        signed: bool = True,
    ) -> tuple[int, dict[str, Any]]:
        """An HTTP request to the API, signed with the developer's credentials as an AWS_IAM API needs."""
        data = body.encode() if isinstance(body, str) else body
        url = self.outputs["endpoint_url"] + path
        key, secret = self.credentials()
        if signed:
            headers = signed_headers(method, url, data or b"", key, secret, self.region, headers)
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


def local_stack_command(work_dir: Path, config: dict[str, Any] | None = None, *options: str) -> list[str]:
    """`python -m local_stack` on free ports, its files in `work_dir`, stack settings overridden by `config`."""
    overrides = [f"--config={key}={json.dumps(value)}" for key, value in (config or {}).items()]
    return [
        sys.executable,
        "-m",
        "local_stack",
        "--port",
        "0",
        "--aws-port",
        "0",
        "--work-dir",
        str(work_dir),
        "--quiet",
        "--async-retry-delays=1,2",  # AWS waits minutes; the start-up line says so
        *overrides,
        *options,
    ]


def start_stack(
    work_dir: Path,
    config: dict[str, Any] | None = None,
    timeout: float = 180,
    project: Path = ROOT,
    options: tuple[str, ...] = (),
) -> RunningStack:
    """Start the local stack of `project` (this one, or a changed copy) and wait until it is ready, or fail after
    `timeout` seconds on the clock, whether or not it printed anything (with `--quiet` it prints little)."""
    with (work_dir / "stderr.log").open("w") as stderr_log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            local_stack_command(work_dir, config, *options),
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=stderr_log,
            text=True,
        )
    console: list[str] = []
    settled = threading.Event()  # the ready line came, or the output ended without it

    def read_console() -> None:
        for line in process.stdout or []:
            console.append(line.rstrip())
            if "Ready" in line:
                settled.set()
        settled.set()

    threading.Thread(target=read_console, name=f"console-{work_dir.name}", daemon=True).start()
    settled.wait(timeout)
    if process.poll() is not None or not any("Ready" in line for line in console):
        process.kill()
        process.wait(timeout=30)
        log = (work_dir / "stderr.log").read_text()[-3000:]
        pytest.fail(f"the local stack did not start within {timeout} s:\n" + "\n".join(console) + "\n" + log)
    outputs = json.loads((work_dir / "outputs.json").read_text())
    return RunningStack(process, work_dir, outputs, console)


def stop_stack(stack: RunningStack, timeout: float = 30) -> int:
    stack.process.terminate()
    try:
        return stack.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        raise


class AlertInbox:
    """A queue subscribed to the alerts topic: the alert texts a subscriber received."""

    def __init__(self, stack: RunningStack, name: str) -> None:
        self._stack = stack
        sqs = stack.client("sqs")
        self.url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        stack.client("sns").subscribe(TopicArn=stack.outputs["topic_arn"], Protocol="sqs", Endpoint=arn)
        self.received: list[str] = []

    def collect(self) -> list[str]:
        """Everything received so far, including what arrived since the last call."""
        self.received += [json.loads(m["Body"])["Message"] for m in self._stack.drain(self.url)]
        return self.received

    def per_item(self) -> Counter[str]:
        """Alerts received per item id (the message names the item after 'item ')."""
        return Counter(text.split("item ", 1)[1].split(" ", 1)[0] for text in self.collect())


def settle_alerts(stack: RunningStack, received: Callable[[str], bool], timeout: float = 180) -> None:
    """Return once the notifier is done with every change made so far, so that no alert of theirs can still come.

    A new item crossing the threshold now is alerted only after every earlier record of the table's stream has
    been handled: the stream has one shard here, and its poller goes on only from a record the notifier finished.
    `received(stock_id)` says whether that sentinel's alert has arrived where the test looks."""
    sentinel = f"SETTLE-{uuid.uuid4().hex[:12]}"
    status, _ = stack.request("PUT", f"/stocks/{sentinel}", json.dumps({"stock_level": 0}))
    assert status == 200, status
    eventually(lambda: received(sentinel), timeout=timeout)


def processes_in(directory: Path) -> list[int]:
    """Processes whose working directory is `directory` or inside it (functions' execution environments)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cwd = Path(os.readlink(entry / "cwd"))
            except OSError:
                continue
            if cwd == directory or directory in cwd.parents:
                found.append(int(entry.name))
    return found


def eventually(probe: Callable[[], T | None], timeout: float = 60, interval: float = 0.2) -> T:
    """The first truthy value `probe` returns, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s waiting for {probe}")
        time.sleep(interval)


def running(work_dir: Path, config: dict[str, Any] | None = None) -> Iterator[RunningStack]:
    """A stack for a fixture: started, handed over, always stopped."""
    stack = start_stack(work_dir, config)
    try:
        yield stack
    finally:
        stop_stack(stack)
