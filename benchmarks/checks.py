"""What makes a measurement count: the work measured was done. A failed check stops `make bench` with its
reason, before anything is written; a target missed is reported beside its figure."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import TracebackType


class BenchmarkFailed(RuntimeError):
    """A measured call did not do its work (an error, a batch failure, an alert not sent): nothing it timed counts."""


def check(condition: bool, reason: str) -> None:
    """Stop the benchmark with `reason` unless `condition` holds."""
    if not condition:
        raise BenchmarkFailed(reason)


class LoggedProblems(logging.Handler):
    """Collects what the watched loggers report at WARNING or above while a measurement runs, and fails it if they
    reported anything: our handlers log every error and every batch failure they return at one of those levels,
    and the local stack forwards the functions' own log lines at their level and reports function errors there.

    Watched loggers below WARNING are lowered to it for the while, and put back after."""

    def __init__(self, what: str, *logger_names: str) -> None:
        super().__init__(logging.WARNING)
        self.what = what
        self.records: list[logging.LogRecord] = []
        self._loggers = [logging.getLogger(name) for name in logger_names]
        self._levels: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def raise_if_any(self) -> None:
        """Stop the benchmark if anything was reported so far."""
        if self.records:
            first = self.records[0]
            raise BenchmarkFailed(
                f"{self.what}: {len(self.records)} problem(s) logged; the first, from {first.name} at "
                f"{first.levelname}: {first.getMessage()}"
            )

    def __enter__(self) -> LoggedProblems:
        for logger in self._loggers:
            self._levels.append(logger.level)
            if logger.getEffectiveLevel() > logging.WARNING:
                logger.setLevel(logging.WARNING)
            logger.addHandler(self)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        for logger, level in zip(self._loggers, self._levels, strict=True):
            logger.removeHandler(self)
            logger.setLevel(level)
        if kind is None:
            self.raise_if_any()


@dataclass(frozen=True)
class Target:
    """A figure we set out to reach: at most (or at least) `limit`, in `unit`."""

    limit: float
    at_most: bool
    unit: str = ""

    def met_by(self, value: float) -> bool:
        return value <= self.limit if self.at_most else value >= self.limit

    def bound(self) -> str:
        return f"{'at most' if self.at_most else 'at least'} {self.limit:g}{self.unit}"

    def outcome(self, value: float) -> str:
        return "met" if self.met_by(value) else "NOT met"

    def verdict(self, value: float) -> str:
        """`target at most 1.05: met` (or `NOT met`), for beside the figure."""
        return f"target {self.bound()}: {self.outcome(value)}"


COLD_START = Target(1.15, at_most=True, unit="x the baseline")
REQUESTS_PER_UPDATE = Target(1.05, at_most=True)
FEWER_REQUESTS_THAN_ORIGINAL = Target(4.0, at_most=False, unit="x")
# The HTTP API was to cut the API path's cost by half or more.
HTTP_API_COST = Target(0.5, at_most=True, unit="x the REST API's")
# The local stack was to import a file at least three times as fast with its speed-ups as on today's path, through
# the queue and through the drop bucket; 1,000 lines a second the aim.
IMPORT_SPEEDUP = Target(3.0, at_most=False, unit="x today's path")
IMPORT_RATE_AIM = Target(1000.0, at_most=False, unit=" lines/s")
