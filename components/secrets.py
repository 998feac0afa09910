"""Secrets a function reads at run time: kept in Secrets Manager, never in its environment or its logs."""

from __future__ import annotations

from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def stored_secret(name: str, value: pulumi.Output[str], description: str) -> aws.secretsmanager.Secret:
    """A secret holding `value` (itself a Pulumi secret: encrypted in state, masked in previews). A function
    given the secret's ARN reads the value with secretsmanager:GetSecretValue; its environment holds the ARN only.
    The secret is encrypted with the account's aws/secretsmanager key, which every role of the account may use
    through Secrets Manager without a grant of its own (API_CreateSecret, KmsKeyId:
    docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html)."""
    secret = aws.secretsmanager.Secret(name, description=description)
    aws.secretsmanager.SecretVersion(name, secret_id=secret.id, secret_string=value)
    return secret


def checked_webhook_url(setting: str, value: pulumi.Output[str]) -> pulumi.Output[str]:
    """The URL, refused (without being repeated) unless it is https, or http to this machine (a local receiver)."""

    def check(url: str) -> str:
        parts = urlsplit(url.strip())
        local = parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
        if not parts.hostname or not (parts.scheme == "https" or local):
            raise pulumi.RunError(
                f"{setting} must be the https:// URL of an incoming webhook: "
                f"`pulumi config set --secret {setting} https://hooks.slack.com/services/...`"
            )
        return url.strip()

    return value.apply(check)
