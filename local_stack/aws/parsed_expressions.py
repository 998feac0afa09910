"""DynamoDB's expressions parsed once per text, where moto parses each one twice at every request.

moto's UpdateItem parses its update expression and its condition expression once to validate the request
(`moto.dynamodb.responses.DynamoHandler.update_item`) and again to apply it (`DynamoDBBackend.update_item`), and every
writer of the table sends the same few expressions. A parsed update expression depends on its text alone, and moto's
validator works on a copy of it (`moto.dynamodb.parsing.validators.Validator`), so one parse serves every request
with that text. A parsed condition holds the request's attribute names and values, so it is kept under its text,
names and values together: the second parse of a request, and of any request with the same values, is saved. What is
kept is the parse alone: every request is validated and its condition evaluated against the item as it is then.
The validator's copy of a kept update expression is made from the parse's pickle, as the copy.deepcopy it makes
would make it (the same reduction of each node), five times faster.

A parse that fails is not kept: the request gets moto's own error, every time.
"""

from __future__ import annotations

import copy
import functools
import json
import pickle
from typing import Any

import moto.dynamodb.models as dynamodb_models
import moto.dynamodb.parsing.validators as dynamodb_validators
import moto.dynamodb.responses as dynamodb_responses
from moto.dynamodb.comparisons import ConditionExpressionParser, create_condition_expression_parser
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

from local_stack.aws import speedups

_KEPT = 512  # distinct texts kept, the least recently used forgotten first: a stack sends a handful
_PICKLED = "_local_stack_pickled"  # on a kept update expression: its pickle, for the validator's copies


class _ParsedCondition(ConditionExpressionParser):
    """A condition parsed once: `parse()` returns the kept tree, with what the parse found, as moto's parser does."""

    def __init__(self, parsed: ConditionExpressionParser, tree: Any) -> None:
        super().__init__(
            parsed.condition_expression, parsed.expression_attribute_names, parsed.expression_attribute_values
        )
        self.expr_attr_names_found = list(parsed.expr_attr_names_found)
        self.expr_attr_values_found = list(parsed.expr_attr_values_found)
        self._tree = tree

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
def _condition(text: str | None, names: str, values: str) -> _ParsedCondition:
    parser = create_condition_expression_parser(text, json.loads(names), json.loads(values))
    return _ParsedCondition(parser, parser.parse())


def parse_update_expression(text: str) -> Any:
    """moto's `UpdateExpressionParser.make`, parsed once per text while the request's embedded AWS says so."""
    if not speedups.current().parsed_expressions:
        return _ORIGINAL_MAKE(text)
    return _update_expression(text)


def condition_parser(
    expr: str | None, names: dict[str, str] | None, values: dict[str, dict[str, str]] | None
) -> ConditionExpressionParser:
    """moto's `create_condition_expression_parser`, its parse kept per text, names and values while the request's
    embedded AWS says so."""
    if not speedups.current().parsed_expressions:
        return create_condition_expression_parser(expr, names, values)
    try:
        key = json.dumps(names, sort_keys=True), json.dumps(values, sort_keys=True)
    except TypeError:  # a value JSON cannot hold (binary): parsed as moto parses it
        return create_condition_expression_parser(expr, names, values)
    return _condition(expr, *key)


_ORIGINAL_MAKE = UpdateExpressionParser.make


def parse_expressions_once() -> None:
    """Patch moto (once per process) so that DynamoDB's requests use the kept parses (when their AWS says so)."""
    if dynamodb_responses.create_condition_expression_parser is condition_parser:  # type: ignore[attr-defined]
        return
    UpdateExpressionParser.make = staticmethod(parse_update_expression)
    dynamodb_validators.deepcopy = _copy  # type: ignore[attr-defined, assignment]
    dynamodb_responses.create_condition_expression_parser = condition_parser  # type: ignore[attr-defined]
    dynamodb_models.create_condition_expression_parser = condition_parser  # type: ignore[attr-defined]
