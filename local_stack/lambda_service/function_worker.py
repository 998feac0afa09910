"""One Lambda execution environment: imports the handler once (the cold start), then serves invocations.

Run by path with the function's own environment and its unpacked code archive as PYTHONPATH, so it sees
only what the deployed function would. Requests and responses are JSON lines on stdin and on a private
copy of stdout; whatever the handler prints or logs goes to stderr, as Lambda sends it to CloudWatch.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
from typing import Any


class _JsonLogFormatter(logging.Formatter):
    """Lambda's JSON log format: one object a line, with the record's `extra` fields."""

    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {k: v for k, v in vars(record).items() if k not in self._STANDARD}
        document.update(
            timestamp=self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            level=record.levelname,
            message=record.getMessage(),
            logger=record.name,
        )
        if record.exc_info:
            document["stackTrace"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)


class _Context:
    """The parts of the Lambda context object handlers commonly use."""

    def __init__(self, request_id: str, deadline: float) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    module_name, function_name = sys.argv[1].rsplit(".", 1)
    timeout = float(sys.argv[2])
    responses = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr  # the handler's prints must not mix with responses
    handler_stream = logging.StreamHandler(sys.stderr)
    handler_stream.setFormatter(_JsonLogFormatter())
    logging.basicConfig(level=os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO"), handlers=[handler_stream])
    # The init phase: the handler's module is imported before the first invocation, outside its time-out.
    init_error: dict[str, Any] | None = None
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as error:
        init_error = _error(error, "Runtime.ImportModuleError")
    responses.write(json.dumps({"initialized": True}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if init_error is not None:
                response: dict[str, Any] = {"error": init_error}
            else:
                result = handler(request["event"], _Context(request["request_id"], time.monotonic() + timeout))
                response = {"result": result}
        except Exception as error:  # what Lambda reports as a function error
            response = {"error": _error(error, type(error).__name__)}
        responses.write(json.dumps(response) + "\n")


def _error(error: Exception, error_type: str) -> dict[str, Any]:
    return {
        "errorType": error_type,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


if __name__ == "__main__":
    main()
