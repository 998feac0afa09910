"""DynamoDB's expressions parsed once per text, where moto parses each one twice at every request.

moto's UpdateItem parses its update expression and its condition expression once to validate the request
(`moto.dynamodb.responses.DynamoHandler.update_item`) and again to apply it (`DynamoDBBackend.update_item`), and every
writer of the table sends the same few expressions. A parsed update expression depends on its text alone, and moto's
validator works on a copy of it (`moto.dynamodb.parsing.validators.Validator`), so one parse serves every request
with that text. A parsed condition holds the attribute names and values it refers to. Where each of those values is
a string or a number (an importer's times and widths, different at every line), the condition is parsed once per
text, names and the values' types, with a stand-in for each value, and each request gets the tree with its own
values in the stand-ins' places: moto's parser reads no value but its type (`FuncBetween` refuses a NULL bound), so
the tree is the one moto would build. Any other value (a list, a map, a binary) keeps the condition under its text
and those names and values (every one whose placeholder is in the text: one named by no token of it only makes the
key finer): the second parse of a request, and of any request with the same values in its condition, is saved. What
is kept is the parse alone: every request is validated and its condition evaluated against the item as it is then.
The validator's copy of a kept update expression is made from the parse's pickle, as the copy.deepcopy it makes
would make it (the same reduction of each node), five times faster.

A parse that fails is not kept: the request gets moto's own error, every time.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import pickle
from dataclasses import dataclass
from typing import Any

import moto.dynamodb.models as dynamodb_models
import moto.dynamodb.parsing.validators as dynamodb_validators
import moto.dynamodb.responses as dynamodb_responses
from moto.dynamodb.comparisons import ConditionExpressionParser, create_condition_expression_parser
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

from local_stack.aws import speedups

_KEPT = 512  # distinct texts kept, the least recently used forgotten first: a stack sends a handful
_PICKLED = "_local_stack_pickled"  # on a kept update expression: its pickle, for the validator's copies


@dataclass(frozen=True)
class _Parse:
    """What moto's parse of a condition gives: its tree, and the placeholders it found."""

    tree: Any
    names_found: tuple[str, ...]
    values_found: tuple[str, ...]


class _ParsedCondition(ConditionExpressionParser):
    """A condition parsed once: `parse()` returns the kept tree, with what the parse found, as moto's parser does;
    the names and values are the request's own."""

    def __init__(
        self, expr: str | None, names: dict[str, str] | None, values: dict[str, Any] | None, parse: _Parse
    ) -> None:
        super().__init__(expr, names, values)
        self.expr_attr_names_found = list(parse.names_found)
        self.expr_attr_values_found = list(parse.values_found)
        self._tree = parse.tree

    def parse(self) -> Any:
        return self._tree


@functools.lru_cache(maxsize=_KEPT)
def _update_expression(text: str) -> Any:
    tree = _ORIGINAL_MAKE(text)
    setattr(tree, _PICKLED, pickle.dumps(tree, pickle.HIGHEST_PROTOCOL))  # after the pickle: not in it
    return tree


def _copy(node: Any, memo: dict[int, Any] | None = None) -> Any:
    """The validator's `deepcopy`: a kept update expression unpickled, anything else deep-copied."""
    pickled = getattr(node, _PICKLED, None) if memo is None else None
    if pickled is not None and speedups.current().parsed_expressions:
        return pickle.loads(pickled)
    return copy.deepcopy(node, memo)


@functools.lru_cache(maxsize=_KEPT)
def _condition(text: str | None, names: str, values: str) -> _Parse:
    parser = create_condition_expression_parser(text, json.loads(names), json.loads(values))
    tree = parser.parse()
    return _Parse(tree, tuple(parser.expr_attr_names_found), tuple(parser.expr_attr_values_found))


class _StandIn(str):
    """A value's place in a condition parsed once for every value of its type: its placeholder is its text."""


_SCALARS = ("S", "N")  # the types whose values take a stand-in: a string, as moto's tree holds them


class _WithValues(pickle.Unpickler):
    """Rebuilds a condition's tree from its pickle, each stand-in replaced by the request's value for it."""

    def __init__(self, pickled: bytes, values: dict[str, dict[str, str]]) -> None:
        super().__init__(io.BytesIO(pickled))
        self._values = values

    def persistent_load(self, placeholder: Any) -> str:
        [value] = self._values[placeholder].values()
        return value


def _stand_in_for(value: Any) -> str | None:
    """The pickler's persistent id: a stand-in is kept as its placeholder, for the request's value to take its
    place."""
    return str(value) if isinstance(value, _StandIn) else None


@functools.lru_cache(maxsize=_KEPT)
def _condition_of_types(text: str | None, names: str, types: tuple[tuple[str, str], ...]) -> tuple[bytes, _Parse]:
    """A condition parsed with a stand-in for each value: its tree's pickle, which names each stand-in by its
    placeholder, and what the parse found."""
    stand_ins: dict[str, dict[str, str]] = {placeholder: {kind: _StandIn(placeholder)} for placeholder, kind in types}
    parser = create_condition_expression_parser(text, json.loads(names), stand_ins)
    tree = parser.parse()
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.persistent_id = _stand_in_for  # type: ignore[method-assign]
    pickler.dump(tree)
    return buffer.getvalue(), _Parse(None, tuple(parser.expr_attr_names_found), tuple(parser.expr_attr_values_found))


def _scalar_types(values: dict[str, Any]) -> tuple[tuple[str, str], ...] | None:
    """Each value's placeholder and type, where every value is a string or a number; else None."""
    types = []
    for placeholder, value in sorted(values.items()):
        if not (isinstance(value, dict) and len(value) == 1):
            return None
        [(kind, text)] = value.items()
        if kind not in _SCALARS or type(text) is not str:
            return None
        types.append((placeholder, kind))
    return tuple(types)


def _named_in(text: str | None, placeholders: dict[str, Any] | None) -> dict[str, Any]:
    """The placeholders whose name is in the text: every one a parse of it can use, and maybe a few more."""
    return {name: value for name, value in (placeholders or {}).items() if text and name in text}


def parse_update_expression(text: str) -> Any:
    """moto's `UpdateExpressionParser.make`, parsed once per text while the request's embedded AWS says so."""
    if not speedups.current().parsed_expressions:
        return _ORIGINAL_MAKE(text)
    return _update_expression(text)


def condition_parser(
    expr: str | None, names: dict[str, str] | None, values: dict[str, dict[str, str]] | None
) -> ConditionExpressionParser:
    """moto's `create_condition_expression_parser`, its parse kept per text, names and values' types (strings and
    numbers) or values (any other) while the request's embedded AWS says so."""
    if not speedups.current().parsed_expressions:
        return create_condition_expression_parser(expr, names, values)
    named_values = _named_in(expr, values)
    named = json.dumps(_named_in(expr, names), sort_keys=True)
    types = _scalar_types(named_values)
    if types is not None:
        return _with_stand_ins(expr, names, values, named, types, named_values)
    try:
        key = json.dumps(named_values, sort_keys=True)
    except TypeError:  # a value JSON cannot hold (binary): parsed as moto parses it
        return create_condition_expression_parser(expr, names, values)
    return _ParsedCondition(expr, names, values, _condition(expr, named, key))


def _with_stand_ins(
    expr: str | None,
    names: dict[str, str] | None,
    values: dict[str, dict[str, str]] | None,
    named: str,
    types: tuple[tuple[str, str], ...],
    named_values: dict[str, Any],
) -> ConditionExpressionParser:
    """The condition's tree kept for its values' types, with the request's values in the stand-ins' places."""
    try:
        pickled, parse = _condition_of_types(expr, named, types)
    except Exception:  # any failure of the parse is moto's own parse's to report, with moto's own error
        return create_condition_expression_parser(expr, names, values)
    tree = _WithValues(pickled, named_values).load()
    return _ParsedCondition(expr, names, values, _Parse(tree, parse.names_found, parse.values_found))


_ORIGINAL_MAKE = UpdateExpressionParser.make


def parse_expressions_once() -> None:
    """Patch moto (once per process) so that DynamoDB's requests use the kept parses (when their AWS says so)."""
    if dynamodb_responses.create_condition_expression_parser is condition_parser:  # type: ignore[attr-defined]
        return
    UpdateExpressionParser.make = staticmethod(parse_update_expression)
    dynamodb_validators.deepcopy = _copy  # type: ignore[attr-defined, assignment]
    dynamodb_responses.create_condition_expression_parser = condition_parser  # type: ignore[attr-defined]
    dynamodb_models.create_condition_expression_parser = condition_parser  # type: ignore[attr-defined]
