"""Faults injected into the embedded AWS on request, to prove that failures lose nothing; requests counted.

POST /_local/faults {"service": "dynamodb", "operation": "UpdateItem",
                     "error": "ProvisionedThroughputExceededException", "status": 400, "rate": 0.3, "seconds": 10}
makes that share of matching requests fail for that long; with {"latency": 6} instead of an error, they are
held that many seconds, then served (a client that gave up may still see its request applied, as in AWS).
GET reports what was injected; DELETE clears all and releases every held request.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from local_stack.aws.aws_requests import WsgiApp, operation, read_body, service

CONTROL_PATH = "/_local/faults"


@dataclass(frozen=True)
class Fault:
    service: str
    operation: str
    error: str
    status: int
    rate: float
    until: float
    latency: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.service}:{self.operation}:{'latency' if self.latency else self.error}"


class FaultInjector:
    """Request layer: a matching request gets the error a failing or throttled service answers (or waits, as
    behind a slow one) instead of its answer; every request is counted."""

    def __init__(self, seed: int = 0) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._released = threading.Event()  # set on DELETE: held requests go on at once
        self.injected: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()  # every request by service:operation, for the benchmarks

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any], forward: WsgiApp
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == CONTROL_PATH:
            return self._control(environ, start_response)
        with self._lock:
            self.requests[f"{service(environ)}:{operation(environ)}"] += 1
        fault = self._fault_for(environ) if self._faults else None
        if fault is None:
            return forward(environ, start_response)
        if fault.latency:
            self._released.wait(fault.latency)
            return forward(environ, start_response)
        return _error_response(environ, fault, start_response)

    def _fault_for(self, environ: dict[str, Any]) -> Fault | None:
        called = (service(environ), operation(environ))
        now = time.monotonic()
        with self._lock:
            self._faults = [fault for fault in self._faults if fault.until > now]
            for fault in self._faults:
                if (fault.service, fault.operation) == called and self._random.random() < fault.rate:
                    self.injected[fault.key] += 1
                    return fault
        return None

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        with self._lock:
            if method == "POST":
                spec = json.loads(read_body(environ) or b"{}")
                self._faults.append(
                    Fault(
                        service=spec["service"],
                        operation=spec["operation"],
                        error=spec.get("error", "InternalFailure"),
                        status=int(spec.get("status", 500)),
                        rate=float(spec.get("rate", 1.0)),
                        until=time.monotonic() + float(spec.get("seconds", 3600)),
                        latency=float(spec.get("latency", 0)),
                    )
                )
            elif method == "DELETE":
                self._faults.clear()
                self._released.set()
                self._released = threading.Event()
            report = {"active": [fault.key for fault in self._faults], "injected": dict(self.injected)}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(report).encode()]


def _error_response(environ: dict[str, Any], fault: Fault, start_response: Callable[..., Any]) -> Iterable[bytes]:
    status = f"{fault.status} Injected"
    if environ.get("HTTP_X_AMZ_TARGET"):
        start_response(status, [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-ErrorType", fault.error)])
        return [json.dumps({"__type": fault.error, "message": "injected fault"}).encode()]
    body = (
        "<ErrorResponse><Error><Type>Receiver</Type>"
        f"<Code>{fault.error}</Code><Message>injected fault</Message></Error>"
        "<RequestId>injected</RequestId></ErrorResponse>"
    )
    start_response(status, [("Content-Type", "text/xml")])
    return [body.encode()]
