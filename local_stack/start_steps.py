"""The local stack's start-up steps, each a small class that starts one part of the stack and stops it again, and
what runs them in order (local_stack.stack lists them); what a step builds, later steps use through `StackParts`."""

from __future__ import annotations

import json
import logging
import os
import secrets
import string
import threading
from collections.abc import Callable, Sequence
from http.server import ThreadingHTTPServer
from typing import Any, Protocol

from harness.declared_resources import ProgramRun
from harness.pulumi_program import run_program
from local_stack.api_gateway.api_authorization import Caller, SigV4Authorizer
from local_stack.api_gateway.http_api import LocalHttpApi
from local_stack.api_gateway.rest_api import Answer, LocalRestApi, bind
from local_stack.aws.embedded_aws import ACCOUNT_ID, EmbeddedAws, PortInUse, local_client
from local_stack.aws.s3_notifications import BucketNotifications, Deliver
from local_stack.aws_cli_files import write_aws_cli_files
from local_stack.banner import banner
from local_stack.chat_webhook import ChatWebhook
from local_stack.lambda_service.async_invocations import AsyncInvoker, AsyncSettings
from local_stack.lambda_service.code_reload import CodeReloader
from local_stack.lambda_service.event_source_checks import check_async_destination, check_event_source, identity_of
from local_stack.lambda_service.functions import FunctionFleet, Invocation
from local_stack.lambda_service.queue_poller import STARTING_BATCHES, QueuePoller
from local_stack.lambda_service.stream_poller import StreamPoller
from local_stack.local_cloud import DeclaredEventSource, DeclaredFunction, LocalCloud
from local_stack.settings import LocalStackSettings, loopback_url

logger = logging.getLogger("local_stack")
_CONSOLE_QUEUE = "local-console-notifications"
# Concurrent execution environments per function, at most: a machine's few cores' worth, but enough for the batches
# a queue's poller delivers at once, which would otherwise wait for one another.
MAX_ENVIRONMENTS = STARTING_BATCHES
_NOT_READY: Answer = (503, [("Content-Type", "application/json")], b'{"message": "the local stack is starting"}')


class Step(Protocol):
    """One step of the start-up."""

    def start(self) -> None:
        """Build or start one part of the stack; later steps may use it."""
        ...

    def stop(self) -> None:
        """Undo `start`: close what it opened, end what it started. Called only if `start` returned."""
        ...


class StartUp:
    """Steps started in order and stopped in reverse: every step that started, and only those, also when a later
    one fails to start (its error is raised once they are stopped)."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = tuple(steps)
        self._started: list[Step] = []

    def start(self) -> None:
        try:
            for step in self.steps:
                step.start()
                self._started.append(step)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop what started, the last first; what is stopped is forgotten, so a second call stops nothing twice."""
        while self._started:
            self._started.pop().stop()


class StackParts:
    """What the steps build and share. Each attribute declared here without a value is set by the step that builds
    it, before any later step starts."""

    aws: EmbeddedAws
    chat: ChatWebhook
    api_server: ThreadingHTTPServer
    cloud: LocalCloud
    run: ProgramRun
    developer: Caller
    fleet: FunctionFleet
    outputs: dict[str, Any]

    def __init__(self, settings: LocalStackSettings, region: str, announce: Callable[[str], None]) -> None:
        self.settings = settings
        self.region = region
        self.announce = announce
        self.api: LocalRestApi | LocalHttpApi | None = None  # none without routes
        self.function_keys: dict[str, Caller] = {}
        self.threads: list[threading.Thread] = []

    def invoke(self, function_arn: str, event: dict[str, Any]) -> Invocation:
        return self.fleet.by_arn(function_arn).invoke(event)

    def webhook_url(self) -> str:
        """The chat webhook the functions post to: a loopback URL the user gave, or the built-in receiver."""
        given = self.settings.config.get("alertWebhookUrl")
        if given is None:
            return self.chat.url
        return loopback_url(str(given))

    def respond(self, *request: Any) -> Answer:
        return self.api.respond(*request) if self.api is not None else _NOT_READY

    def spawn(self, name: str, target: Callable[[], None]) -> None:
        """Run `target` in a thread of its own, joined when the stack stops (BackgroundThreads)."""
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)


class StackStep:
    """A step with what earlier steps built at hand; it has nothing to undo unless it says so."""

    def __init__(self, parts: StackParts) -> None:
        self.parts = parts

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        pass


class EmbeddedAwsPort(StackStep):
    """The embedded AWS's port (local_stack.aws.embedded_aws), bound first: a taken one is the first reported.
    Stopping it stops the embedded AWS, serving or not."""

    def start(self) -> None:
        settings = self.parts.settings
        self.parts.aws = EmbeddedAws(settings.host, settings.aws_port, self.parts.region, settings.speedups)

    def stop(self) -> None:
        self.parts.aws.stop()


class ChatWebhookReceiver(StackStep):
    """The local receiver of a chat channel's alerts (local_stack.chat_webhook), serving on a free port."""

    def start(self) -> None:
        self.parts.chat = ChatWebhook(self.parts.settings.host, 0, self.parts.announce)
        self.parts.chat.start()

    def stop(self) -> None:
        self.parts.chat.stop()


class ApiPort(StackStep):
    """The API's port, bound before the program runs so that a taken one fails at once; ApiGateway serves it."""

    def start(self) -> None:
        settings = self.parts.settings
        try:
            self.parts.api_server = bind(settings.host, settings.api_port, self.parts.respond)
        except OSError:
            raise PortInUse(f"port {settings.api_port} on {settings.host} is in use") from None

    def stop(self) -> None:
        self.parts.api_server.server_close()


class EmbeddedAwsServing(StackStep):
    """The embedded AWS serving, from an empty account (EmbeddedAwsPort stops it)."""

    def start(self) -> None:
        self.parts.aws.start()


class PulumiProgram(StackStep):
    """The Pulumi program run under mocks that build each resource it declares in the embedded AWS
    (local_stack.local_cloud).

    Alerts for a chat channel go to the local receiver, or to a loopback one given with --config, never to the URL
    the stack's settings hold; set as a secret, as the program requires of a webhook URL."""

    def start(self) -> None:
        parts, settings = self.parts, self.parts.settings
        api_url = f"http://{settings.host}:{parts.api_server.server_address[1]}"
        parts.cloud = LocalCloud(parts.aws.url, parts.region, api_url)
        config = {**settings.config, "alertWebhookUrl": parts.webhook_url()}
        parts.run = run_program(
            parts.cloud,
            settings.stack,
            config,
            settings.project_dir,
            settings.stack_file,
            secret_keys=["alertWebhookUrl"],
        )


class EventSourceMappingChecks(StackStep):
    """What Lambda refuses of an event source mapping (local_stack.lambda_service.event_source_checks), refused
    before any key is issued or any function runs."""

    def start(self) -> None:
        declared = self.parts.cloud.declared
        for source in declared.event_sources:
            check_event_source(source, declared, check_iam=self.parts.settings.enforce_authorization)


class Credentials(StackStep):
    """Keys for each function's role (its requests checked against the role's policies) and for the developer (the
    local account's administrator), the developer's written as profile `local` in the AWS CLI's own two files
    (local_stack.aws_cli_files); and IAM told which key encrypts each topic."""

    def start(self) -> None:
        parts, settings = self.parts, self.parts.settings
        declared = parts.cloud.declared
        for function in declared.functions.values():
            identity = identity_of(function, declared)
            caller = Caller(_access_key("ASIA"), secrets.token_urlsafe(30), identity.arn, identity)
            parts.function_keys[function.name] = caller
            if settings.enforce_authorization:
                parts.aws.iam.register(caller.access_key, identity)
        for topic, key in declared.topic_keys.items():
            parts.aws.iam.encrypt_topic(topic, key)
        parts.developer = Caller(_access_key("AKIA"), secrets.token_urlsafe(30), f"arn:aws:iam::{ACCOUNT_ID}:root")
        settings.work_dir.mkdir(parents=True, exist_ok=True)
        write_aws_cli_files(
            settings.credentials_path,
            settings.config_path,
            parts.developer.access_key,
            parts.developer.secret_key,
            parts.region,
            parts.aws.url,
        )


def _access_key(prefix: str) -> str:
    """An access key id shaped like AWS's: AKIA for a user's long-term key, ASIA for a role's session."""
    return prefix + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))


class BackgroundThreads(StackStep):
    """The threads later steps start (`StackParts.spawn`), joined when stopping. Listed before Functions, it stops
    after them: by then every later step has asked its threads to end, and the functions' environments are killed,
    which frees a poller blocked in an invocation."""

    def start(self) -> None:
        pass  # each later step starts its own

    def stop(self) -> None:
        for thread in self.parts.threads:
            thread.join(timeout=5)


class Functions(StackStep):
    """Every declared function (local_stack.lambda_service.functions), its execution environments started on first
    use; stopping kills them, even mid-invocation."""

    def start(self) -> None:
        parts = self.parts
        parts.fleet = FunctionFleet(
            list(parts.cloud.declared.functions.values()),
            parts.settings.work_dir / "functions",
            self._aws_environment,
            MAX_ENVIRONMENTS,
        )

    def stop(self) -> None:
        self.parts.fleet.stop()

    def _aws_environment(self, function: DeclaredFunction) -> dict[str, str]:
        # A function sees only this and its own declared variables, never the developer's environment; its
        # credentials are its role's, as Lambda gives them (AWS_SESSION_TOKEN aside).
        credentials = self.parts.function_keys[function.name]
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_ENDPOINT_URL": self.parts.aws.url,
            "AWS_ACCESS_KEY_ID": credentials.access_key,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
            "AWS_REGION": self.parts.region,
            "AWS_DEFAULT_REGION": self.parts.region,
        }


class ApiGateway(StackStep):
    """The program's REST or HTTP API (local_stack.api_gateway) served on its port, in thread `api-gateway`; AWS_IAM
    routes check signatures unless authorization is off."""

    def start(self) -> None:
        parts = self.parts
        declared = parts.cloud.declared
        if declared.routes:
            [stage] = declared.stages
            authorizer = (
                SigV4Authorizer(parts.region, [parts.developer, *parts.function_keys.values()])
                if parts.settings.enforce_authorization
                else None
            )
            if declared.api_kind == "http":
                parts.api = LocalHttpApi(declared.routes, parts.invoke, authorizer, declared.api_execution_arn)
            else:
                parts.api = LocalRestApi(declared.routes, stage, parts.invoke, authorizer, declared.api_execution_arn)
        parts.spawn("api-gateway", parts.api_server.serve_forever)

    def stop(self) -> None:
        self.parts.api_server.shutdown()


class CodeReload(StackStep):
    """Lambda code saved in the project replaces the functions' code (local_stack.lambda_service.code_reload),
    unless reload is off."""

    _reloader: CodeReloader | None = None

    def start(self) -> None:
        parts, settings = self.parts, self.parts.settings
        if settings.reload_code:
            self._reloader = CodeReloader(
                settings.project_dir, settings.work_dir / "reload", parts.fleet.replace_code, parts.announce
            )
            parts.spawn("code-reload", self._reloader.run)

    def stop(self) -> None:
        if self._reloader is not None:
            self._reloader.stop()


class EventSourcePollers(StackStep):
    """Lambda's poller of each event source mapping, a queue's or a table stream's (local_stack.lambda_service),
    each in a thread of its own."""

    _pollers: Sequence[QueuePoller | StreamPoller] = ()

    def start(self) -> None:
        sources = self.parts.cloud.declared.event_sources
        pollers = [self._poller(source) for source in sources]  # every one built before any runs
        for source, poller in zip(sources, pollers, strict=True):
            self.parts.spawn(f"poller-{source.source_arn}", poller.run)
        self._pollers = pollers

    def stop(self) -> None:
        for poller in reversed(self._pollers):
            poller.stop()

    def _poller(self, source: DeclaredEventSource) -> QueuePoller | StreamPoller:
        cloud, region = self.parts.cloud, self.parts.region
        queues = cloud.declared.queues

        def invoke(event: dict[str, Any]) -> Invocation:
            return self.parts.invoke(source.function_arn, event)

        if source.source_arn in queues:
            # A client of its own: its readers' receives and deletes fill its pool of connections (10, botocore's).
            sqs = local_client("sqs", self.parts.aws.url, region)
            return QueuePoller(sqs, queues[source.source_arn], source.source_arn, region, source.inputs, invoke)
        return StreamPoller(
            cloud.client("dynamodbstreams"),
            cloud.client("sqs"),
            source.source_arn,
            region,
            source.inputs,
            invoke,
            queues,
        )


class S3EventNotifications(StackStep):
    """S3's notifications of the program's buckets (local_stack.aws.s3_notifications), each function's delivered
    through its asynchronous invoker (local_stack.lambda_service.async_invocations)."""

    _invokers: Sequence[AsyncInvoker] = ()

    def start(self) -> None:
        parts = self.parts
        declared = parts.cloud.declared
        invokers: dict[str, AsyncInvoker] = {}

        def deliver_to(function_arn: str) -> Deliver:
            invokers[function_arn] = self._async_invoker(function_arn)
            return invokers[function_arn].submit

        notifications = BucketNotifications(
            declared.bucket_notifications,
            {function.arn: function.name for function in declared.functions.values()},
            declared.permissions,
            deliver_to,
            parts.announce,
        )
        for invoker in invokers.values():
            invoker.start()
        self._invokers = list(invokers.values())
        parts.aws.s3_events.subscribe(notifications)

    def stop(self) -> None:
        for invoker in reversed(self._invokers):
            invoker.stop()

    def _async_invoker(self, function_arn: str) -> AsyncInvoker:
        parts = self.parts
        declared = parts.cloud.declared
        function = next(f for f in declared.functions.values() if f.arn == function_arn)
        config = declared.async_settings.get(function.name, {})
        destination = ((config.get("destinationConfig") or {}).get("onFailure") or {}).get("destination")
        if destination and parts.settings.enforce_authorization:
            check_async_destination(function, destination, declared)
        settings = AsyncSettings(
            maximum_retry_attempts=int(config.get("maximumRetryAttempts", 2)),
            maximum_event_age_seconds=int(config.get("maximumEventAgeInSeconds", 6 * 3600)),
            on_failure_queue_url=declared.queues.get(destination) if destination else None,
        )
        sqs = parts.cloud.client("sqs")
        return AsyncInvoker(
            function_arn,
            lambda event: parts.invoke(function_arn, event),
            settings,
            lambda url, body: sqs.send_message(QueueUrl=url, MessageBody=body),
            parts.settings.async_retry_delays,
        )


class NotificationConsole(StackStep):
    """Every notification published to the program's topics shown on the console, as a subscriber would get it,
    unless turned off."""

    def __init__(self, parts: StackParts) -> None:
        super().__init__(parts)
        self._stopped = threading.Event()

    def start(self) -> None:
        if not self.parts.settings.show_notifications:
            return
        cloud = self.parts.cloud
        sqs, sns = cloud.client("sqs"), cloud.client("sns")
        url = sqs.create_queue(QueueName=_CONSOLE_QUEUE)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for topic in cloud.declared.topics:
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        self.parts.spawn("console", lambda: self._show(sqs, url))

    def stop(self) -> None:
        self._stopped.set()

    def _show(self, sqs: Any, url: str) -> None:
        while not self._stopped.is_set():
            try:
                received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
                for message in received.get("Messages", []):
                    envelope = json.loads(message["Body"])
                    topic_name = envelope["TopicArn"].rsplit(":", 1)[-1]
                    self.parts.announce(f"notification on {topic_name}: {envelope['Message']}")
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            except Exception:
                if not self._stopped.is_set():
                    logger.exception("reading notifications failed")
                    self._stopped.wait(1)


class Outputs(StackStep):
    """The program's outputs with the local endpoints added, written to outputs.json for the tools and tests."""

    def start(self) -> None:
        parts, settings = self.parts, self.parts.settings
        parts.outputs = {
            **parts.run.outputs,
            "aws_endpoint_url": parts.aws.url,
            "chat_webhook_url": parts.chat.url.removesuffix("/hook"),
        }
        settings.work_dir.mkdir(parents=True, exist_ok=True)
        settings.outputs_path.write_text(json.dumps(parts.outputs, indent=2) + "\n")


class Banner(StackStep):
    """What was built and how to reach it, announced (local_stack.banner); its last line says the stack is ready."""

    def start(self) -> None:
        parts = self.parts
        lines = banner(
            parts.settings,
            parts.region,
            parts.cloud.declared,
            len(parts.run.resources),
            parts.developer,
            parts.webhook_url(),
            parts.outputs,
        )
        for line in lines:
            parts.announce(line)
