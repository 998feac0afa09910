"""How a request is authorised: a role's identity policies evaluated as IAM evaluates them.

The evaluation is moto's (`moto.iam.access_control`): Allow and Deny, Action and NotAction, Resource and
wildcards, an explicit Deny winning over any Allow, and nothing allowed unless a statement allows it
(docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html). moto's statement has no
NotResource, so it is added here; the rest is used as it is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult


class _Statement(IAMPolicyStatement):
    """moto's statement, with NotResource: the statement applies to every resource except those listed."""

    def is_action_permitted(
        self,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> PermissionResult:
        statement = self._statement
        if "NotResource" not in statement:
            return super().is_action_permitted(action, resource, principal, incoming_condition_values)
        if self._check_element_matches("NotResource", resource):
            return PermissionResult.NEUTRAL
        every_resource = _Statement({key: value for key, value in statement.items() if key != "NotResource"})
        every_resource._statement["Resource"] = "*"
        return every_resource.is_action_permitted(action, resource, principal, incoming_condition_values)


@dataclass(frozen=True)
class Identity:
    """Who a request comes from: a function's role, with the policy documents the program declared for it."""

    role_arn: str
    session_name: str
    policies: Sequence[str] = field(default_factory=tuple)

    @property
    def arn(self) -> str:
        """The assumed-role ARN AWS names in an access-denied message."""
        account, role = self.role_arn.split(":")[4], self.role_arn.rsplit("/", 1)[-1]
        return f"arn:aws:sts::{account}:assumed-role/{role}/{self.session_name}"

    def allows(self, action: str, resource: str) -> bool:
        """True only if some statement allows the action on the resource and none denies it."""
        allowed = False
        for statement in self._statements():
            result = _Statement(statement).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return False
            allowed = allowed or result == PermissionResult.PERMITTED
        return allowed

    def _statements(self) -> list[dict[str, Any]]:
        statements: list[dict[str, Any]] = []
        for document in self.policies:
            declared = json.loads(document)["Statement"]
            statements += declared if isinstance(declared, list) else [declared]
        return statements


def denial_message(identity: Identity, action: str, resource: str) -> str:
    """AWS's words for an action no identity-based policy allows."""
    return (
        f"User: {identity.arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )
