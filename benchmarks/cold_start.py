"""Cold start: a fresh interpreter importing a handler and doing its first-invocation setup, no network."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from components.code_archive import build_code_archive

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "import boto3; boto3.client('dynamodb')"
# What each handler's first invocation sets up before it makes its first AWS call.
FIRST_INVOCATION = {
    "handlers.http_api": "import handlers.http_api as h; h._repository()",
    "handlers.queue_import": "import handlers.queue_import as h; h._repository()",
    "handlers.low_stock_notifier": (
        "import handlers.low_stock_notifier as h; h._channels(); h._notifier('sns'); h._sent_alerts('sns'); "
        "h._threshold()"
    ),
    # Its first AWS call reads the file's report from S3; the SQS clients come once lines are to be sent.
    "handlers.bucket_import": "import handlers.bucket_import as h; h.aws.s3()",
}
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "eu-west-3",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "stock-levels",
    "TOPIC_ARN": "arn:aws:sns:eu-west-3:123456789012:alerts",
    "SENT_ALERTS_TABLE": "low-stock-alerts-sent",
    "DEAD_LETTER_QUEUE_URL": "https://sqs.eu-west-3.amazonaws.com/123456789012/dlq",
    "IMPORT_QUEUE_URL": "https://sqs.eu-west-3.amazonaws.com/123456789012/import",
    "PYTHONDONTWRITEBYTECODE": "1",
}


@dataclass(frozen=True)
class ColdStart:
    name: str
    median_ms: float
    ratio: float


def _time_once(code: str, code_dir: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(code_dir)!r}); {code}"],
        check=True,
        env=ENVIRONMENT,
        cwd=code_dir,
    )
    return (time.perf_counter() - started) * 1000


def unpacked_package(work: Path) -> Path:
    """The deployed package unpacked in `work`: nothing else is importable from it."""
    archive = build_code_archive(ROOT, ["domain", "adapters", "handlers"], work / "lambda.zip")
    code_dir = work / "code"
    with zipfile.ZipFile(archive.path) as packaged:
        packaged.extractall(code_dir)
    return code_dir


def measure(runs: int = 21) -> list[ColdStart]:
    """Median wall time of each handler's cold start and of the baseline, interleaved so noise hits all alike."""
    with tempfile.TemporaryDirectory() as work:
        code_dir = unpacked_package(Path(work))
        # "before": the same setup with `import boto3` first, as the handlers did until they used botocore.
        before = {f"{name} (before: via boto3)": f"import boto3; {code}" for name, code in FIRST_INVOCATION.items()}
        programs = {"baseline: import boto3 + one client": BASELINE, **FIRST_INVOCATION, **before}
        samples: dict[str, list[float]] = {name: [] for name in programs}
        for code in programs.values():
            _time_once(code, code_dir)  # warm the OS file cache once
        for _ in range(runs):
            for name, code in programs.items():
                samples[name].append(_time_once(code, code_dir))
    baseline = statistics.median(samples["baseline: import boto3 + one client"])
    return [
        ColdStart(name, statistics.median(times), statistics.median(times) / baseline)
        for name, times in samples.items()
    ]


if __name__ == "__main__":
    for result in measure(runs=int(sys.argv[1]) if len(sys.argv) > 1 else 21):
        print(f"{result.name:<40} {result.median_ms:8.1f} ms  {result.ratio:5.2f}x")
