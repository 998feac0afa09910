import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidStockInput
from domain.stock import (
    MAX_LEVEL,
    UNSET,
    Field,
    StockUpdate,
    format_as_of,
    parse_as_of,
    validate_alerts_flag,
    validate_level,
    validate_new_stock_id,
    validate_reorder_point,
    validate_stock_id,
)
from domain.use_cases import receive_update


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
    assert receive_update(StockUpdate("A1", 3), received).as_of == received


def test_an_update_with_its_own_time_keeps_it():
    own = datetime(2023, 1, 1, tzinfo=UTC)
    assert receive_update(StockUpdate("A1", 3, own), datetime(2024, 5, 1, tzinfo=UTC)).as_of == own


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
    stamped = receive_update(StockUpdate("A1", 3), received).as_of
    assert stamped is not None
    assert stamped.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("raw", "reorder_point"),
    [(0, 0), (5, 5), ("12", 12), (" 3 ", 3), (MAX_LEVEL, MAX_LEVEL), (str(MAX_LEVEL), MAX_LEVEL)],
)
def test_reorder_points_are_whole_numbers_from_zero_to_the_largest_level(raw, reorder_point):
    """Digits as text are taken, as for a level: a file's column and a stored number both carry them so."""
    assert validate_reorder_point(raw) == reorder_point


@pytest.mark.parametrize(
    "raw",
    [True, False, 1.0, 1.5, -1, "-1", MAX_LEVEL + 1, str(MAX_LEVEL + 1), 10**30, "9" * 5000, "", "five", "1e3", None],
)
def test_a_reorder_point_that_is_not_a_whole_number_in_bounds_is_refused_naming_the_field(raw):
    with pytest.raises(InvalidStockInput) as refused:
        validate_reorder_point(raw)
    assert str(refused.value) == f"reorder_point must be a whole number from 0 to 1000000000, not {raw!r}"


@given(st.integers())
def test_reorder_points_are_accepted_only_from_zero_to_the_largest_level(number):
    if 0 <= number <= MAX_LEVEL:
        assert validate_reorder_point(number) == number
    else:
        with pytest.raises(InvalidStockInput, match=r"^reorder_point must be"):
            validate_reorder_point(number)


@pytest.mark.parametrize(
    ("raw", "on"), [(True, True), (False, False), ("true", True), ("false", False), (" TRUE ", True), ("False", False)]
)
def test_low_stock_alerts_are_on_or_off_as_a_boolean_or_its_text(raw, on):
    assert validate_alerts_flag(raw) is on


@pytest.mark.parametrize("raw", [1, 0, 1.0, None, "", "yes", "no", "on", "1", "0", "truth", [True]])
def test_low_stock_alerts_other_than_true_or_false_are_refused_naming_the_field(raw):
    with pytest.raises(InvalidStockInput) as refused:
        validate_alerts_flag(raw)
    assert str(refused.value) == f"low_stock_alerts must be true or false, not {raw!r}"


@pytest.mark.parametrize(
    "build",
    [
        lambda: StockUpdate("A1"),
        lambda: StockUpdate("A1", as_of=datetime(2024, 5, 1, tzinfo=UTC)),
        lambda: StockUpdate.from_raw("A1"),
        lambda: StockUpdate.from_raw("A1", as_of="2024-05-01T12:00:00Z"),
    ],
)
def test_an_update_that_sets_none_of_the_three_fields_is_refused_naming_all_three(build):
    with pytest.raises(InvalidStockInput) as refused:
        build()
    assert str(refused.value) == "an update must set at least one of stock_level, reorder_point, low_stock_alerts"


@pytest.mark.parametrize(
    ("update", "fields"),
    [
        (StockUpdate("A1", 0), {Field.LEVEL}),
        (StockUpdate("A1", reorder_point=0), {Field.REORDER_POINT}),
        (StockUpdate("A1", reorder_point=None), {Field.REORDER_POINT}),  # back to the stack's default
        (StockUpdate("A1", low_stock_alerts=False), {Field.ALERTS}),
        (StockUpdate("A1", 3, reorder_point=5, low_stock_alerts=True), set(Field)),
        (StockUpdate("A1", 3, low_stock_alerts=True), {Field.LEVEL, Field.ALERTS}),
    ],
)
def test_an_update_sets_the_fields_it_gives_zero_false_and_none_included(update, fields):
    assert update.fields == fields


def test_an_update_gives_its_own_reorder_point_only_when_it_sets_one():
    assert StockUpdate("A1", reorder_point=7).own_reorder_point == 7
    assert StockUpdate("A1", reorder_point=None).own_reorder_point is None
    with pytest.raises(ValueError, match="does not set a reorder point"):
        _ = StockUpdate("A1", 3).own_reorder_point


@pytest.mark.parametrize(
    ("raw", "update"),
    [
        ({"level": "4"}, StockUpdate("A1", 4)),
        ({"reorder_point": "5"}, StockUpdate("A1", reorder_point=5)),
        ({"reorder_point": None}, StockUpdate("A1", reorder_point=None)),
        ({"low_stock_alerts": "false"}, StockUpdate("A1", low_stock_alerts=False)),
        (
            {"level": 2, "reorder_point": 0, "low_stock_alerts": True, "as_of": "2024-05-01T14:00:00+02:00"},
            StockUpdate("A1", 2, datetime(2024, 5, 1, 12, tzinfo=UTC), 0, True),
        ),
    ],
)
def test_an_update_is_built_from_raw_values_each_field_only_if_given(raw, update):
    built = StockUpdate.from_raw("A1", **raw)
    assert built == update
    assert built.fields == update.fields


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"reorder_point": True}, "reorder_point must be a whole number from 0 to 1000000000, not True"),
        ({"reorder_point": -1}, "reorder_point must be a whole number from 0 to 1000000000, not -1"),
        ({"reorder_point": 2.5}, "reorder_point must be a whole number from 0 to 1000000000, not 2.5"),
        ({"low_stock_alerts": 1}, "low_stock_alerts must be true or false, not 1"),
        ({"low_stock_alerts": "off"}, "low_stock_alerts must be true or false, not 'off'"),
        ({"level": 3, "reorder_point": "x"}, "reorder_point must be a whole number from 0 to 1000000000, not 'x'"),
    ],
)
def test_raw_values_refused_name_the_field_that_is_wrong(raw, message):
    with pytest.raises(InvalidStockInput) as refused:
        StockUpdate.from_raw("A1", **raw)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reorder_point": True}, "reorder_point must be a whole number from 0 to 1000000000, not True"),
        ({"reorder_point": -1}, "reorder_point must be a whole number from 0 to 1000000000, not -1"),
        ({"reorder_point": MAX_LEVEL + 1}, "reorder_point must be a whole number from 0 to 1000000000, not 1000000001"),
        ({"reorder_point": 1.5}, "reorder_point must be a whole number from 0 to 1000000000, not 1.5"),
        ({"reorder_point": "5"}, "reorder_point must be a whole number from 0 to 1000000000, not '5'"),
        ({"low_stock_alerts": "false"}, "low_stock_alerts must be true or false, not 'false'"),
        ({"low_stock_alerts": 0}, "low_stock_alerts must be true or false, not 0"),
    ],
)
def test_an_update_built_directly_holds_each_field_to_its_stored_type(fields, message):
    """Text such as "false" kept in an update would read as true: only `from_raw` turns text into values."""
    with pytest.raises(InvalidStockInput) as refused:
        StockUpdate("A1", **fields)
    assert str(refused.value) == message


def test_a_field_left_out_is_unset_not_none():
    assert StockUpdate("A1", 3).reorder_point is UNSET
    assert StockUpdate("A1", 3).low_stock_alerts is None
