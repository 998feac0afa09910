"""The handler Lambda calls builds its function once per execution environment, on the first invocation, from the
variables the function was deployed with, and with AWS clients sized to the function's time-out."""

import pytest

from handlers import http_api
from handlers.aws import WRITE_CONCURRENCY, AwsClients, EntryPoint
from handlers.settings import ApiSettings, FunctionLimits, SettingError
from handlers.time_budget import attempt_timeouts
from harness.lambda_events import api_event

KEY = "arn:aws:kms:eu-west-3:123456789012:key/k"


def test_the_function_is_built_at_the_first_invocation_and_only_then(monkeypatch):
    built = []

    def build(settings, clients):
        built.append(settings)
        return lambda event, context: {"table": settings.table_name}

    monkeypatch.setenv("TABLE_NAME", "stock-levels")
    monkeypatch.setenv("CURSOR_KEY_ID", KEY)
    handler = EntryPoint(build, ApiSettings)
    assert built == []  # nothing at import
    assert handler({}, None) == {"table": "stock-levels"}
    monkeypatch.setenv("TABLE_NAME", "changed-since")
    assert handler({}, None) == {"table": "stock-levels"}
    assert built == [ApiSettings(table_name="stock-levels", cursor_key_id=KEY)]


def test_each_invocation_s_event_and_context_reach_the_function(monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "stock-levels")
    monkeypatch.setenv("CURSOR_KEY_ID", KEY)
    handler = EntryPoint(
        lambda settings, clients: lambda event, context: {"event": event, "context": context}, ApiSettings
    )
    context = object()
    assert handler({"Records": []}, context) == {"event": {"Records": []}, "context": context}


def test_the_clients_are_sized_to_the_time_out_the_function_was_deployed_with(monkeypatch):
    given = []

    def build(settings, clients):
        given.append(clients)
        return lambda event, context: {}

    monkeypatch.setenv("TABLE_NAME", "stock-levels")
    monkeypatch.setenv("CURSOR_KEY_ID", KEY)
    monkeypatch.setenv("FUNCTION_TIMEOUT_SECONDS", "10")
    EntryPoint(build, ApiSettings)({}, None)
    [clients] = given
    assert clients.attempt_seconds == sum(attempt_timeouts(10))


def test_a_function_deployed_without_a_setting_fails_every_invocation_naming_it_in_its_log(monkeypatch, caplog):
    monkeypatch.delenv("TABLE_NAME", raising=False)
    handler = EntryPoint(http_api.build, ApiSettings)
    for _ in range(2):
        with pytest.raises(SettingError, match="environment variable TABLE_NAME is not set"):
            handler(api_event("GET", "/stocks/A1"), None)
    [first, _] = [record for record in caplog.records if record.levelname == "CRITICAL"]
    assert first.getMessage() == "the function cannot start: its settings are incomplete"
    assert "environment variable TABLE_NAME is not set" in caplog.text


def test_a_deployed_function_answers_through_its_entry_point(deployed, api_settings, monkeypatch):
    for name, value in api_settings.environment().items():
        monkeypatch.setenv(name, value)
    handler = EntryPoint(http_api.build, ApiSettings)  # as handlers/http_api.py declares it
    assert handler(api_event("PUT", "/stocks/A1", {"stock_level": 4}), None)["statusCode"] == 200
    assert deployed.stored("A1")["stock_level"] == {"N": "4"}


def test_clients_use_time_outs_sized_to_the_function():
    config = vars(AwsClients(FunctionLimits(timeout_seconds=10)).dynamodb.meta.config)
    assert (config["connect_timeout"], config["read_timeout"]) == attempt_timeouts(10)
    assert config["retries"]["total_max_attempts"] == 4  # botocore counts the first attempt too
    assert config["max_pool_connections"] == WRITE_CONCURRENCY  # a connection for each save a message runs at once
