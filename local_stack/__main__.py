"""`python -m local_stack`: run the whole stack on this machine until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

import pulumi

from local_stack.aws.embedded_aws import PortInUse
from local_stack.aws.s3_notifications import NotificationRefused
from local_stack.aws.speedups import Speedups
from local_stack.lambda_service.event_source_checks import EventSourceRefused
from local_stack.settings import LocalStackSettings, NotLoopback
from local_stack.stack import LocalStack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__)
    parser.add_argument("--stack", default=os.environ.get("STACK", "dev"), help="the stack whose config to use")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")), help="the REST API's port")
    parser.add_argument(
        "--aws-port", type=int, default=int(os.environ.get("LOCAL_AWS_PORT", "4566")), help="the embedded AWS's port"
    )
    parser.add_argument(
        "--config-file",
        type=Path,
        default=None,
        help="the stack's settings file, as `pulumi --config-file` takes it (default: Pulumi.<stack>.yaml)",
    )
    parser.add_argument("--work-dir", type=Path, default=None, help="where outputs.json and unpacked code go")
    parser.add_argument(
        "--config", action="append", default=[], metavar="KEY=VALUE", help="override a stack setting (repeatable)"
    )
    parser.add_argument("--quiet", action="store_true", help="log warnings only")
    parser.add_argument(
        "--no-auth", action="store_true", help="check neither API signatures nor IAM policies (a quick trial)"
    )
    parser.add_argument("--no-reload", action="store_true", help="keep the code the stack started with")
    parser.add_argument(
        "--no-speedups",
        action="store_true",
        help="serve AWS requests the way moto's server does, without the embedded AWS's speed-ups (to compare)",
    )
    parser.add_argument(
        "--async-retry-delays",
        default="60,120",
        metavar="FIRST,SECOND",
        help="seconds before the 2nd and 3rd attempts of a failed asynchronous invocation (AWS: 60,120)",
    )
    args = parser.parse_args(argv)
    if args.config_file and not args.config_file.is_file():
        parser.error(f"--config-file {args.config_file}: no such file")
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    settings = LocalStackSettings(
        stack=args.stack,
        api_port=args.port,
        aws_port=args.aws_port,
        work_dir=args.work_dir or LocalStackSettings.work_dir,
        config=dict(_setting(item) for item in args.config),
        enforce_authorization=not args.no_auth,
        reload_code=not args.no_reload,
        async_retry_delays=_delays(args.async_retry_delays),
        stack_file=args.config_file.resolve() if args.config_file else None,
        speedups=Speedups.none() if args.no_speedups else Speedups(),
    )

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    stack = LocalStack(settings, announce=lambda line: print(line, flush=True))
    try:
        stack.start()
        # Woken every half second: a signal is handled on the main thread only between its waits.
        while not stopping.wait(0.5):
            pass
        print("Stopping...", flush=True)
    except (
        PortInUse,
        pulumi.RunError,
        EventSourceRefused,
        NotificationRefused,
        NotLoopback,
    ) as error:  # a taken port, or what AWS would refuse
        print(f"cannot start: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        stack.stop()
    print("Stopped.", flush=True)
    return 0


def _delays(text: str) -> tuple[float, float]:
    first, second = (float(value) for value in text.split(","))
    return first, second


def _setting(item: str) -> tuple[str, object]:
    """KEY=VALUE, the value read as JSON when it is JSON (numbers, booleans, lists) and as text otherwise."""
    key, _, value = item.partition("=")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


if __name__ == "__main__":
    sys.exit(main())
