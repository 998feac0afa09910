"""Cold start: a fresh interpreter importing a handler and doing its first-invocation setup, no network; beside
it the boto3 baseline, and two of our functions written with Powertools for AWS Lambda instead."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.checks import BenchmarkFailed
from components.code_archive import build_code_archive
from handlers.settings import (
    ApiSettings,
    BucketImportFunctionSettings,
    ConsumedQueue,
    DeadLetterQueue,
    DropFolders,
    ImportFunctionSettings,
    NotifierSettings,
    Settings,
    WebhookAlertFunctionSettings,
)

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "baseline: import boto3 + one client"
BOTOCORE = "botocore only: one client from a botocore session"
REFERENCES = {
    BASELINE: "import boto3; boto3.client('dynamodb')",
    BOTOCORE: "import botocore.session; botocore.session.get_session().create_client('dynamodb')",
}
# What each handler's first invocation sets up before it makes its first AWS call: the function built from its
# settings, and the clients its calls use (each is made on its first use: `.meta` makes it, calling nothing). The
# API's reads and writes use DynamoDB, its list's cursors KMS: an execution environment soon makes both.
_FIRST_CLIENTS = {
    "handlers.http_api": ("dynamodb", "kms"),
    "handlers.queue_import": ("dynamodb",),
    "handlers.low_stock_notifier": ("dynamodb", "sns"),
    "handlers.webhook_alerts": ("dynamodb", "secrets_manager"),
    # Its first AWS call reads the file's report from S3; the SQS client comes once lines are to be sent.
    "handlers.bucket_import": ("s3",),
}
FIRST_INVOCATION = {
    name: f"import {name} as h; h.handler.built(); c = h.handler.clients; "
    + "; ".join(f"c.{each}.meta" for each in clients)
    for name, clients in _FIRST_CLIENTS.items()
}
# Handlers written after the move from boto3 to botocore: no "before" row, as they never imported boto3.
SINCE_BOTOCORE = ("handlers.webhook_alerts",)
# benchmarks/with_powertools, copied beside the unpacked package: the same setup, and what it replaces ours with.
POWERTOOLS_PACKAGE = "with_powertools"
WITH_POWERTOOLS = {
    "handlers.queue_import": (
        "queue import with Powertools: Logger, BatchProcessor",
        f"import {POWERTOOLS_PACKAGE}.queue_import as h; h._repository(); h._clients().dynamodb.meta",
    ),
    "handlers.low_stock_notifier": (
        "notifier with Powertools: Logger, BatchProcessor, idempotency",
        f"import {POWERTOOLS_PACKAGE}.low_stock_notifier as h; h._topic().for_change('change-1'); h._low_list(); "
        "h._stack_default(); c = h._clients(); c.dynamodb.meta; c.sns.meta",
    ),
}
_QUEUES = "https://sqs.eu-west-3.amazonaws.com/123456789012"
_DEAD_LETTERS = DeadLetterQueue(url=f"{_QUEUES}/dlq")
# Each function's settings, written as the program writes them: a variable renamed there is renamed here too.
_SETTINGS: tuple[Settings[str], ...] = (
    ApiSettings(table_name="stock-levels", cursor_key_id="arn:aws:kms:eu-west-3:123456789012:key/list-cursors"),
    ImportFunctionSettings(table_name="stock-levels", dead_letters=_DEAD_LETTERS),
    BucketImportFunctionSettings(
        import_queue_url=f"{_QUEUES}/import",
        dead_letters=_DEAD_LETTERS,
        folders=DropFolders(input_prefix="incoming/", output_prefix="reports/"),
    ),
    NotifierSettings(
        topic_arn="arn:aws:sns:eu-west-3:123456789012:alerts",
        sent_alerts_table="low-stock-alerts-sent",
        table_name="stock-levels",
    ),
    WebhookAlertFunctionSettings(
        sent_alerts_table="low-stock-alerts-sent",
        webhook_secret_arn="arn:aws:secretsmanager:eu-west-3:123456789012:secret:alert-webhook-url",
        delivery_attempts=10,
        queue=ConsumedQueue(url=f"{_QUEUES}/alerts", message_retention_seconds=4 * 24 * 3600),
        dead_letters=_DEAD_LETTERS,
    ),
)
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "eu-west-3",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    **{name: str(value) for settings in _SETTINGS for name, value in settings.environment().items()},
    "PYTHONDONTWRITEBYTECODE": "1",
}


@dataclass(frozen=True)
class ColdStart:
    """One process's median cold start, and its ratio to the baseline's median in the same run."""

    name: str
    median_ms: float
    ratio: float


@dataclass(frozen=True)
class ColdStarts:
    """Every process measured, interleaved in one run."""

    runs: int
    by_name: dict[str, ColdStart]

    @property
    def baseline(self) -> ColdStart:
        return self.by_name[BASELINE]

    @property
    def botocore(self) -> ColdStart:
        return self.by_name[BOTOCORE]

    def ours(self) -> list[ColdStart]:
        return [self.by_name[name] for name in FIRST_INVOCATION]

    def before(self) -> list[ColdStart]:
        return [self.by_name[before_name(name)] for name in FIRST_INVOCATION if name not in SINCE_BOTOCORE]

    def with_powertools(self) -> list[tuple[ColdStart, ColdStart]]:
        """Each function written with Powertools, beside ours."""
        return [(self.by_name[name], self.by_name[variant]) for name, (variant, _) in WITH_POWERTOOLS.items()]


def before_name(handler: str) -> str:
    return f"{handler} (before: via boto3)"


def _time_once(name: str, code: str, code_dir: Path) -> float:
    """Milliseconds from starting the process to its exit; a process that fails stops the benchmark."""
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(code_dir)!r}); {code}"],
        env=ENVIRONMENT,
        cwd=code_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = (time.perf_counter() - started) * 1000
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
        raise BenchmarkFailed(f"cold start of {name} failed (exit {completed.returncode}): {last}")
    return elapsed


def unpacked_package(work: Path) -> Path:
    """The deployed package unpacked in `work`, with the Powertools variants beside it: nothing else is
    importable from it."""
    archive = build_code_archive(ROOT, ["domain", "adapters", "handlers"], work / "lambda.zip")
    code_dir = work / "code"
    with zipfile.ZipFile(archive.path) as packaged:
        packaged.extractall(code_dir)
    shutil.copytree(
        Path(__file__).with_name(POWERTOOLS_PACKAGE),
        code_dir / POWERTOOLS_PACKAGE,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return code_dir


def programs() -> dict[str, str]:
    """Every process measured, by name: references, our handlers, ours before botocore, the Powertools ones."""
    # "before": the same setup with `import boto3` first, as the handlers did until they used botocore.
    before = {
        before_name(name): f"import boto3; {code}"
        for name, code in FIRST_INVOCATION.items()
        if name not in SINCE_BOTOCORE
    }
    return {**REFERENCES, **FIRST_INVOCATION, **before, **dict(WITH_POWERTOOLS.values())}


def measure(runs: int = 21) -> ColdStarts:
    """Median wall time of each process, interleaved so that noise hits all alike."""
    measured = programs()
    with tempfile.TemporaryDirectory() as work:
        code_dir = unpacked_package(Path(work))
        samples: dict[str, list[float]] = {name: [] for name in measured}
        for name, code in measured.items():
            _time_once(name, code, code_dir)  # warm the OS file cache once, and check every process runs
        for _ in range(runs):
            for name, code in measured.items():
                samples[name].append(_time_once(name, code, code_dir))
    baseline = statistics.median(samples[BASELINE])
    return ColdStarts(
        runs,
        {
            name: ColdStart(name, statistics.median(times), statistics.median(times) / baseline)
            for name, times in samples.items()
        },
    )


if __name__ == "__main__":
    for result in measure(runs=int(sys.argv[1]) if len(sys.argv) > 1 else 21).by_name.values():
        print(f"{result.name:<64} {result.median_ms:8.1f} ms  {result.ratio:5.2f}x")
