"""The stack the scenarios run against, known only by its outputs: a local stack or one deployed in AWS.

Its API is reached over HTTPS (or HTTP locally) with SigV4-signed requests, and its queues, table and topic
with AWS's own clients. Locally the embedded AWS's endpoint and the developer's credentials from the stack's
`credentials` file are used; in AWS, the default credential chain.
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

from local_stack.stack import read_credentials


@dataclass
class Target:
    outputs: dict[str, Any]
    session: boto3.session.Session

    @classmethod
    def from_outputs_file(cls, path: Path) -> Target:
        outputs = json.loads(path.read_text())
        region = str(outputs["topic_arn"].split(":")[3])
        if "aws_endpoint_url" not in outputs:  # deployed: whatever credentials the environment provides
            return cls(outputs, boto3.session.Session(region_name=region))
        key, secret = read_credentials(path.parent / "credentials")
        session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=region)
        return cls(outputs, session)

    @property
    def region(self) -> str:
        return str(self.session.region_name)

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.outputs.get("aws_endpoint_url"))  # type: ignore[call-overload]

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
