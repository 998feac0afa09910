"""Topic subscriptions from stack settings: real addresses only, each named by its endpoint, not its position."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

# Domains reserved for documentation and testing (RFC 2606, RFC 6761): mail to them is never delivered, so a
# subscription to one can never be confirmed and whoever it was meant for hears nothing.
_RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
_RESERVED_TOP_LEVEL = ("example", "test", "invalid", "localhost")


def checked_email_addresses(setting: str, values: Sequence[object], required: bool = False) -> list[str]:
    """The addresses of a setting, or a RunError saying what to set: a missing, malformed or placeholder one."""
    how = f"pulumi config set --path '{setting}[0]' someone@your-domain"
    if required and not values:
        raise pulumi.RunError(f"{setting} is required on this stack and is empty: set a monitored address with `{how}`")
    addresses = []
    for value in values:
        address = str(value).strip()
        local, _, domain = address.rpartition("@")
        if not local or "." not in domain:
            raise pulumi.RunError(f"{setting} holds {address!r}, which is not an email address: `{how}`")
        if _is_reserved(domain.lower()):
            raise pulumi.RunError(
                f"{setting} holds the placeholder {address!r}: mail to {domain} is never delivered, so the "
                f"subscription could never be confirmed. Replace it with a monitored address: `{how}`"
            )
        addresses.append(address)
    return addresses


def checked_alert_channels(setting: str, values: Sequence[object], known: Sequence[str]) -> list[str]:
    """The channels a stack chose, or a RunError naming those it may choose."""
    channels = [str(value).strip() for value in values]
    unknown = [channel for channel in channels if channel not in known]
    if unknown or not channels:
        raise pulumi.RunError(
            f"{setting} must list some of {', '.join(known)}, not {unknown or channels}: "
            f"`pulumi config set --path '{setting}[0]' {known[0]}`"
        )
    return list(dict.fromkeys(channels))


def _is_reserved(domain: str) -> bool:
    return any(domain == d or domain.endswith(f".{d}") for d in _RESERVED_DOMAINS) or (
        domain.rsplit(".", 1)[-1] in _RESERVED_TOP_LEVEL
    )


def email_subscriptions(
    name: str,
    topic: pulumi.Input[str],
    addresses: Sequence[str],
    redrive_policy: pulumi.Input[str] | None = None,
) -> list[aws.sns.TopicSubscription]:
    """One subscription per address, named by a digest of the address: removing one leaves the others in place
    (a subscription recreated would send its owner a new confirmation request). `redrive_policy` names where
    SNS keeps what it could not deliver."""
    return [
        aws.sns.TopicSubscription(
            f"{name}-{_digest(address)}",
            topic=topic,
            protocol="email",
            endpoint=address,
            redrive_policy=redrive_policy,
        )
        for address in addresses
    ]


def sms_subscriptions(
    name: str,
    topic: pulumi.Input[str],
    phone_numbers: Sequence[object],
    redrive_policy: pulumi.Input[str] | None = None,
) -> list[aws.sns.TopicSubscription]:
    """One subscription per phone number, the number kept secret in state. These are named by position, not by
    a digest: a digest of a phone number in a resource name could be reversed by trying every number, and an
    SMS subscription needs no confirmation, so recreating one costs its owner nothing."""
    return [
        aws.sns.TopicSubscription(
            f"{name}-{index}",
            topic=topic,
            protocol="sms",
            endpoint=pulumi.Output.secret(str(number)),
            redrive_policy=redrive_policy,
        )
        for index, number in enumerate(phone_numbers)
    ]


def _digest(endpoint: str) -> str:
    return hashlib.sha256(endpoint.strip().lower().encode()).hexdigest()[:12]
