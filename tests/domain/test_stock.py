import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


@pytest.mark.parametrize("stock_id", ["A000", "a", "x" * 128, "SKU-12/β", "é"])
def test_valid_ids_are_kept_as_given(stock_id):
    assert validate_stock_id(stock_id) == stock_id


@pytest.mark.parametrize(
    ("stock_id", "complaint"),
    [
        ("", "1 to 128"),
        ("x" * 129, "1 to 128"),
        ("A 1", "whitespace"),
        ("A\t1", "whitespace"),
        ("A;1", "';'"),
        ("A\x00", "control"),
        ("A\x7f", "control"),
        ("A\u200b", "control"),
        ("A\ud800", "control"),  # a lone surrogate, as bytes that are not UTF-8 decode with surrogateescape
        (12, "string"),
        (None, "string"),
    ],
)
def test_invalid_ids_are_refused_with_a_reason(stock_id, complaint):
    with pytest.raises(InvalidStockInput, match=complaint):
        validate_stock_id(stock_id)


@pytest.mark.parametrize("stock_id", ["A000", "x" * 128, "SKU-12-β", "é", "A+1", "A&1", "A=1"])
def test_a_new_id_may_hold_what_any_id_may_hold_but_question_marks_hashes_percent_signs_and_slashes(stock_id):
    assert validate_new_stock_id(stock_id) == stock_id


@pytest.mark.parametrize(
    ("stock_id", "found"), [("A?1", "'?'"), ("A#1", "'#'"), ("A%41", "'%'"), ("?", "'?'"), ("SKU-12/β", "'/'")]
)
def test_a_new_id_with_a_character_a_url_path_does_not_carry_intact_is_refused(stock_id, found):
    with pytest.raises(InvalidStockInput) as refused:
        validate_new_stock_id(stock_id)
    assert str(refused.value) == (
        f"stock_id must not contain '?', '#', '%' or '/' (found {found}), which a URL path does not carry intact "
        "through every API"
    )


@pytest.mark.parametrize("stock_id", ["A?1", "A#1", "A%41", "A/1"])
def test_an_item_stored_before_the_rule_of_new_ids_keeps_an_id_any_id_may_hold(stock_id):
    """Its reads and its alerts go through `validate_stock_id`, which the rule of new ids leaves as it was."""
    assert validate_stock_id(stock_id) == stock_id


@pytest.mark.parametrize(
    ("stock_id", "complaint"), [("", "1 to 128"), ("A;1", "';'"), ("A 1", "whitespace"), (7, "string")]
)
def test_a_new_id_is_held_to_every_rule_of_ids_first(stock_id, complaint):
    with pytest.raises(InvalidStockInput, match=complaint):
        validate_new_stock_id(stock_id)


@pytest.mark.parametrize(
    ("raw", "level"),
    [(0, 0), (7, 7), ("12", 12), (" 3 ", 3), ("007", 7), (MAX_LEVEL, MAX_LEVEL), (str(MAX_LEVEL), MAX_LEVEL)],
)
def test_levels_are_whole_numbers_given_as_ints_or_digit_strings(raw, level):
    assert validate_level(raw) == level


@pytest.mark.parametrize(
    "raw", [-1, "-1", 1.0, 1.5, "1.5", True, False, None, "", "abc", "1e3", "٣", MAX_LEVEL + 1, "9" * 5000, [1]]
)
def test_levels_that_are_not_whole_non_negative_numbers_are_refused(raw):
    with pytest.raises(InvalidStockInput, match="stock_level must be a whole number"):
        validate_level(raw)


def test_as_of_is_normalised_to_utc():
    assert parse_as_of("2024-05-01T14:00:00+02:00") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert parse_as_of("2024-05-01T12:00:00Z") == datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_as_of_without_offset_is_taken_as_utc():
    assert parse_as_of("2024-05-01T12:00:00") == datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["yesterday", "2024-13-01", "", 1714564800])
def test_unreadable_as_of_is_refused(raw):
    with pytest.raises(InvalidStockInput, match="as_of must be"):
        parse_as_of(raw)


def test_formatted_times_sort_as_the_times_do():
    earlier = datetime(2024, 5, 1, 12, 0, 0, 999, tzinfo=UTC)
    later = earlier + timedelta(microseconds=1)
    other_zone = later.astimezone(timezone(timedelta(hours=-5)))
    assert format_as_of(earlier) < format_as_of(other_zone)
    assert format_as_of(later) == "2024-05-01T12:00:00.001000Z"


@pytest.mark.parametrize(
    "raw",
    [
        "0001-01-01T00:00:00+01:00",  # year 0 in UTC
        "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
        "0001-01-01T00:59:59.999999+01:00",
        "9999-12-31T23:00:00-01:00",
    ],
)
def test_a_time_whose_utc_form_leaves_the_years_a_stored_time_holds_is_refused_naming_the_range(raw):
    with pytest.raises(InvalidStockInput) as caught:
        parse_as_of(raw)
    assert str(caught.value) == (
        f"as_of must be from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z once in UTC, not {raw!r}"
    )


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("0999-01-01T00:00:00Z", "0999-01-01T00:00:00.000000Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z"),
        ("0001-01-01T01:00:00+01:00", "0001-01-01T00:00:00.000000Z"),
        ("0099-06-01T12:00:00Z", "0099-06-01T12:00:00.000000Z"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
        ("9999-12-31T23:59:59-00:00", "9999-12-31T23:59:59.000000Z"),
    ],
)
def test_times_at_the_ends_of_the_years_are_stored_fixed_width(raw, stored):
    assert format_as_of(parse_as_of(raw)) == stored


_ANY_TIME = st.datetimes(timezones=st.just(UTC))


@given(_ANY_TIME)
def test_every_storable_time_is_stored_in_one_width_and_read_back_unchanged(moment):
    stored = format_as_of(moment)
    assert len(stored) == len("2024-05-01T12:00:00.000000Z")
    assert parse_as_of(stored) == moment


@given(_ANY_TIME, _ANY_TIME)
def test_stored_times_sort_as_the_times_do_across_every_year(first, second):
    assert (format_as_of(first) < format_as_of(second)) == (first < second)


def test_an_update_without_time_is_stamped_with_the_time_it_was_received():
    received = datetime(2024, 5, 1, tzinfo=UTC)
    assert StockUpdate("A1", 3).stamped(received).as_of == received


def test_an_update_with_its_own_time_keeps_it():
    own = datetime(2023, 1, 1, tzinfo=UTC)
    assert StockUpdate("A1", 3, own).stamped(datetime(2024, 5, 1, tzinfo=UTC)).as_of == own


def test_an_update_validates_itself_on_construction():
    with pytest.raises(InvalidStockInput):
        StockUpdate("bad id", 1)
    with pytest.raises(InvalidStockInput):
        StockUpdate("A1", -1)
    with pytest.raises(InvalidStockInput, match="time zone"):
        StockUpdate("A1", 1, datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("refused", "message"),
    [
        (lambda: validate_stock_id(12), "stock_id must be a string"),
        (lambda: parse_as_of(1714564800), "as_of must be an ISO-8601 time string such as 2024-05-01T12:00:00Z"),
        (lambda: StockUpdate("A1", 1, datetime(2024, 1, 1)), "as_of must carry a time zone"),
    ],
)
def test_a_refusal_says_exactly_what_to_send_instead(refused, message):
    with pytest.raises(InvalidStockInput) as caught:
        refused()
    assert str(caught.value) == message


@pytest.fixture
def local_time_far_from_utc(monkeypatch):
    """A machine whose local time is UTC+14: Lambda's clock is in UTC, a laptop's or a CI runner's may not be."""
    monkeypatch.setenv("TZ", "KIR-14")  # POSIX form, no time zone database needed
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_time_far_from_utc")
def test_times_are_read_written_and_stamped_in_utc_whatever_the_local_time_zone():
    without_offset = parse_as_of("2024-05-01T12:00:00")
    assert (without_offset, without_offset.utcoffset()) == (datetime(2024, 5, 1, 12, tzinfo=UTC), timedelta(0))
    assert parse_as_of("2024-05-01T14:00:00+02:00").utcoffset() == timedelta(0)
    assert format_as_of(datetime(2024, 5, 1, 12, tzinfo=UTC)) == "2024-05-01T12:00:00.000000Z"
    received = datetime(2024, 5, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert StockUpdate("A1", 3).stamped(received).as_of.utcoffset() == timedelta(0)
