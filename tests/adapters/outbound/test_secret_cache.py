"""A secret's value kept for a few minutes: read once, read again once old, at once on demand, never stale after a
failed read."""

import pytest
from botocore.exceptions import ClientError

from adapters.outbound.secret_cache import CachedSecret
from tests.conftest import account_client

DOWN = ClientError({"Error": {"Code": "InternalServiceError", "Message": "try again"}}, "GetSecretValue")


@pytest.fixture
def secrets(account):
    return account_client("secretsmanager")


@pytest.fixture
def arn(secrets):
    return secrets.create_secret(Name="alert-webhook", SecretString="https://one")["ARN"]


@pytest.fixture
def clock(mocker):
    return mocker.patch("adapters.outbound.secret_cache.monotonic", return_value=1000.0)


def test_the_value_is_read_once_and_kept_until_it_is_as_old_as_its_maximum_age(secrets, arn, clock, mocker):
    reads = mocker.spy(secrets, "get_secret_value")
    cached = CachedSecret(secrets, arn, max_age_seconds=300)
    assert cached.value() == "https://one"
    secrets.put_secret_value(SecretId=arn, SecretString="https://two")
    clock.return_value = 1299.5
    assert cached.value() == "https://one"
    clock.return_value = 1300.0
    assert cached.value() == "https://two"
    clock.return_value = 1400.0
    assert cached.value() == "https://two"
    assert reads.call_count == 2


def test_the_first_ask_reads_the_value_however_young_the_execution_environment(secrets, arn, clock):
    clock.return_value = 0.5  # the monotonic clock may start near zero, as it does at a machine's boot
    assert CachedSecret(secrets, arn, max_age_seconds=300).value() == "https://one"


def test_a_value_read_again_on_demand_says_whether_it_changed_whatever_its_age(secrets, arn, clock, mocker):
    reads = mocker.spy(secrets, "get_secret_value")
    cached = CachedSecret(secrets, arn, max_age_seconds=300)
    cached.value()
    assert cached.reread() is False
    secrets.put_secret_value(SecretId=arn, SecretString="https://two")
    assert cached.reread() is True
    assert cached.value() == "https://two"
    assert reads.call_count == 3


def test_a_failed_read_raises_and_the_next_ask_reads_again(secrets, arn, clock, mocker):
    cached = CachedSecret(secrets, arn, max_age_seconds=300)
    read = secrets.get_secret_value
    mocker.patch.object(secrets, "get_secret_value", side_effect=DOWN)
    with pytest.raises(ClientError):
        cached.value()
    mocker.patch.object(secrets, "get_secret_value", side_effect=read)
    assert cached.value() == "https://one"


def test_after_a_failed_read_on_demand_the_old_value_is_not_used(secrets, arn, clock, mocker):
    cached = CachedSecret(secrets, arn, max_age_seconds=300)
    cached.value()
    read = secrets.get_secret_value
    mocker.patch.object(secrets, "get_secret_value", side_effect=DOWN)
    with pytest.raises(ClientError):
        cached.reread()
    with pytest.raises(ClientError):
        cached.value()  # still young, but not to be trusted: read again
    mocker.patch.object(secrets, "get_secret_value", side_effect=read)
    assert cached.value() == "https://one"
