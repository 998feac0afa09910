"""The local stack in the Pulumi CLI's place, and a loopback webhook receiver in the receiver stack's, for
`make test-aws TARGET=local`.

`up` starts `python -m local_stack` with the ephemeral stack's settings file, as `pulumi up --config-file` would
take it, and hands over the outputs it writes; `destroy` stops it; `cancel` kills it. The local stack runs in a
process of its own: the tools never import it, so that what they do against AWS is what they do here. The
receiver's function (tools.webhook_receiver.function) is served on 127.0.0.1, its posts kept in memory.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tools.webhook_receiver.function import HOOK_PATH, Record, respond


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
        self._secrets: dict[str, str] = {}

    def set_secret(self, key: str, value: str, config_file: str) -> None:
        """Given to the local stack on its command line at `up` (`--config`), which it takes as a secret: it
        cannot read a value encrypted for a stack (`pulumi config set --secret` would write one in `config_file`)."""
        self._secrets[key] = value

    def up(self, **options: Any) -> UpResult:
        """Start the stack and wait until it says it is ready; the caller bounds the wait (and cancels). Of the
        Automation API's options, `config_file` and `on_output` apply; the policy pack is the CLI's (tests/policy
        runs it over the same program)."""
        on_output: Callable[[str], object] = options.get("on_output", print)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "local_stack", "--stack", self.name, "--config-file", options["config_file"]]
        command += ["--work-dir", str(self.work_dir), "--port", "0", "--aws-port", "0", "--no-reload"]
        command += [f"--config={key}={value}" for key, value in self._secrets.items()]
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


class LoopbackReceiver:
    """The webhook receiver on this machine: its function answers each request as behind its function URL, and
    what it keeps is read at GET /posts (?stock_id= for one item's), where the table holds it in AWS."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.records: list[Record] = []
        self._host = host
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def up(self, **_: Any) -> UpResult:
        """Start serving; the outputs are the receiver stack's, with `posts_url` in place of its table."""
        server = self._server = ThreadingHTTPServer((self._host, 0), self._handler())
        # Polled every 50 ms for shutdown (http.server's default, 0.5 s, would make every stop wait that long).
        threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), name="webhook-receiver", daemon=True
        ).start()
        base = f"http://{self._host}:{server.server_address[1]}"
        return UpResult({"url": OutputValue(base + HOOK_PATH), "posts_url": OutputValue(base + "/posts")})

    def destroy(self, **_: Any) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def cancel(self) -> None:
        self.destroy()

    def posts(self, stock_id: str | None = None) -> list[Record]:
        with self._lock:
            return [record for record in self.records if stock_id is None or record["stock_id"] == stock_id]

    def _keep(self, record: Record) -> None:
        with self._lock:
            self.records.append(record)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/posts":
                    item = parse_qs(parts.query).get("stock_id", [None])[0]
                    self._send(200, json.dumps(receiver.posts(item)), "application/json")
                else:
                    self._invoke()

            def do_POST(self) -> None:
                self._invoke()

            def _invoke(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                response = respond(self._event(body), receiver._keep)
                self._send(response["statusCode"], response["body"], response["headers"]["Content-Type"])

            def _event(self, body: bytes) -> dict[str, Any]:
                """The request as a function URL hands it to the function (payload 2.0), in the fields it reads."""
                path = urlsplit(self.path).path
                try:
                    text, encoded = body.decode(), False
                except UnicodeDecodeError:
                    text, encoded = base64.b64encode(body).decode(), True
                return {
                    "version": "2.0",
                    "rawPath": path,
                    "headers": {name.lower(): value for name, value in self.headers.items()},
                    "requestContext": {
                        "http": {"method": self.command, "path": path},
                        "requestId": str(uuid.uuid4()),
                        "timeEpoch": int(time.time() * 1000),
                    },
                    "body": text,
                    "isBase64Encoded": encoded,
                }

            def _send(self, status: int, body: str, content_type: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # each post is kept instead

        return Handler
