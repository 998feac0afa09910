"""openapi.yaml is a valid OpenAPI 3.0 document, and the limits it states are the ones the domain applies.

What the running API answers is checked against it by tests/end_to_end/test_api_description.py."""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from schemathesis.core.result import Err, Ok

from adapters.inbound.stock_api import DEFAULT_PAGE, INVALID_CURSOR, MAX_BODY_BYTES, ListCursors, status_document
from domain.errors import InvalidStockInput
from domain.item import Source, StockItem, Versioned
from domain.stock import MAX_ID_LENGTH, MAX_LEVEL, Field, validate_level, validate_stock_id
from domain.use_cases import MAX_PAGE, status_of
from harness.cursor_seal import FakeCursorSeal

DESCRIPTION = Path(__file__).resolve().parent.parent / "openapi.yaml"


# Made when a test asks, not when the file is collected: every worker of `make check` collects it, one runs the test.
@functools.cache
def every_character() -> list[str]:
    return [chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF]


@functools.cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DESCRIPTION.read_text(encoding="utf-8"))
    return loaded


def schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = document()["components"]["schemas"][name]
    return found


def accepted(validator: Any, value: object) -> bool:
    try:
        validator(value)
    except InvalidStockInput:
        return False
    return True


def test_the_description_is_a_valid_openapi_3_0_document():
    assert document()["openapi"].startswith("3.0.")
    # Imported here, not when the file is collected: the validator's import takes as long as its check.
    from openapi_spec_validator import validate

    validate(document())  # the OpenAPI 3.0 meta-schema, and every $ref resolved


def test_schemathesis_reads_each_route_the_api_serves():
    results = list(schemathesis.openapi.from_path(DESCRIPTION).get_all_operations())
    assert not [str(result.err()) for result in results if isinstance(result, Err)]
    assert [result.ok().label for result in results if isinstance(result, Ok)] == [
        "GET /stocks",
        "POST /stocks",
        "GET /stocks/{stock_id}",
        "PUT /stocks/{stock_id}",
    ]


def test_the_item_id_pattern_refuses_exactly_the_characters_the_domain_refuses():
    pattern = re.compile(schema("StockId")["pattern"])
    differ = [
        f"U+{ord(character):04X}"
        for character in every_character()
        if (pattern.search(character) is not None) != accepted(validate_stock_id, character)
    ]
    assert not differ, (
        f"the StockId pattern and validate_stock_id disagree on {differ[:20]} (Unicode "
        f"{unicodedata.unidata_version} here): write the pattern's character list anew from the domain's rule"
    )


@pytest.mark.parametrize("length", [0, 1, MAX_ID_LENGTH, MAX_ID_LENGTH + 1])
def test_the_item_id_pattern_takes_the_lengths_the_domain_takes(length):
    stock_id = "A" * length
    assert (re.search(schema("StockId")["pattern"], stock_id) is not None) == accepted(validate_stock_id, stock_id)


def test_the_level_schema_takes_exactly_the_levels_the_domain_takes():
    number, digits = schema("LevelToSet")["oneOf"]
    assert (number["type"], number["minimum"], number["maximum"]) == ("integer", 0, MAX_LEVEL)
    pattern = re.compile(digits["pattern"])
    # Which characters may pad the digits (every whitespace character is in the Basic Multilingual Plane), then
    # which digit strings are in range.
    padded = [f"{character}7" for character in every_character() if ord(character) <= 0xFFFF]
    texts = [
        *padded,
        *(f"7{character}" for character in "\t\n \u3000x;"),
        *["0", "7", "1000000000", "1000000001", "0999999999", "0000000007", "00000000007", "9999999999"],
        *["", " ", "+7", "-0", "7.0", "1_000", "1e3", "\u0667", "7 7", "\u00a07\u2003"],
    ]
    differ = [text for text in texts if (pattern.search(text) is not None) != accepted(validate_level, text)]
    assert not differ, f"the LevelToSet pattern and validate_level disagree on {[ascii(text) for text in differ[:20]]}"


def test_the_time_may_be_left_out_or_null_as_the_domain_takes_it():
    as_of = schema("AsOf")
    assert (as_of["type"], as_of["format"], as_of["nullable"]) == ("string", "date-time", True)
    assert schema("StockUpdateWithId")["required"] == ["stock_id"]
    assert "required" not in schema("StockUpdate")


SETTINGS = [field.value for field in Field]


@pytest.mark.parametrize("name", ["StockUpdateWithId", "StockUpdate"])
def test_an_update_sets_at_least_one_of_the_fields_the_domain_versions(name):
    assert schema(name)["anyOf"] == [{"required": [setting]} for setting in SETTINGS]
    assert set(SETTINGS) < set(schema(name)["properties"])


def test_a_reorder_point_has_the_bounds_of_a_level_and_may_be_null():
    point = schema("ReorderPointToSet")
    assert (point["type"], point["minimum"], point["maximum"], point["nullable"]) == ("integer", 0, MAX_LEVEL, True)
    assert schema("AlertsSwitch")["type"] == "boolean"


def test_the_stale_fields_and_sources_are_named_as_the_domain_names_them():
    assert schema("FieldName")["enum"] == SETTINGS
    assert schema("ReorderPointSource")["enum"] == [source.value for source in Source]


@pytest.mark.parametrize("name", ["StockItem", "UpdatedItem", "StaleUpdate"])
def test_an_item_is_described_with_exactly_the_fields_the_api_writes(name):
    item = StockItem("A000", level=Versioned(1, datetime(2024, 5, 1, tzinfo=UTC)))
    written = [*status_document(status_of(item)), *(["stale_fields"] if name != "StockItem" else [])]
    assert list(schema(name)["properties"]) == [*(["message"] if name == "StaleUpdate" else []), *written]
    if name != "StaleUpdate":
        assert schema(name)["required"] == written


def test_the_list_takes_the_limits_and_the_cursors_the_adapter_takes():
    [low, limit, cursor] = document()["paths"]["/stocks"]["get"]["parameters"]
    assert (low["name"], low["required"], low["schema"]["enum"]) == ("low", True, ["true"])
    assert (limit["name"], limit["schema"]["minimum"], limit["schema"]["maximum"]) == ("limit", 1, MAX_PAGE)
    assert limit["schema"]["default"] == DEFAULT_PAGE
    made = ListCursors(FakeCursorSeal(), "stock-levels").cursor("7/" + "\U0001f600" * 128)
    assert re.fullmatch(schema("Cursor")["pattern"], made)
    assert cursor["schema"] == {"$ref": "#/components/schemas/Cursor"}
    examples = document()["components"]["responses"]["BadRequest"]["content"]["application/json"]["examples"]
    assert examples["cursor not the list's"]["value"] == {"message": INVALID_CURSOR}


@pytest.mark.parametrize(
    "name", ["StockUpdateWithId", "StockUpdate", "StockItem", "UpdatedItem", "StaleUpdate", "LowItemsPage", "Error"]
)
def test_no_object_takes_a_field_it_does_not_name(name):
    assert schema(name)["additionalProperties"] is False


def test_the_body_limit_is_the_adapters():
    too_large = document()["components"]["responses"]["TooLarge"]
    assert too_large["content"]["application/json"]["example"] == {
        "message": f"the request body is larger than {MAX_BODY_BYTES} bytes"
    }
