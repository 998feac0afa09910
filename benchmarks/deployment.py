"""What a deployment moves and how long the program takes to describe it."""

from __future__ import annotations

import statistics
import tempfile
import time
import zipfile
from pathlib import Path

from components.code_archive import build_code_archive
from local_stack.pulumi_program import run_program
from tests.infrastructure.fake_cloud import FakeCloud

ROOT = Path(__file__).resolve().parent.parent


def package_size() -> tuple[int, int, int]:
    """Bytes of the zip every function deploys, bytes unpacked, and its file count."""
    with tempfile.TemporaryDirectory() as work:
        archive = build_code_archive(ROOT, ["domain", "adapters", "handlers"], Path(work) / "lambda.zip")
        with zipfile.ZipFile(archive.path) as packaged:
            infos = packaged.infolist()
            return archive.path.stat().st_size, sum(info.file_size for info in infos), len(infos)


def program_seconds(runs: int = 7) -> tuple[float, int]:
    """Median time for the Pulumi program to build its resource graph under mocks, and its resource count."""
    timings, count = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        count = len(run_program(FakeCloud(), "dev").resources)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), count
