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

from local_stack.aws.embedded_aws import EmbeddedAws, local_client

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-3"
_CHILD = """
import json, sys, time
from handlers import bucket_import
event = json.loads(sys.argv[1])
started = time.perf_counter()
if sys.argv[2] == "stream":
    bucket_import.handler(event, None)
else:
    from handlers import aws
    record = event["Records"][0]["s3"]
    body = aws.s3().get_object(Bucket=record["bucket"]["name"], Key=record["object"]["key"])["Body"].read()
    lines = body.decode().splitlines()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec.
peak_kib = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"peak_kib": peak_kib, "seconds": time.perf_counter() - started}))
"""


def measure(sizes: tuple[int, ...] = (0, 100_000, 1_000_000), runs: int = 3) -> dict[str, Any]:
    """Median peak (MiB) and seconds per file size, for the streaming handler and the whole-file reader."""
    aws = EmbeddedAws("127.0.0.1", 0, REGION)
    aws.start()
    try:
        s3, sqs = local_client("s3", aws.url, REGION), local_client("sqs", aws.url, REGION)
        s3.create_bucket(Bucket="drops", CreateBucketConfiguration={"LocationConstraint": REGION})
        environment = {
            **os.environ,
            "AWS_ENDPOINT_URL": aws.url,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "IMPORT_QUEUE_URL": sqs.create_queue(QueueName="import")["QueueUrl"],
            "DEAD_LETTER_QUEUE_URL": sqs.create_queue(QueueName="dead-letters")["QueueUrl"],
            "INPUT_PREFIX": "incoming/",
            "OUTPUT_PREFIX": "reports/",
            "PYTHONPATH": str(ROOT),
        }
        results: dict[str, Any] = {}
        for size in sizes:
            event = _dropped(s3, size)
            for reader in ("stream", "whole"):
                samples = [_run_child(event, reader, environment) for _ in range(runs)]
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
    key = f"incoming/bench-{size}.txt"
    s3.upload_file(handle.name, "drops", key)
    Path(handle.name).unlink()
    head = s3.head_object(Bucket="drops", Key=key)
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "s3": {
                    "bucket": {"name": "drops"},
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


def _run_child(event: dict[str, Any], reader: str, environment: dict[str, str]) -> dict[str, float]:
    # Each run is a new event for the handler: a report of an earlier run would make it skip the file.
    event = json.loads(json.dumps(event))
    event["Records"][0]["s3"]["object"]["sequencer"] += f"{time.monotonic_ns():X}"
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(event), reader],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))
