"""Counts a function writes into its own log lines in CloudWatch's embedded metric format, which CloudWatch Logs
turns into metrics with no call to CloudWatch (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
CloudWatch_Embedded_Metric_Format_Specification.html)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

NAMESPACE = "StockLevels"


def counted(metric: str, dimensions: Mapping[str, str]) -> dict[str, Any]:
    """The `extra` of a log record that counts one `metric` for these dimensions.

    The format reads the directive (`_aws`), the value and the dimensions at the root of the log line's JSON object,
    and may find other members there. Lambda's JSON log format, which every function of the stack uses
    (components.lambda_function), writes a record's extra fields at that root (awslambdaric's JsonFormatter); in the
    text format they would be dropped, and nothing counted."""
    directive = {
        "Namespace": NAMESPACE,
        "Dimensions": [list(dimensions)],
        "Metrics": [{"Name": metric, "Unit": "Count"}],
    }
    return {"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [directive]}, metric: 1, **dimensions}
