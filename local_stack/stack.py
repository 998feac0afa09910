"""The whole service on one machine: embedded AWS, the Pulumi program's resources, functions, API, pollers."""

from __future__ import annotations

import configparser
import json
import logging
import os
import secrets
import string
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from harness.pulumi_program import run_program
from harness.stack_settings import PROJECT_ROOT, encrypted_settings, stack_config
from local_stack.api_gateway.api_authorization import Caller, SigV4Authorizer
from local_stack.api_gateway.http_api import LocalHttpApi
from local_stack.api_gateway.rest_api import LocalRestApi, bind
from local_stack.aws.embedded_aws import ACCOUNT_ID, EmbeddedAws, PortInUse
from local_stack.aws.s3_notifications import BucketNotifications, Deliver
from local_stack.chat_webhook import ChatWebhook
from local_stack.lambda_service.async_invocations import AWS_RETRY_DELAYS, AsyncInvoker, AsyncSettings
from local_stack.lambda_service.code_reload import CodeReloader
from local_stack.lambda_service.event_source_checks import check_async_destination, check_event_source, identity_of
from local_stack.lambda_service.functions import FunctionFleet, Invocation
from local_stack.lambda_service.queue_poller import QueuePoller
from local_stack.lambda_service.stream_poller import StreamPoller
from local_stack.local_cloud import DeclaredFunction, LocalCloud, LocalDeclarations, describe_not_emulated

logger = logging.getLogger("local_stack")
_CONSOLE_QUEUE = "local-console-notifications"
MAX_ENVIRONMENTS = 5  # concurrent execution environments per function, at most
_NOT_READY = (503, {"Content-Type": "application/json"}, b'{"message": "the local stack is starting"}')
CREDENTIALS_PROFILE = "local"


_LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


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


def read_credentials(path: Path) -> tuple[str, str]:
    """The developer's access key and secret from the shared-credentials file a local stack wrote."""
    parser = configparser.ConfigParser()
    parser.read(path)
    profile = parser[CREDENTIALS_PROFILE]
    return profile["aws_access_key_id"], profile["aws_secret_access_key"]


def _write_private(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)


def _access_key(prefix: str) -> str:
    """An access key id shaped like AWS's: AKIA for a user's long-term key, ASIA for a role's session."""
    return prefix + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))


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

    @property
    def outputs_path(self) -> Path:
        return self.work_dir / "outputs.json"

    @property
    def credentials_path(self) -> Path:
        return self.work_dir / "credentials"

    @property
    def config_path(self) -> Path:
        return self.work_dir / "config"


class LocalStack:
    """`start()` builds everything and returns the stack outputs; `stop()` ends every thread and process."""

    def __init__(self, settings: LocalStackSettings, announce: Callable[[str], None] = print) -> None:
        self.settings = settings
        self.announce = announce
        self.region = stack_config(settings.stack, settings.project_dir, settings.config, settings.stack_file).get(
            "aws:region", "eu-west-3"
        )
        self._api: LocalRestApi | LocalHttpApi | None = None
        self._aws: EmbeddedAws | None = None
        self._http: ThreadingHTTPServer | None = None
        self._fleet: FunctionFleet | None = None
        self._chat: ChatWebhook | None = None
        self._function_keys: dict[str, Caller] = {}
        self._developer: Caller | None = None
        self._stoppables: list[Callable[[], None]] = []
        self._threads: list[threading.Thread] = []

    def start(self) -> dict[str, Any]:
        self._aws = EmbeddedAws(self.settings.host, self.settings.aws_port, self.region)
        self._chat = ChatWebhook(self.settings.host, 0, self.announce)
        self._chat.start()
        self._stoppables.append(self._chat.stop)
        try:
            self._http = bind(self.settings.host, self.settings.api_port, self._respond)
        except OSError:
            raise PortInUse(f"port {self.settings.api_port} on {self.settings.host} is in use") from None
        self._aws.start()
        api_url = f"http://{self.settings.host}:{self._http.server_address[1]}"
        cloud = LocalCloud(self._aws.url, self.region, api_url)
        # Alerts for a chat channel go to the local receiver, or to a loopback one given with --config, never to
        # the URL the stack's settings hold; set as a secret, as the program requires of a webhook URL.
        config = {**self.settings.config, "alertWebhookUrl": self.webhook_url()}
        run = run_program(
            cloud,
            self.settings.stack,
            config,
            self.settings.project_dir,
            self.settings.stack_file,
            secret_keys=["alertWebhookUrl"],
        )
        declared = cloud.declared
        for source in declared.event_sources:
            check_event_source(source, declared, check_iam=self.settings.enforce_authorization)
        developer = self._issue_credentials(declared)
        self._fleet = FunctionFleet(
            list(declared.functions.values()),
            self.settings.work_dir / "functions",
            self._aws_environment,
            MAX_ENVIRONMENTS,
        )
        self._serve_api(declared, developer)
        if self.settings.reload_code:
            reloader = CodeReloader(
                self.settings.project_dir, self.settings.work_dir / "reload", self._fleet.replace_code, self.announce
            )
            self._spawn("code-reload", reloader.run, reloader.stop)
        self._start_pollers(cloud)
        self._start_bucket_notifications(cloud)
        if self.settings.show_notifications:
            self._start_console(cloud)
        outputs = {
            **run.outputs,
            "aws_endpoint_url": self._aws.url,
            "chat_webhook_url": self._chat.url.removesuffix("/hook"),
        }
        self.settings.work_dir.mkdir(parents=True, exist_ok=True)
        self.settings.outputs_path.write_text(json.dumps(outputs, indent=2) + "\n")
        self._describe(cloud, len(run.resources), outputs)
        return outputs

    def webhook_url(self) -> str:
        """The chat webhook the functions post to: a loopback URL the user gave, or the built-in receiver."""
        assert self._chat is not None
        given = self.settings.config.get("alertWebhookUrl")
        if given is None:
            return self._chat.url
        return loopback_url(str(given))

    def _serve_api(self, declared: LocalDeclarations, developer: Caller) -> None:
        """The REST API on its port; AWS_IAM methods check signatures unless authorization is off."""
        assert self._http is not None
        if declared.routes:
            [stage] = declared.stages
            authorizer = (
                SigV4Authorizer(self.region, [developer, *self._function_keys.values()])
                if self.settings.enforce_authorization
                else None
            )
            if declared.api_kind == "http":
                self._api = LocalHttpApi(declared.routes, self.invoke, authorizer, declared.api_execution_arn)
            else:
                self._api = LocalRestApi(declared.routes, stage, self.invoke, authorizer, declared.api_execution_arn)
        self._spawn("rest-api", self._http.serve_forever, self._http.shutdown)

    def stop(self) -> None:
        for stop in reversed(self._stoppables):
            stop()
        if self._fleet is not None:
            self._fleet.stop()  # frees pollers blocked in an invocation
        for thread in self._threads:
            thread.join(timeout=5)
        if self._http is not None:
            self._http.server_close()
        if self._aws is not None:
            self._aws.stop()

    def request_counts(self) -> Counter[str]:
        """AWS requests received so far by the embedded AWS, by `service:operation`."""
        assert self._aws is not None
        return Counter(self._aws.faults.requests)

    def invocation_counts(self) -> dict[str, int]:
        assert self._fleet is not None
        return self._fleet.invocations()

    def invoke(self, function_arn: str, event: dict[str, Any]) -> Invocation:
        assert self._fleet is not None
        return self._fleet.by_arn(function_arn).invoke(event)

    def _respond(self, *request: Any) -> tuple[int, dict[str, str], bytes]:
        return self._api.respond(*request) if self._api is not None else _NOT_READY

    def _aws_environment(self, function: DeclaredFunction) -> dict[str, str]:
        # A function sees only this and its own declared variables, never the developer's environment; its
        # credentials are its role's, as Lambda gives them (AWS_SESSION_TOKEN aside).
        assert self._aws is not None
        credentials = self._function_keys[function.name]
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_ENDPOINT_URL": self._aws.url,
            "AWS_ACCESS_KEY_ID": credentials.access_key,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    def _issue_credentials(self, declared: LocalDeclarations) -> Caller:
        """Keys for each function's role (its requests checked against the role's policies) and for the
        developer (the local account's administrator), written as the shared-credentials profile `local`."""
        assert self._aws is not None
        for function in declared.functions.values():
            identity = identity_of(function, declared)
            caller = Caller(_access_key("ASIA"), secrets.token_urlsafe(30), identity.arn, identity)
            self._function_keys[function.name] = caller
            if self.settings.enforce_authorization:
                self._aws.iam.register(caller.access_key, identity)
        for topic, key in declared.topic_keys.items():
            self._aws.iam.encrypt_topic(topic, key)
        developer = Caller(_access_key("AKIA"), secrets.token_urlsafe(30), f"arn:aws:iam::{ACCOUNT_ID}:root")
        self.settings.work_dir.mkdir(parents=True, exist_ok=True)
        # The AWS CLI's own two files, so that every SDK reaches the local stack through its standard chain.
        # The shared-credentials file names a profile bare, the config file as `profile NAME`; `endpoint_url` in a
        # profile is read by botocore 1.31 and later and by the AWS CLI (docs.aws.amazon.com/sdkref/latest/guide/
        # feature-ss-endpoints.html), and AWS_ENDPOINT_URL, if set, comes before it.
        _write_private(
            self.settings.credentials_path,
            f"[{CREDENTIALS_PROFILE}]\naws_access_key_id = {developer.access_key}\n"
            f"aws_secret_access_key = {developer.secret_key}\n",
        )
        _write_private(
            self.settings.config_path,
            f"[profile {CREDENTIALS_PROFILE}]\nregion = {self.region}\nendpoint_url = {self._aws.url}\n",
        )
        self._developer = developer
        return developer

    def _start_pollers(self, cloud: LocalCloud) -> None:
        declared = cloud.declared
        for source in declared.event_sources:

            def invoke(event: dict[str, Any], arn: str = source.function_arn) -> Invocation:
                return self.invoke(arn, event)

            poller: QueuePoller | StreamPoller
            if source.source_arn in declared.queues:
                poller = QueuePoller(
                    cloud.client("sqs"),
                    declared.queues[source.source_arn],
                    source.source_arn,
                    self.region,
                    source.inputs,
                    invoke,
                )
            else:
                poller = StreamPoller(
                    cloud.client("dynamodbstreams"),
                    cloud.client("sqs"),
                    source.source_arn,
                    self.region,
                    source.inputs,
                    invoke,
                    declared.queues,
                )
            self._spawn(f"poller-{source.source_arn}", poller.run, poller.stop)

    def _start_bucket_notifications(self, cloud: LocalCloud) -> None:
        """S3's notifications (local_stack.aws.s3_notifications), each function's through its asynchronous invoker."""
        assert self._aws is not None
        declared = cloud.declared
        invokers: dict[str, AsyncInvoker] = {}

        def deliver_to(function_arn: str) -> Deliver:
            invokers[function_arn] = self._async_invoker(cloud, function_arn)
            return invokers[function_arn].submit

        notifications = BucketNotifications(
            declared.bucket_notifications,
            {function.arn: function.name for function in declared.functions.values()},
            declared.permissions,
            deliver_to,
            self.announce,
        )
        for invoker in invokers.values():
            invoker.start()
            self._stoppables.append(invoker.stop)
        self._aws.s3_events.subscribe(notifications)

    def _async_invoker(self, cloud: LocalCloud, function_arn: str) -> AsyncInvoker:
        function = next(f for f in cloud.declared.functions.values() if f.arn == function_arn)
        config = cloud.declared.async_settings.get(function.name, {})
        destination = ((config.get("destinationConfig") or {}).get("onFailure") or {}).get("destination")
        if destination and self.settings.enforce_authorization:
            check_async_destination(function, destination, cloud.declared)
        settings = AsyncSettings(
            maximum_retry_attempts=int(config.get("maximumRetryAttempts", 2)),
            maximum_event_age_seconds=int(config.get("maximumEventAgeInSeconds", 6 * 3600)),
            on_failure_queue_url=cloud.declared.queues.get(destination) if destination else None,
        )
        sqs = cloud.client("sqs")
        return AsyncInvoker(
            function_arn,
            lambda event: self.invoke(function_arn, event),
            settings,
            lambda url, body: sqs.send_message(QueueUrl=url, MessageBody=body),
            self.settings.async_retry_delays,
        )

    def _start_console(self, cloud: LocalCloud) -> None:
        """Show every notification published to the program's topics, as a subscriber would get it."""
        sqs, sns = cloud.client("sqs"), cloud.client("sns")
        url = sqs.create_queue(QueueName=_CONSOLE_QUEUE)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for topic in cloud.declared.topics:
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        stopped = threading.Event()

        def show() -> None:
            while not stopped.is_set():
                try:
                    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
                    for message in received.get("Messages", []):
                        envelope = json.loads(message["Body"])
                        topic_name = envelope["TopicArn"].rsplit(":", 1)[-1]
                        self.announce(f"notification on {topic_name}: {envelope['Message']}")
                        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                except Exception:
                    if not stopped.is_set():
                        logger.exception("reading notifications failed")
                        stopped.wait(1)

        self._spawn("console", show, stopped.set)

    def _describe_authorization(self, declared: LocalDeclarations, outputs: dict[str, Any]) -> None:
        if not self.settings.enforce_authorization:
            self.announce("  authorization is OFF (--no-auth): API signatures and IAM policies are not checked")
            return
        self.announce("  authorization is ON: each function's AWS calls are checked against its role's policies")
        if not any(route.authorization == "AWS_IAM" for route in declared.routes) or self._developer is None:
            return
        path = self.settings.credentials_path
        key, secret = self._developer.access_key, self._developer.secret_key
        self.announce(f"  the API takes SigV4-signed requests only; your credentials: {path} (profile local)")
        self.announce(
            f"    curl --aws-sigv4 'aws:amz:{self.region}:execute-api' --user '{key}:{secret}' "
            f"-X PUT {outputs.get('endpoint_url', '')}/stocks/A000 -d '{{\"stock_level\": 4}}'"
        )

    def _describe_standard_variables(self) -> None:
        variables = (
            f"AWS_CONFIG_FILE={self.settings.config_path} "
            f"AWS_SHARED_CREDENTIALS_FILE={self.settings.credentials_path} AWS_PROFILE={CREDENTIALS_PROFILE}"
        )
        self.announce("  any AWS SDK or the AWS CLI reaches this stack, with no endpoint or key given, through:")
        self.announce(f"    export {variables}")
        self.announce("    aws dynamodb list-tables   # AWS_ACCESS_KEY_ID or AWS_ENDPOINT_URL, if set, come first")

    def _spawn(self, name: str, target: Callable[[], None], stop: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)
        self._stoppables.append(stop)

    def _describe(self, cloud: LocalCloud, resource_count: int, outputs: dict[str, Any]) -> None:
        declared = cloud.declared
        self.announce(f"Local stack '{self.settings.stack}' is up: {resource_count} resources from the Pulumi program.")
        for line in describe_not_emulated(declared):
            self.announce(f"  not emulated locally: {line}")
        for line in declared.undeliverable:
            self.announce(f"  SNS will deliver nothing to {line}, as in AWS")
        for setting in encrypted_settings(self.settings.stack, self.settings.project_dir, self.settings.stack_file):
            self.announce(f"  encrypted for the stack in AWS, which only Pulumi can read, so left out here: {setting}")
        self._describe_authorization(declared, outputs)
        self._describe_standard_variables()
        if self.settings.async_retry_delays != AWS_RETRY_DELAYS:
            first, second = self.settings.async_retry_delays
            self.announce(
                f"  asynchronous invocations are retried after {first:g} s and {second:g} s (AWS: 60 s and 120 s)"
            )
        if self.settings.reload_code:
            self.announce("  code reload is ON: a file saved under domain/, adapters/ or handlers/ replaces the code")
        self.announce(
            "  alarms are created but never fire: of the metrics, only SNS's counts of what it moved or failed to"
            " move to a subscription's dead-letter queue are recorded"
        )
        self.announce(
            "  SNS delivers to an encrypted queue only while its key is enabled and its key policy lets SNS use it for"
            " the topic (KMS grants are not read)"
        )
        self.announce(
            "  a message move (redrive) without DestinationArn is refused at once while the dead-letter queue holds a"
            " message sent to it directly, which has no source queue (AWS does not document its answer)"
        )
        if self._chat is not None:
            self.announce(
                f"  chat alerts (alertChannels: webhook) go to the local receiver {self.webhook_url()}, never to a chat"
            )
        self.announce("Outputs:")
        for name, value in outputs.items():
            self.announce(f"    {name:<24} {value}")
        self.announce(f"Outputs written to {self.settings.outputs_path}. Ready; Ctrl-C stops everything.")
