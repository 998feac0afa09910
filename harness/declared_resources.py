"""The model of what one run of the Pulumi program declared: each resource, and the stack outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DeclaredAlias:
    """One entry of a resource's `aliases` option as the program sent it: an earlier URN, or how the resource
    differed (its type, name or parent); a field left blank means "as it is now"."""

    urn: str = ""
    type: str = ""
    name: str = ""
    parent_urn: str = ""
    no_parent: bool = False


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
    aliases: list[DeclaredAlias] = field(default_factory=list)


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

    def engine_urn(self, resource: RegisteredResource) -> str:
        """The URN the engine gives the resource, its type after every ancestor's but the stack's. The mock monitor's
        URNs name the parent's type alone, so a grandchild's does not change with its grandparent's type."""
        parent = self.by_urn(resource.parent_urn)
        return self._urn(self.engine_urn(parent) if parent else None, resource.type, resource.name)

    def earlier_urns(self, resource: RegisteredResource) -> list[str]:
        """The URNs (the engine's) under which the engine finds this resource's state when its own has none: those
        its aliases name, and its URN under each earlier URN of its parent, with a name that starts with its
        parent's renamed as its parent was (children inherit their parent's aliases; pulumi/pkg/resource/deploy/
        step_generator.go). Not modelled: its own aliases under its parent's."""
        parent = self.by_urn(resource.parent_urn)
        urns = [self._alias_urn(resource, parent, alias) for alias in resource.aliases]
        if parent is None:
            return urns
        for parent_urn in self.earlier_urns(parent):
            name = resource.name
            if name.startswith(parent.name):
                name = parent_urn.split("::", 3)[3] + name[len(parent.name) :]
            urns.append(self._urn(parent_urn, resource.type, name))
        return urns

    def _alias_urn(self, resource: RegisteredResource, parent: RegisteredResource | None, alias: DeclaredAlias) -> str:
        if alias.urn:
            return alias.urn
        if alias.no_parent:
            parent = None
        elif alias.parent_urn:
            parent = self.by_urn(alias.parent_urn)
        parent_urn = self.engine_urn(parent) if parent else None
        return self._urn(parent_urn, alias.type or resource.type, alias.name or resource.name)

    def _urn(self, parent_urn: str | None, type_token: str, name: str) -> str:
        types = f"{parent_urn.split('::')[2]}${type_token}" if parent_urn else type_token
        return f"urn:pulumi:{self.stack}::{self.project}::{types}::{name}"
