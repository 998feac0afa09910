"""Peak memory of the drop bucket's function, by file size, beside a reader that loads the file whole.

Each measurement is a fresh Python process, as an execution environment is: it runs the handler on one
object-created event, against an embedded AWS in this process (moto, which keeps the file and the messages
out of the function's memory), and reports its peak resident set (VmHWM, Linux's high-water mark). The
reference process reads the same object whole and splits it into lines, as a function written without
streaming would.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from adapters.outbound.s3_import_reports import report_key_of
from benchmarks.checks import check
from handlers.settings import BucketImportFunctionSettings, DeadLetterQueue, DropFolders
from local_stack.aws.embedded_aws import EmbeddedAws, local_client

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-3"
BUCKET, INPUT_PREFIX, OUTPUT_PREFIX = "drops", "incoming/", "reports/"
_CHILD = """
import json, sys, time
from handlers import bucket_import
event = json.loads(sys.argv[1])
started = time.perf_counter()
if sys.argv[2] == "stream":
    lines = None
    result = bucket_import.handler(event, None)
else:
    from handlers.aws import AwsClients
    record = event["Records"][0]["s3"]
    body = AwsClients().s3.get_object(Bucket=record["bucket"]["name"], Key=record["object"]["key"])["Body"].read()
    lines = len(body.decode().splitlines())
    result = None
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec.
peak_kib = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"peak_kib": peak_kib, "seconds": time.perf_counter() - started, "lines": lines, "result": result}))
"""


def measure(sizes: tuple[int, ...], runs: int) -> dict[str, dict[str, float]]:
    """Median peak (MiB) and seconds per file size, for the streaming handler and the whole-file reader, each
    run checked: the handler sent every line (its report says so) and logged nothing; the reader read them all."""
    aws = EmbeddedAws("127.0.0.1", 0, REGION)
    aws.start()
    try:
        s3, sqs = local_client("s3", aws.url, REGION), local_client("sqs", aws.url, REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        environment = {
            **os.environ,
            "AWS_ENDPOINT_URL": aws.url,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            **BucketImportFunctionSettings(
                import_queue_url=sqs.create_queue(QueueName="import")["QueueUrl"],
                dead_letters=DeadLetterQueue(url=sqs.create_queue(QueueName="dead-letters")["QueueUrl"]),
                folders=DropFolders(input_prefix=INPUT_PREFIX, output_prefix=OUTPUT_PREFIX),
            ).environment(),
            "PYTHONPATH": str(ROOT),
        }
        results: dict[str, dict[str, float]] = {}
        for size in sizes:
            event = _dropped(s3, size)
            for reader in ("stream", "whole"):
                samples = [_checked(s3, size, reader, _run_child(event, reader, environment)) for _ in range(runs)]
                results[f"{reader}-{size}"] = {
                    "peak_mib": statistics.median(s["peak_kib"] for s in samples) / 1024,
                    "seconds": statistics.median(s["seconds"] for s in samples),
                }
        return results
    finally:
        aws.stop()


def _dropped(s3: Any, size: int) -> dict[str, Any]:
    """A file of `size` valid lines uploaded, and the event S3 would send for it."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        for number in range(size):
            handle.write(f"ITEM{number:07d};{number % 50}\n")
    key = f"{INPUT_PREFIX}bench-{size}.txt"
    s3.upload_file(handle.name, BUCKET, key)
    Path(handle.name).unlink()
    head = s3.head_object(Bucket=BUCKET, Key=key)
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "s3": {
                    "bucket": {"name": BUCKET},
                    "object": {
                        "key": key,
                        "size": head["ContentLength"],
                        "eTag": head["ETag"].strip('"'),
                        "sequencer": f"{size:018X}",
                    },
                },
            }
        ]
    }


def _checked(s3: Any, size: int, reader: str, sample: dict[str, Any]) -> dict[str, Any]:
    """The sample, once the work it measured is seen done."""
    if reader == "whole":
        check(sample["lines"] == size, f"drop memory: the whole-file reader read {sample['lines']} of {size} lines")
        return sample
    check(sample["result"] == {"files": 1}, f"drop memory: the handler answered {sample['result']}")
    key = report_key_of(f"{INPUT_PREFIX}bench-{size}.txt", INPUT_PREFIX, OUTPUT_PREFIX)
    report = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    sent = (report.get("status"), report.get("lines_sent"))
    check(sent == ("sent", size), f"drop memory: the report of {size} lines says {sent}")
    return sample


def _run_child(event: dict[str, Any], reader: str, environment: dict[str, str]) -> dict[str, Any]:
    # Each run is a new event for the handler: a report of an earlier run would make it skip the file.
    event = json.loads(json.dumps(event))
    event["Records"][0]["s3"]["object"]["sequencer"] += f"{time.monotonic_ns():X}"
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(event), reader],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    # Nothing on stderr: the handler logs its warnings and errors there (Python's last-resort handler).
    check(
        completed.returncode == 0 and not completed.stderr.strip(),
        f"drop memory: the {reader} process exited {completed.returncode}: {completed.stderr.strip()[-500:]}",
    )
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))
