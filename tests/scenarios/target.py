"""The stack the scenarios run against, known only by its outputs: a local stack or one deployed in AWS.

Its API is reached over HTTPS (or HTTP locally) with SigV4-signed requests, and its queues, table and topic
with AWS's own clients, built as the tools build them (tools.stack_outputs): the default credential chain in the
stack's region. A local stack is reached through the standard AWS configuration its `make run` writes, never
through an endpoint or a key given here.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from tools.stack_outputs import stack_client, stack_session


@dataclass
class Target:
    outputs: dict[str, Any]
    session: boto3.session.Session

    @classmethod
    def from_outputs_file(cls, path: Path) -> Target:
        outputs = json.loads(path.read_text())
        return cls(outputs, stack_session(outputs))

    @property
    def region(self) -> str:
        return str(self.session.region_name)

    def client(self, service: str) -> Any:
        return stack_client(service, self.outputs, self.session)

    def api(self, method: str, path: str, body: dict[str, Any] | str | None = None) -> tuple[int, dict[str, Any]]:
        """A SigV4-signed request to the API (execute-api), as any AWS client signs it."""
        data = (json.dumps(body) if isinstance(body, dict) else body or "").encode()
        request = AWSRequest(
            method=method,
            url=self.outputs["endpoint_url"] + path,
            data=data,
            headers={"Content-Type": "application/json"},
        )
        credentials = self.session.get_credentials()
        if credentials is None:
            raise RuntimeError("no AWS credentials found: the scenarios sign their API requests")
        SigV4Auth(credentials.get_frozen_credentials(), "execute-api", self.region).add_auth(request)
        prepared = urllib.request.Request(
            str(request.url), data=data or None, method=method, headers=dict(request.headers)
        )
        try:
            with urllib.request.urlopen(prepared, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")
