"""DynamoDB's and DynamoDB Streams' answers serialised by a direct walk of their output shape, where the result is
made of plain dicts and lists, as moto's own results for DynamoDB are.

moto serialises every answer by walking its output shape (`moto.core.serialize.ResponseSerializer`), and for each
member of each structure asks an attribute picker for the value under any of half a dozen spellings of its name
(the shape's name, the key, snake_case, with or without a prefix), building an object per member and per spelling:
for a stream's GetRecords that is most of the request's time. For a dict whose keys are all member names of its
structure, the picker finds each value under its own name (no other spelling can be among the dict's keys), so here
the walk reads it there; every leaf (strings, numbers, blobs, times) is still serialised by moto's own method, and
the body and headers are made by moto's own code. Anything else (a model object, a key that is no member, a shape
with a serialisation name of its own, the handler's response transformers) takes moto's own walk, for the whole
answer.
"""

from __future__ import annotations

from typing import Any

from moto.core.serialize import BaseJSONSerializer, ResponseDict, ResponseSerializer

from local_stack.aws import speedups

_SERVICES = ("dynamodb", "dynamodbstreams")


class _NotPlain(Exception):
    """A result that moto's own walk must serialise."""


def serialise_plain_results() -> None:
    """Patch moto (once per process) so that DynamoDB's plain results take the direct walk (when their AWS says so)."""
    original = ResponseSerializer._serialize_result
    if getattr(original, "_walks_plain_results", False):
        return

    def _serialize_result(self: ResponseSerializer, resp: ResponseDict, result: Any) -> ResponseDict:
        output_shape = self.operation_model.output_shape
        if (
            not speedups.current().json_answers
            or not isinstance(self, BaseJSONSerializer)
            or self.service_model.service_name not in _SERVICES
            or output_shape is None
            or getattr(self._value_picker, "response_transformers", None)
        ):
            return original(self, resp, result)
        serialized: dict[str, Any] = {}
        try:
            _walk(self, serialized, result, output_shape, "")
        except _NotPlain:
            return original(self, resp, result)
        return self._serialized_result_to_response(resp, result, output_shape, serialized)  # type: ignore[arg-type]

    _serialize_result._walks_plain_results = True  # type: ignore[attr-defined]
    ResponseSerializer._serialize_result = _serialize_result  # type: ignore[method-assign]


def _walk(serializer: ResponseSerializer, out: dict[str, Any], value: Any, shape: Any, key: str) -> None:
    """`ResponseSerializer._serialize` (with BaseJSONSerializer's structures, lists and maps) for plain values."""
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            out[key] = value
            return
        if value is None:
            return
        members = shape.members
        if type(value) is not dict or not value.keys() <= members.keys():
            raise _NotPlain
        wrapper = {} if key else out
        for member_key, member_shape in members.items():
            member_value = value.get(member_key)
            if member_value is not None:
                _walk(serializer, wrapper, member_value, member_shape, member_key)
        if key:
            out[_name(shape, key)] = wrapper
    elif kind == "list":
        if type(value) is not list:
            raise _NotPlain
        member = shape.member
        items = []
        for item in value:
            wrapper_of_item: dict[str, Any] = {}
            _walk(serializer, wrapper_of_item, item, member, member.name)
            items.append(wrapper_of_item.get(member.name, item))
        out[_name(shape, key)] = items
    elif kind == "map":
        if type(value) is not dict:
            raise _NotPlain
        entries: dict[str, Any] = {}
        out[_name(shape, key)] = entries
        for entry_key, entry_value in value.items():
            _walk(serializer, entries, entry_value, shape.value, entry_key)
    else:
        _name(shape, key)
        leaf = getattr(serializer, f"_serialize_type_{kind}", serializer._default_serialize)
        leaf(out, value, shape, key)


def _name(shape: Any, key: str) -> str:
    """The key itself: a shape with a serialisation name of its own is left to moto's walk."""
    if "name" in shape.serialization:
        raise _NotPlain
    return key
