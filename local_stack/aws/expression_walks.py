"""moto's walks of a DynamoDB update expression's tree, each node's processor looked up once per kind of node.

moto validates and applies an update expression by walking its tree ten times, once per processor
(`moto.dynamodb.parsing.validators.UpdateExpressionValidator`), and `DepthFirstTraverser` asks at every node of every
walk whether the node is one to process: it builds the processor's map of node classes to methods afresh, twice, and
tests the node against each class with `isinstance`, which for moto's abstract node classes goes through
`ABCMeta.__instancecheck__`. For an importer's update of several fields that is most of an UpdateItem's time. Here
each walk builds its processor's map once, and which of its classes a node is (the first that matches, in the map's
order, as moto's `process` picks it) is found once per kind of node and kept: a node's class decides it, as moto's
node classes register no virtual subclass. `Node.find_clauses` likewise tests each kind of child once.

The walk itself is moto's: the same nodes, children first, the same hook before each child, the processed node put
in its parent's place. A processor class that changes how moto picks its nodes (overriding `nodes_to_be_processed`
or `process`) is walked by moto's own code.

Two of the walks only check, and change nothing: `ActionCountValidator` (no more than one clause of a kind) and
`OverlappingPathsValidator` (no path set twice or inside another), each at every node of the tree, for every
clause, action, path and value is an `UpdateExpression` to moto: each node's check looks through all of that node's
part of the tree again. Here each checks the whole tree once, at its root. In moto's grammar no clause holds another
clause and no action another action (`moto/dynamodb/parsing/expressions.py`), so what a node's check finds is a part
of what the root's finds, and a part of a tree that passes passes too: a part has no more clauses of a kind, and no
more paths that overlap or repeat. A tree that fails the root's check is walked as moto walks it, for moto's own
error at the node where moto finds it first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.dynamodb.parsing import ast_nodes, validators

from local_stack.aws import speedups

# moto's module of the tree's nodes is not type-checked (it opens with `# type: ignore`): its classes are Any here.
_AST: Any = ast_nodes
DepthFirstTraverser, Node = _AST.DepthFirstTraverser, _AST.Node
Expression, UpdateExpressionFunction = _AST.Expression, _AST.UpdateExpressionFunction
# The clauses of which an update expression may hold one each (ActionCountValidator).
_CLAUSES = (_AST.UpdateExpressionAddClause, _AST.UpdateExpressionRemoveClause, _AST.UpdateExpressionSetClause)

_ORIGINAL_TRAVERSE = DepthFirstTraverser.traverse
_ORIGINAL_FIND_CLAUSES = Node.find_clauses
_NOT_A_NODE = -2  # a child that is no node (a value, a name): left as it is
_UNPROCESSED = -1  # a node the processor has no method for
# Per processor map (its node classes, in order): what each kind of child is to it, _NOT_A_NODE, _UNPROCESSED, or the
# position in the map of the first class the node is, as moto's `process` picks it.
_KINDS: dict[tuple[type, ...], dict[type, int]] = {}
# A child that find_clauses looks into (an Expression or an UpdateExpressionFunction): with this module's walk, or,
# for a class with a find_clauses of its own, with that.
_INTO, _BY_ITS_OWN = 1, 2
_DESCENDS: dict[type, int] = {}


def _kind(kinds: dict[type, int], classes: tuple[type, ...], node: type) -> int:
    known = kinds.get(node)
    if known is None:
        matches = (n for n, kind in enumerate(classes) if issubclass(node, kind))
        known = kinds[node] = next(matches, _UNPROCESSED) if issubclass(node, Node) else _NOT_A_NODE
    return known


def _walk(
    traverser: Any,
    processors: list[Callable[[Any], Any]],
    classes: tuple[type, ...],
    node: Any,
    child_id: int,
    kinds: dict[type, int],
    before_child: Callable[[Any, int], None] | None,
) -> Any:
    """`DepthFirstTraverser.traverse_node_recursively`, with the map built once, each kind of node matched once, and
    the hook before each child called only where the processor has one."""
    kind = _kind(kinds, classes, type(node))
    if kind == _NOT_A_NODE:
        return node
    parent_node = node.parent
    if node.children is not None:
        for i, child_node in enumerate(node.children):
            if before_child is not None:
                before_child(node, i)
            _walk(traverser, processors, classes, child_node, i, kinds, before_child)
        kind = _kind(kinds, classes, type(node))  # as moto asks, once its children are done
    if kind != _UNPROCESSED:
        node = processors[kind](node)
        node.parent = parent_node
        if parent_node:
            parent_node.children[child_id] = node
    return node


def _traverse(self: Any, node: Any) -> Any:
    kind = type(self)
    if (
        not speedups.current().expression_walks
        or kind.nodes_to_be_processed is not DepthFirstTraverser.nodes_to_be_processed
        or kind.process is not DepthFirstTraverser.process
        or kind.traverse_node_recursively is not DepthFirstTraverser.traverse_node_recursively
    ):
        return _ORIGINAL_TRAVERSE(self, node)
    if isinstance(node, _AST.UpdateExpression) and _passes_at_the_root(self, node):
        return node
    processing_map = self._processing_map()
    own_hook = kind.pre_processing_of_child is not DepthFirstTraverser.pre_processing_of_child
    hook = self.pre_processing_of_child if own_hook else None
    classes = tuple(processing_map)
    return _walk(self, list(processing_map.values()), classes, node, -1, _KINDS.setdefault(classes, {}), hook)


def _passes_at_the_root(validator: Any, root: Any) -> bool:
    """Whether a walk that only checks passes on the whole tree (as a root's check finds it): if not, or for any
    other walk, moto's walk is taken, and finds moto's error where moto finds it."""
    kind = type(validator)
    if kind is validators.ActionCountValidator:
        # One search for the three kinds of clause: no clause holds another, so it finds what moto's three find.
        kinds = [type(clause) for clause in _clauses(root, list(_CLAUSES))]
        return all(kinds.count(clause) <= 1 for clause in _CLAUSES)
    if kind is validators.OverlappingPathsValidator:
        try:
            validator.check_for_overlapping_paths(root)
        except Exception:  # any failure is for moto's walk to report, as moto reports it
            return False
        return True
    return False


def _find_clauses(self: Any, clause_types: list[type]) -> list[Any]:
    if not speedups.current().expression_walks:
        found: list[Any] = _ORIGINAL_FIND_CLAUSES(self, clause_types)
        return found
    return _clauses(self, clause_types)


def _clauses(node: Any, clause_types: list[type]) -> list[Any]:
    """`Node.find_clauses`, each kind of child tested once for whether to look into it."""
    found: list[Any] = []
    for child in node.children or []:
        kind = type(child)
        if kind in clause_types:
            found.append(child)
        else:
            into = _descends(kind)
            if into == _INTO:
                found.extend(_clauses(child, clause_types))
            elif into == _BY_ITS_OWN:
                found.extend(child.find_clauses(clause_types))
    return found


def _descends(kind: Any) -> int:
    if kind not in _DESCENDS:
        into = issubclass(kind, (Expression, UpdateExpressionFunction))
        _DESCENDS[kind] = 0 if not into else _INTO if kind.find_clauses is _find_clauses else _BY_ITS_OWN
    return _DESCENDS[kind]


def walk_expressions_quickly() -> None:
    """Patch moto (once per process) so that its walks of an expression's tree take the quick lookups (when their
    AWS says so)."""
    if DepthFirstTraverser.traverse is _traverse:
        return
    DepthFirstTraverser.traverse = _traverse
    Node.find_clauses = _find_clauses
