"""What a local stack is told: where it listens, what it runs, where its files go; and the one setting it checks,
the chat webhook a user may give it."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.stack_settings import PROJECT_ROOT
from local_stack.aws.speedups import Speedups
from local_stack.lambda_service.async_invocations import AWS_RETRY_DELAYS

_LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class LocalStackSettings:
    """Where the local stack listens (port 0: any free port) and what it runs."""

    stack: str = "dev"
    host: str = "127.0.0.1"
    api_port: int = 3000
    aws_port: int = 4566
    work_dir: Path = PROJECT_ROOT / ".local"
    config: Mapping[str, Any] = field(default_factory=dict)
    show_notifications: bool = True
    enforce_authorization: bool = True
    reload_code: bool = True
    async_retry_delays: tuple[float, float] = AWS_RETRY_DELAYS
    stack_file: Path | None = None  # the stack's settings; Pulumi.<stack>.yaml of the project by default
    project_dir: Path = PROJECT_ROOT  # the program, its settings and the Lambda code: this project, or a copy
    speedups: Speedups = field(default_factory=Speedups)  # the embedded AWS's; Speedups.none(): moto's own path

    @property
    def outputs_path(self) -> Path:
        return self.work_dir / "outputs.json"

    @property
    def credentials_path(self) -> Path:
        return self.work_dir / "credentials"

    @property
    def config_path(self) -> Path:
        return self.work_dir / "config"


class NotLoopback(ValueError):
    """A webhook URL given to the local stack that would leave this machine."""


def loopback_url(url: str) -> str:
    """The URL if it is http(s) on this machine; the local stack never posts alerts anywhere else."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in _LOOPBACK_HOSTS:
        raise NotLoopback(
            f"alertWebhookUrl={url!r}: the local stack posts alerts only to a receiver on this machine, "
            "http://127.0.0.1:PORT/PATH (or localhost, [::1]); leave it unset to use the built-in one"
        )
    return url
