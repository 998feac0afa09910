"""A chat channel's incoming webhook on this machine: it keeps every alert posted to it, shows it, and can be
told to fail for a while, as a chat service sometimes does (429 or 5xx).

    POST /hook              an alert, as Slack or Teams would take it: 200 "ok", or the failure set below
    GET  /posts             every alert accepted so far, as a JSON list
    GET  /attempts          every post, accepted or not: {"stock_id", "status", "seconds"} (seconds on a monotonic
                            clock, to measure the time between attempts)
    POST /failures          {"status": 503, "seconds": 10} or {"status": 503, "count": 3}; {} ends the failure;
                            "retry_after": 3 adds that Retry-After header to each failure
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness.server_thread import ServerThread


class ChatWebhook:
    """The receiver: `url` is the webhook to give the program; `posts` what it accepted."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, announce: Callable[[str], None] = print) -> None:
        self.posts: list[dict[str, Any]] = []
        self.attempts: list[tuple[float, dict[str, Any], int]] = []  # (time.monotonic(), payload, status) of every post
        self.refused = 0
        self._announce = announce
        self._failure: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self.path = "/hook"
        self.url = f"http://{host}:{self._server.server_address[1]}{self.path}"
        self._serving = ServerThread(self._server, "chat-webhook")

    def start(self) -> None:
        self._serving.start()

    def stop(self) -> None:
        self._serving.stop()

    def fail(
        self, status: int, seconds: float | None = None, count: int | None = None, retry_after: int | None = None
    ) -> None:
        """Answer `status` to every post for `seconds`, or to the next `count` posts, or for ever if neither is
        given; with `Retry-After: retry_after` if that is given."""
        with self._lock:
            self._failure = {
                "status": status,
                "until": time.monotonic() + seconds if seconds is not None else None,
                "count": count,
                "retry_after": retry_after,
            }

    def recover(self) -> None:
        """Accept posts again."""
        with self._lock:
            self._failure = {}

    def _take(self, payload: dict[str, Any]) -> tuple[int, dict[str, str]]:
        """The answer to one post: its status and headers."""
        with self._lock:
            at = time.monotonic()
            failure = self._failure
            if failure and (failure["until"] is None or time.monotonic() < failure["until"]):
                if failure["count"] is not None:
                    failure["count"] -= 1
                    if failure["count"] <= 0:
                        self._failure = {}
                self.refused += 1
                self.attempts.append((at, payload, int(failure["status"])))
                retry_after = failure["retry_after"]
                return int(failure["status"]), {"Retry-After": str(retry_after)} if retry_after is not None else {}
            self._failure = {}
            self.posts.append(payload)
            self.attempts.append((at, payload, 200))
        self._announce(f"chat webhook: {payload.get('text', payload)}")
        return 200, {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(body)
                except ValueError:
                    self._answer(400, b"invalid_payload")
                    return
                if self.path == "/failures":
                    if payload:
                        how_long = payload.get("seconds"), payload.get("count"), payload.get("retry_after")
                        webhook.fail(int(payload["status"]), *how_long)
                    else:
                        webhook.recover()
                    self._answer(200, b"ok")
                elif self.path == webhook.path and isinstance(payload, dict) and payload.get("text"):
                    status, headers = webhook._take(payload)
                    self._answer(status, b"ok" if status == 200 else b"unavailable", headers=headers)
                else:
                    at_hook = self.path == webhook.path
                    self._answer(400 if at_hook else 404, b"no_text" if at_hook else b"")

            def do_GET(self) -> None:
                if self.path == "/posts":
                    with webhook._lock:
                        self._answer(200, json.dumps(webhook.posts).encode(), "application/json")
                elif self.path == "/attempts":
                    with webhook._lock:
                        attempts = [
                            {"stock_id": payload.get("stock_id"), "status": status, "seconds": at}
                            for at, payload, status in webhook.attempts
                        ]
                    self._answer(200, json.dumps(attempts).encode(), "application/json")
                else:
                    self._answer(404, b"")

            def _answer(
                self, status: int, body: bytes, content_type: str = "text/plain", headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # each post is announced instead

        return Handler
