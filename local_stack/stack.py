"""The whole service on one machine: embedded AWS, the Pulumi program's resources, functions, API, pollers.

`LocalStack.steps` is its start-up, in order, each step a small class in local_stack.start_steps; stopping runs
the steps' stops in reverse order, also when a later step failed to start:

1. the ports: the embedded AWS's, the chat webhook's and the API's, bound before anything runs so that a taken port
   fails at once (the embedded AWS's first, so it is the one reported, and stopped last of all);
2. the embedded AWS serving, then the Pulumi program run under mocks that build its resources there;
3. what AWS would refuse of an event source mapping, refused before any file is written or any code runs;
4. the credentials: each function's role keys, and the developer's in the AWS CLI's files;
5. the background threads, started by the steps after them: listed before the functions so that they are joined
   after the functions' environments are killed, which frees a poller blocked in an invocation;
6. the functions, then whatever invokes them: API Gateway (thread `api-gateway`), code reload, the event source
   pollers, S3's notifications;
7. the console of notifications, outputs.json, and last the banner, whose last line says the stack is ready.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from harness.stack_settings import stack_config
from local_stack.aws.atomic_dynamodb import LockWaits
from local_stack.lambda_service.functions import Invocation
from local_stack.settings import LocalStackSettings
from local_stack.start_steps import (
    ApiGateway,
    ApiPort,
    BackgroundThreads,
    Banner,
    ChatWebhookReceiver,
    CodeReload,
    Credentials,
    EmbeddedAwsPort,
    EmbeddedAwsServing,
    EventSourceMappingChecks,
    EventSourcePollers,
    Functions,
    NotificationConsole,
    Outputs,
    PulumiProgram,
    S3EventNotifications,
    StackParts,
    StartUp,
    Step,
)


class LocalStack:
    """`start()` builds everything and returns the stack outputs; `stop()` ends every thread and process."""

    def __init__(self, settings: LocalStackSettings, announce: Callable[[str], None] = print) -> None:
        self.settings = settings
        self.announce = announce
        self.region = stack_config(settings.stack, settings.project_dir, settings.config, settings.stack_file).get(
            "aws:region", "eu-west-3"
        )
        self._parts = StackParts(settings, self.region, announce)
        # The start-up, in the order the module's docstring explains.
        self.steps: tuple[Step, ...] = (
            EmbeddedAwsPort(self._parts),
            ChatWebhookReceiver(self._parts),
            ApiPort(self._parts),
            EmbeddedAwsServing(self._parts),
            PulumiProgram(self._parts),
            EventSourceMappingChecks(self._parts),
            Credentials(self._parts),
            BackgroundThreads(self._parts),
            Functions(self._parts),
            ApiGateway(self._parts),
            CodeReload(self._parts),
            EventSourcePollers(self._parts),
            S3EventNotifications(self._parts),
            NotificationConsole(self._parts),
            Outputs(self._parts),
            Banner(self._parts),
        )
        self._start_up = StartUp(self.steps)

    def start(self) -> dict[str, Any]:
        self._start_up.start()
        return self._parts.outputs

    def stop(self) -> None:
        self._start_up.stop()

    def webhook_url(self) -> str:
        """The chat webhook the functions post to: a loopback URL the user gave, or the built-in receiver."""
        return self._parts.webhook_url()

    def request_counts(self) -> Counter[str]:
        """AWS requests received so far by the embedded AWS, by `service:operation`."""
        return Counter(self._parts.aws.faults.requests)

    def dynamodb_lock_waits(self) -> LockWaits:
        """DynamoDB's requests so far through the embedded AWS's one lock, and how long they waited for it."""
        return self._parts.aws.dynamodb_lock.waits()

    def items_holding(self, table_name: str, attribute: str) -> int:
        """How many items of a table hold `attribute`, counted in the embedded AWS's own state, not by a request."""
        return self._parts.aws.items_holding(table_name, attribute)

    def invocation_counts(self) -> dict[str, int]:
        return self._parts.fleet.invocations()

    def invoke(self, function_arn: str, event: dict[str, Any]) -> Invocation:
        return self._parts.invoke(function_arn, event)
