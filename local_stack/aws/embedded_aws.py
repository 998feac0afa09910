"""The embedded AWS: moto's server on loopback, bound in the caller's thread so a taken port fails at once.

Requests pass through a fault injector first (see local_stack.aws.faults), which does nothing until asked, then
IAM (local_stack.aws.iam_enforcement: a function's requests are allowed only as its role allows), then the layer
that announces S3's object-created events (local_stack.aws.s3_notifications), then the layer that makes DynamoDB
writes atomic, as they are in AWS (local_stack.aws.atomic_dynamodb), and SQS's message move tasks, which moto
does not serve (local_stack.aws.message_moves).
"""

from __future__ import annotations

import threading
import urllib.request
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from local_stack.aws.atomic_dynamodb import SerialisedDynamoDb, emit_one_insert_per_new_item
from local_stack.aws.faults import FaultInjector
from local_stack.aws.iam_enforcement import IamEnforcer
from local_stack.aws.message_moves import MessageMoves
from local_stack.aws.s3_notifications import ObjectCreatedEvents

ACCOUNT_ID = "123456789012"  # moto's account


class PortInUse(RuntimeError):
    """A port the local stack needs is taken."""


class EmbeddedAws:
    """moto's AWS APIs on `host:port` (port 0 picks a free one); `url` is the endpoint for boto3 and the CLI."""

    def __init__(self, host: str, port: int, region: str = "eu-west-3") -> None:
        emit_one_insert_per_new_item()
        self.message_moves = MessageMoves(DomainDispatcherApplication(create_backend_app))
        self.s3_events = ObjectCreatedEvents(SerialisedDynamoDb(self.message_moves), region, ACCOUNT_ID)
        self.iam = IamEnforcer(self.s3_events, region, ACCOUNT_ID)
        self.faults = FaultInjector(self.iam)
        try:
            self._server: BaseWSGIServer = make_server(
                host, port, self.faults, True, request_handler=MotoRequestHandler
            )
        except SystemExit:  # werkzeug's answer to a port in use
            raise PortInUse(f"port {port} on {host} is in use; stop what holds it or choose another port") from None
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self.message_moves.sqs = lambda: local_client("sqs", self.url, region)
        self._thread = threading.Thread(target=self._server.serve_forever, name="embedded-aws", daemon=True)

    def start(self) -> None:
        """Serve, starting from an empty account (moto keeps its state per process, not per server)."""
        self._thread.start()
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()


def local_client(service: str, endpoint_url: str, region: str) -> Any:
    """A boto3 client for any service of the embedded AWS (it accepts any credentials). A session of its own, not
    boto3's default one, which keeps the AWS configuration files it read first whatever the environment says
    since (a test that points AWS_PROFILE elsewhere)."""
    return boto3.session.Session().client(  # type: ignore[call-overload]  # any service by name
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
