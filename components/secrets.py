"""Secrets a function reads at run time: kept in Secrets Manager, never in its environment or its logs."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class StoredSecret:
    """A secret and the version that holds its value. A reader given `secret.arn` must also depend on `version`:
    until the version exists the secret has no AWSCURRENT value, and GetSecretValue fails with
    ResourceNotFoundException (docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html)."""

    secret: aws.secretsmanager.Secret
    version: aws.secretsmanager.SecretVersion


def stored_secret(name: str, value: pulumi.Output[str], description: str) -> StoredSecret:
    """A secret holding `value` (itself a Pulumi secret: encrypted in state, masked in previews). A function
    given the secret's ARN reads the value with secretsmanager:GetSecretValue; its environment holds the ARN only.
    The secret is encrypted with the account's aws/secretsmanager key, which every role of the account may use
    through Secrets Manager without a grant of its own (API_CreateSecret, KmsKeyId:
    docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html)."""
    secret = aws.secretsmanager.Secret(name, description=description)
    version = aws.secretsmanager.SecretVersion(name, secret_id=secret.id, secret_string=value)
    return StoredSecret(secret, version)


def refuse_plaintext(config: pulumi.Config, setting: str) -> None:
    """Refuse a credential set without `--secret`: Pulumi would mask it in its output, but it would stay readable
    in the stack's settings file and in version control. A missing setting is left to `config.require_secret`.

    The engine tells the program which settings it keeps encrypted: the Python language host passes them in
    PULUMI_CONFIG_SECRET_KEYS and pulumi-language-python-exec hands them to `pulumi.runtime.set_all_config`
    (pulumi/pulumi#6896, #7078), which `is_config_secret` reads. The message does not repeat the value, and gives
    the command without one: `pulumi config set` prompts for a value not given (pulumi.com/docs/iac/cli/commands/
    pulumi_config_set)."""
    if config.get(setting) is not None and not pulumi.runtime.is_config_secret(config.full_key(setting)):
        raise pulumi.RunError(
            f"{setting} is a credential and is stored in plaintext in the stack's settings; store it encrypted with "
            f"`pulumi config set --secret {setting}`, which asks for the value (given on the command line, it would "
            "stay in the shell's history)"
        )


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
