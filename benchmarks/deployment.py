"""What a deployment moves and how long the program takes to describe it; and what the program declares that
the other benchmarks need (thresholds, batch sizes, time-outs), read from the program rather than restated."""

from __future__ import annotations

import statistics
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.checks import check
from harness.declared_resources import ProgramRun
from harness.fake_cloud import FakeCloud, configured_stack
from harness.pulumi_program import run_program

_FUNCTION = "aws:lambda/function:Function"
_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"


@dataclass(frozen=True)
class DeclaredFunction:
    """One Lambda function as the dev stack declares it."""

    name: str
    handler: str
    timeout_seconds: float
    environment: dict[str, str]
    archive: Path
    batch_size: int | None  # of its event source mapping, if it has one
    batching_window_seconds: int | None  # of the same


@dataclass(frozen=True)
class Program:
    """The program's graph, timed under mocks, and the functions it declares, by handler module."""

    median_seconds: float
    runs: int
    resources: int
    functions: dict[str, DeclaredFunction]

    def function(self, module: str) -> DeclaredFunction:
        return self.functions[module]

    @property
    def threshold(self) -> int:
        return int(self.function("handlers.low_stock_notifier").environment["LOW_STOCK_THRESHOLD"])


@dataclass(frozen=True)
class Package:
    """The code archive the functions deploy."""

    zip_bytes: int
    unpacked_bytes: int
    files: int
    folders: list[str]
    stored: bool  # every file stored, not deflated
    functions: list[str]  # the declared functions that deploy it


def program(runs: int) -> Program:
    """Median time for the Pulumi program to build its resource graph under mocks, and what it declared."""
    timings, declared = [], None
    for _ in range(runs):
        started = time.perf_counter()
        declared = run_program(FakeCloud(), "dev")
        timings.append(time.perf_counter() - started)
    assert declared is not None
    return Program(statistics.median(timings), runs, len(declared.resources), _functions(declared))


def configured_functions(overrides: dict[str, Any], secrets: dict[str, Any]) -> dict[str, DeclaredFunction]:
    """The functions the dev stack declares with these settings over its own, by handler module: those of a local
    stack started with the same settings."""
    return _functions(configured_stack("dev", overrides, secrets))


def _functions(declared: ProgramRun) -> dict[str, DeclaredFunction]:
    mappings = {m.inputs["functionName"]: m.inputs for m in declared.of_type(_MAPPING)}
    functions = {}
    for resource in declared.of_type(_FUNCTION):
        inputs: dict[str, Any] = resource.inputs
        mapping = mappings.get(resource.outputs["arn"], {})
        batch_size, window = mapping.get("batchSize"), mapping.get("maximumBatchingWindowInSeconds")
        functions[inputs["handler"].rsplit(".", 1)[0]] = DeclaredFunction(
            resource.name,
            inputs["handler"],
            float(inputs["timeout"]),
            dict((inputs.get("environment") or {}).get("variables") or {}),
            Path(inputs["code"].path),
            int(batch_size) if batch_size is not None else None,
            int(window) if window is not None else None,
        )
    return functions


def package(declared: Program) -> Package:
    """Bytes of the zip the functions deploy, bytes unpacked, its files, and which functions share it."""
    archives = {function.archive for function in declared.functions.values()}
    check(len(archives) == 1, f"deployment: the functions deploy {len(archives)} archives, not one")
    [archive] = archives
    with zipfile.ZipFile(archive) as packaged:
        infos = [info for info in packaged.infolist() if not info.is_dir()]
    return Package(
        archive.stat().st_size,
        sum(info.file_size for info in infos),
        len(infos),
        sorted({info.filename.split("/")[0] for info in infos}),
        all(info.compress_type == zipfile.ZIP_STORED for info in infos),
        sorted(function.name for function in declared.functions.values()),
    )
