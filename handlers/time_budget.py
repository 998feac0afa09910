"""How much of an invocation's time is left, so a handler stops starting work it cannot finish.

Lambda ends an invocation that outlives the function's time-out. For the API that means API Gateway's 502
instead of the designed 503; for a queue or a stream it means the whole batch comes back, work already done
included. So every AWS call is started only if one more attempt (connect plus read time-out) still fits in
the invocation, and handlers stop taking on new messages or records before their time runs out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_MINIMUM_MARGIN_SECONDS = 1.0  # left to log, answer and return once the last call has given up
_LONGEST_CONNECT_SECONDS = 2.0
_LONGEST_READ_SECONDS = 5.0


class OutOfTime(RuntimeError):
    """An AWS call that was not started: one more attempt might outlast the invocation."""


class _InvocationDeadline:
    """When the running invocation ends (Lambda runs one invocation at a time per execution environment), and
    whether the calls being made complete work already done."""

    ends_at: float | None = None
    finishing: bool = False


_current = _InvocationDeadline()


def start_invocation(context: object) -> TimeBudget:
    """Take the invocation's end from its context, bound every AWS call by it, and return the budget of work
    left; without a context (a test, a script) nothing is bounded."""
    _current.ends_at = _end_of(context)
    return TimeBudget(_current.ends_at)


def _end_of(context: object) -> float | None:
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    return time.monotonic() + remaining_ms() / 1000 if callable(remaining_ms) else None


def attempt_timeouts(function_timeout_seconds: float | None) -> tuple[float, float]:
    """Connect and read time-outs of one attempt of an AWS call: at most 2 s and 5 s, and short enough that two
    attempts fit in the function's time-out with the margin to spare (a retry after one that timed out)."""
    if function_timeout_seconds is None:
        return _LONGEST_CONNECT_SECONDS, _LONGEST_READ_SECONDS
    per_attempt = max(0.1, (function_timeout_seconds - _MINIMUM_MARGIN_SECONDS) / 2)
    connect = min(_LONGEST_CONNECT_SECONDS, per_attempt / 4)
    return connect, min(_LONGEST_READ_SECONDS, per_attempt - connect)


@contextmanager
def finishing() -> Iterator[None]:
    """Calls that record work already done (an alert that was sent) go ahead even when time is short: refusing
    them would not save the invocation, only make the work be done again on the retry."""
    _current.finishing = True
    try:
        yield
    finally:
        _current.finishing = False


def ensure_time_for(attempt_seconds: float) -> None:
    """Raise OutOfTime unless one more attempt of this length can end within the invocation."""
    ends_at = _current.ends_at
    if _current.finishing or ends_at is None:
        return
    if time.monotonic() + attempt_seconds + _MINIMUM_MARGIN_SECONDS > ends_at:
        left = max(0.0, ends_at - time.monotonic())
        raise OutOfTime(f"{left:.1f} s left in the invocation, and one attempt may take {attempt_seconds} s")


def refuse_attempts_that_cannot_finish(attempt_seconds: float) -> Any:
    """A botocore `before-send` hook: raise OutOfTime rather than start an attempt that might not end in time.

    botocore retries only the errors it knows as transient, so this one ends the call at once."""

    def before_send(**_: Any) -> None:
        ensure_time_for(attempt_seconds)

    return before_send


class TimeBudget:
    """Tracks the longest piece of work so far; `allows_another()` is False once one more might not fit."""

    def __init__(self, deadline: float | None) -> None:
        self._deadline = deadline
        self._longest = 0.0
        self._started = time.monotonic()

    def allows_another(self) -> bool:
        if self._deadline is None:
            return True
        margin = max(_MINIMUM_MARGIN_SECONDS, 1.5 * self._longest)
        return time.monotonic() + margin < self._deadline

    def finished_one(self) -> None:
        now = time.monotonic()
        self._longest = max(self._longest, now - self._started)
        self._started = now
