"""The embedded AWS's speed-ups: work moto's server does again at every request, done once or skipped, each giving
the answers moto gives without it, and each switchable off (`python -m local_stack --no-speedups`) so that
`make bench` can time the path without them beside the path with them (docs/PERFORMANCE.md).

Each is chosen per embedded AWS: the `SpeedupSwitch` layer, first on its request path, makes its choice the one that
moto's patched code sees while it serves the request (a context variable of the request's thread), so two embedded
AWS in one process, one with speed-ups and one without, each serve as they were told.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, fields
from typing import Any

from local_stack.aws.aws_requests import WsgiApp


@dataclass(frozen=True)
class Speedups:
    """Which speed-ups an embedded AWS uses (all by default)."""

    parsed_expressions: bool = True  # DynamoDB expressions parsed once per text (local_stack.aws.parsed_expressions)
    # DynamoDB requests handed to moto's handler at once, each handler's functions listed once
    # (local_stack.aws.direct_dynamodb)
    direct_dynamodb: bool = True
    json_answers: bool = True  # DynamoDB's plain results serialised by a direct walk (local_stack.aws.json_answers)
    expression_walks: bool = True  # moto's walks of an expression's tree, quicker (local_stack.aws.expression_walks)
    # a client's connection kept open between its requests, each request's log line made only if it is kept
    # (local_stack.aws.keep_alive)
    keep_alive: bool = True
    runnable_lock: bool = True  # DynamoDB's lock taken only by a running thread (local_stack.aws.atomic_dynamodb)

    @classmethod
    def none(cls) -> Speedups:
        """Today's path without any of them: moto's server as it is."""
        return cls(**{field.name: False for field in fields(cls)})

    def names(self) -> list[str]:
        """The speed-ups switched on."""
        return [field.name for field in fields(self) if getattr(self, field.name)]


# What the request being served asked for; outside a request (moto called in-process), none: moto's own path.
_CURRENT: ContextVar[Speedups | None] = ContextVar("local_stack_speedups", default=None)
_NONE = Speedups.none()


def current() -> Speedups:
    """The speed-ups of the embedded AWS serving this thread's request (none outside a request)."""
    return _CURRENT.get() or _NONE


class SpeedupSwitch:
    """Request layer: the speed-ups this embedded AWS was told to use, for the whole of each request it serves."""

    def __init__(self, speedups: Speedups) -> None:
        self.speedups = speedups

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any], forward: WsgiApp
    ) -> Iterable[bytes]:
        token = _CURRENT.set(self.speedups)
        try:
            # Every layer and moto answer with a list or a response already computed: nothing runs after this.
            return forward(environ, start_response)
        finally:
            _CURRENT.reset(token)
