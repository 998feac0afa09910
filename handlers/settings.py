"""What each function is given: written as its environment by the program and its components, read back by the
function. Both sides import this module, so it uses the standard library only (it ships in the functions' code)."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any, ClassVar, Generic, Self, TypeVar

# A value named after a resource: a str in the function, a pulumi.Input[str] in the program that makes the resource.
V = TypeVar("V")
_VARIABLE = "variable"


class Channel(StrEnum):
    """A path by which low-stock alerts reach people: the topic's own subscribers (SMS, email), or a chat webhook."""

    SNS = "sns"
    WEBHOOK = "webhook"


class SettingError(RuntimeError):
    """A variable the function needs is missing or unreadable: the function was deployed wrong."""


def variable(name: str) -> dict[str, str]:
    """The metadata of a field carried by the environment variable `name`."""
    return {_VARIABLE: name}


class Settings(Generic[V]):
    """A frozen dataclass whose fields are environment variables (a str, or an int written in decimal), named in
    their metadata, or parts: settings of their own, in the same environment. A field that is None is not written,
    and is read as its default when its variable is absent."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def environment(self) -> dict[str, V | str]:
        """The variables that carry these settings, in the order of the fields."""
        written: dict[str, V | str] = {}
        for each in dataclasses.fields(self):
            value = getattr(self, each.name)
            if isinstance(value, Settings):
                written.update(value.environment())
            elif value is not None:
                written[each.metadata[_VARIABLE]] = str(value) if isinstance(value, int) else value
        return written

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> Self:
        """The settings a function was deployed with; SettingError names the first variable missing or unreadable."""
        hints = typing.get_type_hints(cls)
        return cls(**{each.name: _read(each, hints[each.name], environment) for each in dataclasses.fields(cls)})


def _read(each: dataclasses.Field[Any], hint: Any, environment: Mapping[str, str]) -> Any:
    part = typing.get_origin(hint) or hint
    if isinstance(part, type) and issubclass(part, Settings):
        return part.from_environment(environment)
    name = each.metadata[_VARIABLE]
    value = environment.get(name)
    if value is None and each.default is not dataclasses.MISSING:
        return each.default
    if not value:
        raise SettingError(f"environment variable {name} is not set; the function was deployed without it")
    if int not in (typing.get_args(hint) or (hint,)):
        return value
    try:
        return int(value)
    except ValueError:
        raise SettingError(f"environment variable {name} is {value!r}, not a whole number") from None


# --- Parts written by the generic components, whatever the function.


@dataclass(frozen=True, kw_only=True)
class FunctionLimits(Settings[str]):
    """The function's time-out, which Lambda does not tell a function: LambdaFunction writes it, and the function
    sizes its AWS calls to it. None where no program gave it (a test, a script)."""

    timeout_seconds: int | None = field(default=None, metadata=variable("FUNCTION_TIMEOUT_SECONDS"))


@dataclass(frozen=True, kw_only=True)
class DeadLetterQueue(Settings[V]):
    """Where a function keeps what it gives up on itself (QueueFunction writes it for its own dead-letter queue)."""

    url: V = field(metadata=variable("DEAD_LETTER_QUEUE_URL"))


@dataclass(frozen=True, kw_only=True)
class ConsumedQueue(Settings[V]):
    """The queue a function consumes, for a function that sets when a failed message comes back (QueueFunction): its
    URL, and how long it keeps a message after it was sent, past which SQS deletes it, so that no wait outlives it."""

    url: V = field(metadata=variable("QUEUE_URL"))
    message_retention_seconds: int = field(metadata=variable("QUEUE_MESSAGE_RETENTION_SECONDS"))


@dataclass(frozen=True, kw_only=True)
class DropFolders(Settings[V]):
    """Where files are dropped in a bucket, and where the function writes what it makes of them (BucketFunction)."""

    input_prefix: V = field(metadata=variable("INPUT_PREFIX"))
    output_prefix: V = field(metadata=variable("OUTPUT_PREFIX"))


@dataclass(frozen=True, kw_only=True)
class CommonSettings(Settings[V]):
    """What every function reads besides its own settings: its limits, which LambdaFunction writes."""

    limits: FunctionLimits = FunctionLimits()


@dataclass(frozen=True, kw_only=True)
class UpdateTimes(Settings[str]):
    """How far past the moment an update was received its own `as_of` may be, for the functions that take updates
    (None: the domain's default)."""

    max_ahead_seconds: int | None = field(default=None, metadata=variable("AS_OF_MAX_AHEAD_SECONDS"))

    def max_ahead(self, default: timedelta) -> timedelta:
        """The limit as a span of time (0 is a limit: no time after the receipt), `default` where none was given."""
        return default if self.max_ahead_seconds is None else timedelta(seconds=self.max_ahead_seconds)


@dataclass(frozen=True, kw_only=True)
class ReorderDefault(Settings[str]):
    """The stack's default reorder point (`lowStockThreshold`), for the functions that write items or judge them
    (None: the domain's default)."""

    value: int | None = field(default=None, metadata=variable("LOW_STOCK_THRESHOLD"))

    def or_(self, default: int) -> int:
        """The stack's value, `default` where none was given."""
        return default if self.value is None else self.value


# --- Each function's settings as the program gives them, and, where a component adds a part the function needs,
# as the function reads them.


@dataclass(frozen=True, kw_only=True)
class ApiSettings(CommonSettings[V]):
    """The API's function: the table of stock levels, the KMS HMAC key that seals the cursors of its list of low
    items (its ARN), how far ahead an update's time may be, and the stack's default reorder point."""

    table_name: V = field(metadata=variable("TABLE_NAME"))
    cursor_key_id: V = field(metadata=variable("CURSOR_KEY_ID"))
    times: UpdateTimes = UpdateTimes()
    reorder_default: ReorderDefault = ReorderDefault()


@dataclass(frozen=True, kw_only=True)
class ImportSettings(CommonSettings[V]):
    """The import queue's function: the table of stock levels, how far ahead an update's time may be, and the stack's
    default reorder point."""

    table_name: V = field(metadata=variable("TABLE_NAME"))
    times: UpdateTimes = UpdateTimes()
    reorder_default: ReorderDefault = ReorderDefault()


@dataclass(frozen=True, kw_only=True)
class ImportFunctionSettings(ImportSettings[str]):
    """ImportSettings as the function reads them: with the dead-letter queue that keeps its rejected lines."""

    dead_letters: DeadLetterQueue[str]


@dataclass(frozen=True, kw_only=True)
class BucketImportSettings(CommonSettings[V]):
    """The drop bucket's function: the import queue it sends valid lines to, and that queue's dead letters, which
    keep the lines it rejects; and how far ahead a line's time may be."""

    import_queue_url: V = field(metadata=variable("IMPORT_QUEUE_URL"))
    dead_letters: DeadLetterQueue[V]
    times: UpdateTimes = UpdateTimes()


@dataclass(frozen=True, kw_only=True)
class BucketImportFunctionSettings(BucketImportSettings[str]):
    """BucketImportSettings as the function reads them: with its bucket's folders."""

    folders: DropFolders[str]


@dataclass(frozen=True, kw_only=True)
class NotifierSettings(CommonSettings[V]):
    """The stream's function: the alerts topic, the record of alerts sent, the table whose list of low items it keeps
    in line, and the stack's default reorder point."""

    topic_arn: V = field(metadata=variable("TOPIC_ARN"))
    sent_alerts_table: V = field(metadata=variable("SENT_ALERTS_TABLE"))
    table_name: V = field(metadata=variable("TABLE_NAME"))
    reorder_default: ReorderDefault = ReorderDefault()


@dataclass(frozen=True, kw_only=True)
class WebhookAlertSettings(CommonSettings[V]):
    """The chat channel's function: the record of alerts sent, the secret that holds the webhook's URL (never the
    URL: it is a credential), and how many attempts an alert gets."""

    sent_alerts_table: V = field(metadata=variable("SENT_ALERTS_TABLE"))
    webhook_secret_arn: V = field(metadata=variable("ALERT_WEBHOOK_SECRET_ARN"))
    delivery_attempts: int = field(metadata=variable("DELIVERY_ATTEMPTS"))


@dataclass(frozen=True, kw_only=True)
class WebhookAlertFunctionSettings(WebhookAlertSettings[str]):
    """WebhookAlertSettings as the function reads them: with the queue it consumes and its dead letters."""

    queue: ConsumedQueue[str]
    dead_letters: DeadLetterQueue[str]
