"""The embedded AWS: moto's server on loopback, bound in the caller's thread so a taken port fails at once, behind
the request layers that add what moto's server lacks. Its connections are kept open between a client's requests, as
AWS's endpoints keep them (local_stack.aws.keep_alive, a speed-up), where werkzeug's server closes each.

`EmbeddedAws.layers` is the request path, in order, as LocalStack composes its handler chain in one list
(localstack/aws/app.py); each layer answers a request itself or passes it on to the next, the last to moto:

0. the speed-ups this embedded AWS uses (local_stack.aws.speedups), chosen for the whole request before anything
   reads it;
1. faults (local_stack.aws.faults): first of the AWS behaviours, so that an injected error stands for a service that
   fails before it does anything, as a throttled one does, and so that every request is counted, refused ones too;
2. IAM (local_stack.aws.iam_enforcement): before anything acts, so that a call the role may not make creates no
   object, announces no event, takes no lock and moves no message;
3. S3's object-created events (local_stack.aws.s3_notifications): after IAM, so that only an allowed write that
   succeeded is announced, as S3 announces it;
4. DynamoDB's atomic item writes (local_stack.aws.atomic_dynamodb), around moto's DynamoDB alone;
5. SQS's message move tasks (local_stack.aws.message_moves), which moto does not serve, and the ids of the
   messages moto accepted;
6. DynamoDB's requests handed to moto's DynamoDB handler directly (local_stack.aws.direct_dynamodb), a speed-up:
   last, so that it stands for moto's dispatch alone, inside DynamoDB's lock: it answers without passing the
   request on, so in front of layer 4 it would write outside the lock.
Layers 3 to 5 act on different services, so their order among themselves changes nothing; layer 6 must stay after 4.

Four behaviours live inside moto, patched once per process, as they happen after a request is taken: DynamoDB's one
stream record per new item (local_stack.aws.atomic_dynamodb), SNS's deliveries to a queue only while SNS may use the
queue's key (local_stack.aws.sns_deliveries), SQS's 12 hours of visibility counted from a message's receipt
(local_stack.aws.sqs_visibility), and SQS's one consumer at a time for each message (local_stack.aws.atomic_sqs).
Three speed-ups live there too, each used only while the request's embedded AWS
says so: DynamoDB's expressions parsed once per text (local_stack.aws.parsed_expressions), their trees walked with
each node's processor looked up once per kind of node (local_stack.aws.expression_walks), and DynamoDB's plain
results serialised by a direct walk of their shape (local_stack.aws.json_answers).
"""

from __future__ import annotations

import functools
import threading
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from moto.dynamodb.models import dynamodb_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from local_stack.aws.atomic_dynamodb import SerialisedDynamoDb, emit_one_insert_per_new_item
from local_stack.aws.atomic_sqs import serialise_queue_changes
from local_stack.aws.aws_requests import RequestLayer, WsgiApp
from local_stack.aws.direct_dynamodb import DirectDynamoDb
from local_stack.aws.expression_walks import walk_expressions_quickly
from local_stack.aws.faults import FaultInjector
from local_stack.aws.iam_enforcement import IamEnforcer
from local_stack.aws.json_answers import serialise_plain_results
from local_stack.aws.keep_alive import KeepAliveServer
from local_stack.aws.message_moves import MessageMoves
from local_stack.aws.parsed_expressions import parse_expressions_once
from local_stack.aws.s3_notifications import ObjectCreatedEvents
from local_stack.aws.sns_deliveries import check_queue_keys_on_delivery
from local_stack.aws.speedups import Speedups, SpeedupSwitch
from local_stack.aws.sqs_visibility import count_visibility_from_receipt

ACCOUNT_ID = "123456789012"  # moto's account


class PortInUse(RuntimeError):
    """A port the local stack needs is taken."""


class EmbeddedAws:
    """moto's AWS APIs on `host:port` (port 0 picks a free one); `url` is the endpoint for boto3 and the CLI. It
    uses the speed-ups it is given (all by default; `Speedups.none()` for moto's own path)."""

    def __init__(self, host: str, port: int, region: str = "eu-west-3", speedups: Speedups | None = None) -> None:
        emit_one_insert_per_new_item()
        check_queue_keys_on_delivery()
        count_visibility_from_receipt()
        serialise_queue_changes()  # after count_visibility_from_receipt: it wraps that patch's method
        parse_expressions_once()
        walk_expressions_quickly()
        serialise_plain_results()
        self.region = region
        self.speedups = Speedups() if speedups is None else speedups
        self.faults = FaultInjector()
        self.iam = IamEnforcer(region, ACCOUNT_ID)
        self.s3_events = ObjectCreatedEvents(region, ACCOUNT_ID)
        self.message_moves = MessageMoves()
        self.dynamodb_lock = SerialisedDynamoDb(runnable=self.speedups.runnable_lock)
        # The request path, in the order the module's docstring explains.
        self.layers: tuple[RequestLayer, ...] = (
            SpeedupSwitch(self.speedups),
            self.faults,
            self.iam,
            self.s3_events,
            self.dynamodb_lock,
            self.message_moves,
            DirectDynamoDb(),
        )
        application = chained(self.layers, DomainDispatcherApplication(create_backend_app))
        try:
            self._server: BaseWSGIServer = (
                KeepAliveServer(host, port, application)
                if self.speedups.keep_alive
                else make_server(host, port, application, True, request_handler=MotoRequestHandler)
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

    def items_holding(self, table_name: str, attribute: str) -> int:
        """How many items of a table hold `attribute`, as a Scan with `attribute_exists` counts them, read from moto's
        state under DynamoDB's lock, as no request: for a poll that must not slow the writes it waits for (a Scan
        copies every item it reads, and holds the lock while it does)."""
        with self.dynamodb_lock.held():
            table = dynamodb_backends[ACCOUNT_ID][self.region].get_table(table_name)
            return sum(attribute in item.attrs for item in table.all_items())

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._close_kept_connections()
            self._thread.join(timeout=10)
        self._server.server_close()
        self._close_kept_connections()

    def _close_kept_connections(self) -> None:
        if isinstance(self._server, KeepAliveServer):
            self._server.close_kept_connections()


def chained(layers: Sequence[RequestLayer], application: WsgiApp) -> WsgiApp:
    """One WSGI application: the first layer gets each request, and each passes it on to the next, the last to
    `application`."""
    for layer in reversed(layers):
        application = _passing_on(layer, application)
    return application


def _passing_on(layer: RequestLayer, forward: WsgiApp) -> WsgiApp:
    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return layer(environ, start_response, forward)

    return application


def local_client(service: str, endpoint_url: str, region: str) -> Any:
    """A boto3 client for any service of the embedded AWS (it accepts any credentials). A session of its own, not
    boto3's default one, which keeps the AWS configuration files it read first whatever the environment says
    since (a test that points AWS_PROFILE elsewhere); but one loader of the services' models for them all, which a
    new session would otherwise read and parse again: most of the time it takes to make a client."""
    session = botocore.session.get_session()
    session.register_component("data_loader", _models_loader())
    return boto3.session.Session(botocore_session=session).client(  # type: ignore[call-overload]  # any service
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


@functools.cache
def _models_loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()
