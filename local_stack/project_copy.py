"""The local stack of a copy of the project, run in this process: for a measurement that edits the copy's code
and watches the stack take it up (`make bench`'s code reload)."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from harness.stack_settings import PROJECT_ROOT
from local_stack.api_gateway.api_authorization import signed_headers
from local_stack.aws_cli_files import read_credentials
from local_stack.settings import LocalStackSettings
from local_stack.stack import LocalStack

# What a local stack needs of the project: the program, its settings, the Lambda code, the harness that runs the
# program under mocks, and the local stack itself.
PROJECT_PARTS = (
    "__main__.py",
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "domain",
    "adapters",
    "handlers",
    "components",
    "harness",
    "local_stack",
)


def project_copy(destination: Path) -> Path:
    """A copy of the project that may be changed and a local stack run from."""
    for name in PROJECT_PARTS:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            destination.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, destination / name)
    return destination


class CopiedStack:
    """The dev stack of `project`, started at once (ports chosen free, files in `work_dir`), its code reloaded as
    the copy changes; `request` calls its API as the developer, signed as the API's AWS_IAM methods require."""

    def __init__(self, project: Path, work_dir: Path) -> None:
        settings = LocalStackSettings(
            api_port=0, aws_port=0, work_dir=work_dir, project_dir=project, show_notifications=False
        )
        self._stack = LocalStack(settings, announce=lambda _: None)
        try:
            self.outputs = self._stack.start()
        except BaseException:
            self._stack.stop()
            raise
        self._credentials = read_credentials(settings.credentials_path)

    def request(self, method: str, path: str, body: str) -> tuple[int, dict[str, Any]]:
        """Status and JSON answer of one API request."""
        url, data = self.outputs["endpoint_url"] + path, body.encode()
        headers = signed_headers(method, url, data, *self._credentials, self._stack.region)
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, data, headers, method=method), timeout=30
            ) as answer:
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def stop(self) -> None:
        self._stack.stop()
