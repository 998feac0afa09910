"""What a stack's functions were deployed with, read back from Lambda: the stack's default reorder point, how far ahead
an update may be dated, and the tables that record each channel's sent alerts.

The stack's outputs name no function, so its functions are found by what their environment names (read with the
classes the functions read it with, handlers.settings): those that read the stack's table, and the chat channel's,
which names the channel's dead-letter queue. What Lambda holds is what the functions act on now, whatever a
`pulumi config` not yet deployed says.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from domain.stock import DEFAULT_MAX_AHEAD
from handlers.settings import Channel, ImportSettings, NotifierSettings, SettingError, WebhookAlertFunctionSettings

# What the stream's function has carried in every version (handlers.settings.NotifierSettings), and what it carries
# from the version with per-item reorder points on: the table whose list of low items it keeps, the stack's default.
_TOPIC_ARN, _SENT_ALERTS_TABLE = "TOPIC_ARN", "SENT_ALERTS_TABLE"
_NOTIFIER_NEEDS = ("TABLE_NAME", "LOW_STOCK_THRESHOLD")


class StackNotReady(SystemExit):
    """The stack's functions do not say one default reorder point, or its stream function is not on the version that
    keeps the list of low items: not deployed with it yet, or a deployment under way."""


@dataclass(frozen=True)
class DeployedFunction:
    """A function of the stack, by name, and its environment."""

    name: str
    environment: Mapping[str, str]


@dataclass(frozen=True)
class DeployedSettings:
    """The stack's settings as its functions hold them."""

    default_reorder_point: int
    max_ahead: timedelta
    sent_alert_tables: dict[Channel, str]


def stack_functions(lambda_client: Any, outputs: Mapping[str, Any]) -> list[DeployedFunction]:
    """The stack's functions that read its table, its stream function whatever its version, and its chat channel's
    function, if it has one."""
    table = outputs["table_name"]
    chat_dead_letters = (outputs.get("alert_dead_letter_queue_urls") or {}).get(Channel.WEBHOOK)
    found: list[DeployedFunction] = []
    for function in _all_functions(lambda_client):
        environment = (function.get("Environment") or {}).get("Variables") or {}
        if (
            _table_reader(environment, table) is not None
            or _posts_to_chat(environment, chat_dead_letters)
            or _publishes_alerts(environment, outputs)
        ):
            found.append(DeployedFunction(str(function["FunctionName"]), environment))
    return found


def deployed_settings(functions: list[DeployedFunction], outputs: Mapping[str, Any]) -> DeployedSettings:
    """The settings the functions agree on; StackNotReady, naming the functions, if a function that reads the table
    has no default reorder point or two disagree, or if the stream function names no table or default (the version
    before per-item reorder points, which sets no mark in the list of low items, still running)."""
    table = outputs["table_name"]
    readers = {f.name: reader for f in functions if (reader := _table_reader(f.environment, table)) is not None}
    if not readers:
        raise StackNotReady(f"no function of this stack reads the table {table}: is the stack deployed?")
    defaults = {name: settings.reorder_default.value for name, settings in readers.items()}
    missing = sorted(name for name, value in defaults.items() if value is None)
    if missing:
        raise StackNotReady(
            f"the stack's functions {', '.join(missing)} hold no default reorder point (LOW_STOCK_THRESHOLD): "
            "deploy the version with per-item reorder points first, then run this again"
        )
    unfinished = {
        f.name: lacking
        for f in functions
        if _publishes_alerts(f.environment, outputs)
        and (lacking := [name for name in _NOTIFIER_NEEDS if not f.environment.get(name)])
    }
    if unfinished:
        raise StackNotReady(
            "the stack's function "
            + "; ".join(
                f"{name} publishes its alerts but holds no {', '.join(lacking)}" for name, lacking in unfinished.items()
            )
            + ": the deploy is not finished (or the stack is on the version before per-item reorder points); run this "
            "again once it is"
        )
    distinct = {value for value in defaults.values() if value is not None}
    if len(distinct) > 1:
        raise StackNotReady(
            f"the stack's functions hold different default reorder points ({_by_function(defaults)}): a deployment "
            "is under way; run this again once it is done"
        )
    spans = {name: settings.times.max_ahead_seconds for name, settings in readers.items()}
    given = {name: seconds for name, seconds in spans.items() if seconds is not None}
    if len(set(given.values())) > 1:
        raise StackNotReady(
            f"the stack's functions hold different asOfMaxAheadSeconds ({_by_function(given)}): a deployment is "
            "under way; run this again once it is done"
        )
    max_ahead = timedelta(seconds=next(iter(given.values()))) if given else DEFAULT_MAX_AHEAD
    (default,) = distinct
    return DeployedSettings(
        default_reorder_point=default,
        max_ahead=max_ahead,
        sent_alert_tables=_sent_alert_tables(functions, outputs),
    )


def read_deployed_settings(lambda_client: Any, outputs: Mapping[str, Any]) -> DeployedSettings:
    """The stack's settings, read from its functions."""
    return deployed_settings(stack_functions(lambda_client, outputs), outputs)


def _sent_alert_tables(functions: list[DeployedFunction], outputs: Mapping[str, Any]) -> dict[Channel, str]:
    tables: dict[Channel, str] = {}
    chat_dead_letters = (outputs.get("alert_dead_letter_queue_urls") or {}).get(Channel.WEBHOOK)
    for function in functions:
        if _posts_to_chat(function.environment, chat_dead_letters):
            tables[Channel.WEBHOOK] = WebhookAlertFunctionSettings.from_environment(
                function.environment
            ).sent_alerts_table
            continue
        try:
            notifier: NotifierSettings[str] = NotifierSettings.from_environment(function.environment)
        except SettingError:
            continue  # a function that writes items: it records no alert
        if notifier.topic_arn == outputs.get("topic_arn"):
            tables[Channel.SNS] = notifier.sent_alerts_table
    return tables


def _table_reader(environment: Mapping[str, str], table: str) -> ImportSettings[str] | None:
    """The settings of a function that reads `table`, None for any other. Every such function carries the import
    function's: the table, the times and the default (the API's adds its cursor key, which the others lack)."""
    try:
        settings: ImportSettings[str] = ImportSettings.from_environment(environment)
    except SettingError:
        return None
    return settings if settings.table_name == table else None


def _publishes_alerts(environment: Mapping[str, str], outputs: Mapping[str, Any]) -> bool:
    """Whether this is the stack's stream function, in any version: it names the stack's topic and a record of sent
    alerts, as it always has."""
    topic = outputs.get("topic_arn")
    return bool(topic) and environment.get(_TOPIC_ARN) == topic and bool(environment.get(_SENT_ALERTS_TABLE))


def _posts_to_chat(environment: Mapping[str, str], chat_dead_letters: str | None) -> bool:
    if not chat_dead_letters:
        return False
    try:
        return WebhookAlertFunctionSettings.from_environment(environment).dead_letters.url == chat_dead_letters
    except SettingError:
        return False


def _by_function(values: Mapping[str, object]) -> str:
    return ", ".join(f"{name}: {value}" for name, value in sorted(values.items()))


def _all_functions(lambda_client: Any) -> Iterator[dict[str, Any]]:
    for page in lambda_client.get_paginator("list_functions").paginate():
        yield from page.get("Functions", [])
