"""Property-based checks of validation, the line format and the API adapter: no input crashes them."""

import json
import string
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.inbound.api_gateway_v1 import parse_request
from adapters.inbound.stock_api import ApiError, GetItemRequest, SetLevelRequest
from adapters.inbound.stock_lines import parse_stock_line, parse_stock_lines
from domain.errors import InvalidStockInput
from domain.stock import (
    MAX_LEVEL,
    StockUpdate,
    format_as_of,
    parse_as_of,
    validate_level,
    validate_new_stock_id,
    validate_stock_id,
)
from harness.lambda_events import api_event

ID_CHARACTERS = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zs", "Zl", "Zp"), blacklist_characters=";")
valid_ids = st.text(ID_CHARACTERS, min_size=1, max_size=128).filter(lambda s: not any(c.isspace() for c in s))
NOT_IN_NEW_IDS = "?#%/"
new_ids = valid_ids.filter(lambda s: not any(c in NOT_IN_NEW_IDS for c in s))
levels = st.integers(min_value=0, max_value=MAX_LEVEL)
times = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 1, 1), timezones=st.just(UTC))


@given(valid_ids)
def test_ids_that_follow_the_rules_are_accepted_as_given(stock_id):
    assert validate_stock_id(stock_id) == stock_id


@given(
    st.text(max_size=60),
    st.sampled_from([" ", "\t", "\n", ";", "\x00", "\x7f", "\u200b", "\u2028"]),
    st.text(max_size=60),
)
def test_an_id_with_a_forbidden_character_anywhere_is_refused(before, forbidden, after):
    with pytest.raises(InvalidStockInput):
        validate_stock_id(before + forbidden + after)


@given(st.text(ID_CHARACTERS, min_size=129, max_size=300))
def test_an_id_over_128_characters_is_refused(candidate):
    with pytest.raises(InvalidStockInput):
        validate_stock_id(candidate)


@given(st.integers())
def test_levels_are_accepted_only_from_zero_to_the_maximum(number):
    try:
        assert validate_level(number) == number
        assert 0 <= number <= MAX_LEVEL
    except InvalidStockInput:
        assert not 0 <= number <= MAX_LEVEL


@given(levels)
def test_a_level_written_as_digits_reads_back(number):
    assert validate_level(str(number)) == number


@given(st.one_of(st.floats(), st.booleans(), st.none(), st.lists(st.integers()), st.text(alphabet="-.e+ 1")))
def test_non_integers_are_refused_with_the_domain_error(value):
    try:
        validate_level(value)
    except InvalidStockInput:
        return
    assert isinstance(value, str)  # only strings of digits pass, e.g. "1" or " 11 "


@given(new_ids)
def test_a_new_id_is_accepted_as_given_when_it_follows_the_rules_and_holds_none_of_their_exceptions(stock_id):
    assert validate_new_stock_id(stock_id) == stock_id


@given(
    st.text(ID_CHARACTERS, max_size=63).filter(lambda s: not any(c.isspace() or c in NOT_IN_NEW_IDS for c in s)),
    st.sampled_from(NOT_IN_NEW_IDS),
    st.text(ID_CHARACTERS, max_size=63).filter(lambda s: not any(c.isspace() or c in NOT_IN_NEW_IDS for c in s)),
)
def test_a_valid_id_with_a_question_mark_hash_or_percent_sign_anywhere_is_no_new_id(before, character, after):
    stock_id = before + character + after
    assert validate_stock_id(stock_id) == stock_id
    with pytest.raises(InvalidStockInput):
        validate_new_stock_id(stock_id)


@given(new_ids, levels, st.one_of(st.none(), times))
def test_a_line_round_trips_through_the_file_format(stock_id, level, as_of):
    line = f"{stock_id};{level}" + ("" if as_of is None else f";{format_as_of(as_of)}")
    assert parse_stock_line(line) == StockUpdate(stock_id, level, as_of)


@given(times)
def test_as_of_round_trips_and_formatting_keeps_order(moment):
    assert parse_as_of(format_as_of(moment)) == moment


@given(st.text(alphabet=string.printable + "é;\u200b\x00", max_size=400))
def test_any_text_splits_into_updates_and_reasoned_rejections_without_raising(text):
    parsed = parse_stock_lines(text, "msg")
    non_blank = [line for line in text.removeprefix("\ufeff").splitlines() if line.strip()]
    assert len(parsed.updates) + len(parsed.rejected) == len(non_blank)
    assert all(rejected.reason.startswith("line ") for rejected in parsed.rejected)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)


@settings(max_examples=300)
@given(
    st.sampled_from(["GET", "PUT", "POST", "DELETE", "PATCH", ""]),
    st.sampled_from(["/stocks", "/stocks/", "/stocks/A1", "/stocks/a;b", "/", "/stocks/A1/x", ""]),
    st.one_of(json_values.map(json.dumps), st.binary(max_size=200), st.text(max_size=200)),
)
def test_the_api_adapter_answers_any_request_with_a_request_or_a_4xx(method, path, body):
    outcome: object
    try:
        outcome = parse_request(api_event(method, path, body) | {"httpMethod": method})
    except ApiError as error:
        outcome = error
    if isinstance(outcome, ApiError):
        assert 400 <= outcome.status < 500
        assert outcome.message
    else:
        assert isinstance(outcome, SetLevelRequest | GetItemRequest)
