"""The model of what one run of the Pulumi program declared: each resource, and the stack outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RegisteredResource:
    """One resource the program declared: what it is, where it sits, what it was given, what came back."""

    urn: str
    type: str
    name: str
    parent_urn: str
    custom: bool
    protect: bool
    retain_on_delete: bool
    inputs: dict[str, Any]
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProgramRun:
    """Everything one run of the program produced."""

    project: str
    stack: str
    resources: list[RegisteredResource]
    outputs: dict[str, Any]

    def of_type(self, type_token: str) -> list[RegisteredResource]:
        """The resources of one type, in the order the program declared them."""
        return [resource for resource in self.resources if resource.type == type_token]

    def named(self, name: str) -> RegisteredResource:
        """The one resource with this logical name."""
        [resource] = [resource for resource in self.resources if resource.name == name]
        return resource

    def by_urn(self, urn: str) -> RegisteredResource | None:
        """The resource with this URN, if the program declared it."""
        return next((resource for resource in self.resources if resource.urn == urn), None)
