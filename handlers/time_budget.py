"""How much of an invocation's time is left, so a handler stops starting work it cannot finish."""

from __future__ import annotations

import time

_MINIMUM_MARGIN_SECONDS = 1.0


class TimeBudget:
    """Tracks the longest piece of work so far; `allows_another()` is False once one more might not fit."""

    def __init__(self, context: object) -> None:
        remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
        self._deadline: float | None = time.monotonic() + remaining_ms() / 1000 if callable(remaining_ms) else None
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
