"""A secret's value kept for a few minutes in an execution environment, so that a new value reaches warm ones too."""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


class CachedSecret:
    """The current value of one Secrets Manager secret, read with GetSecretValue when first asked for and again
    once the value in hand is `max_age_seconds` old. A failed read raises, and the next ask reads again: the
    caller's work fails rather than go on with a value that may have been replaced."""

    def __init__(self, client: SecretsManagerClient, secret_id: str, max_age_seconds: float) -> None:
        self._client = client
        self._secret_id = secret_id
        self._max_age = max_age_seconds
        self._value: str | None = None
        self._read_at = 0.0

    def reread(self) -> bool:
        """Read the value again now, whatever its age; True if it changed."""
        before = self._value
        self._value = None
        return self.value() != before

    def value(self) -> str:
        now = monotonic()
        if self._value is None or now - self._read_at >= self._max_age:
            self._value = self._client.get_secret_value(SecretId=self._secret_id)["SecretString"]
            self._read_at = now
        return self._value
