from datetime import UTC, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from adapters.inbound.stock_lines import format_stock_line, parse_stock_line, parse_stock_lines
from domain.errors import InvalidStockInput
from domain.stock import MAX_LEVEL, UNSET, StockUpdate


def test_the_original_line_format_is_read():
    assert parse_stock_line("A111;3") == StockUpdate("A111", 3)


def test_a_third_column_is_the_as_of_time():
    assert parse_stock_line("A111;3;2024-05-01T12:00:00Z") == StockUpdate(
        "A111", 3, datetime(2024, 5, 1, 12, tzinfo=UTC)
    )


def test_blank_lines_crlf_and_a_byte_order_mark_are_tolerated():
    parsed = parse_stock_lines("\ufeffA1;1\r\n\r\n   \nB2;2\r\n", "file")
    assert parsed.updates == [StockUpdate("A1", 1), StockUpdate("B2", 2)]
    assert parsed.rejected == []


@pytest.mark.parametrize(
    ("line", "complaint"),
    [("A111", "got 1 field"), ("A;1;2;3", "got 4 field"), ("A111;x", "whole number"), (";3", "1 to 128")],
)
def test_a_bad_line_says_what_is_wrong(line, complaint):
    with pytest.raises(InvalidStockInput, match=complaint):
        parse_stock_line(line)


@pytest.mark.parametrize("stock_id", ["A?1", "A#1", "A%41", "A/1"])
def test_a_line_is_held_to_the_rule_of_new_ids_since_it_may_make_an_item(stock_id):
    with pytest.raises(InvalidStockInput, match="must not contain '\\?', '#', '%' or '/'"):
        parse_stock_line(f"{stock_id};3")


def test_a_line_whose_id_no_new_item_may_have_is_rejected_with_the_reason_and_the_others_applied():
    parsed = parse_stock_lines("A?1;1\nB2;2", "msg-8")
    assert parsed.updates == [StockUpdate("B2", 2)]
    [rejected] = parsed.rejected
    assert (rejected.source, rejected.content) == ("msg-8:1", "A?1;1")
    assert rejected.reason.startswith("line 1: stock_id must not contain '?', '#', '%' or '/' (found '?')")


def test_bad_lines_are_rejected_by_number_without_blocking_good_ones():
    parsed = parse_stock_lines("A1;1\nnonsense\n\nB2;-4\nC3;3", "msg-7")
    assert parsed.updates == [StockUpdate("A1", 1), StockUpdate("C3", 3)]
    assert [(r.source, r.content) for r in parsed.rejected] == [("msg-7:2", "nonsense"), ("msg-7:4", "B2;-4")]
    assert parsed.rejected[1].reason.startswith("line 4: stock_level must be a whole number")


def test_a_line_whose_second_column_names_its_field_is_read_in_the_named_form():
    assert parse_stock_line("A1;reorder_point=5") == StockUpdate("A1", reorder_point=5)
    assert parse_stock_line("A1;stock_level=3;low_stock_alerts=false;as_of=2024-05-01T12:00:00Z") == StockUpdate(
        "A1", 3, datetime(2024, 5, 1, 12, tzinfo=UTC), low_stock_alerts=False
    )


def test_a_named_reorder_point_of_default_sets_it_back_to_the_stack_s_default():
    assert parse_stock_line("A1;reorder_point=default") == StockUpdate("A1", reorder_point=None)


def test_named_columns_may_come_in_any_order_around_spaces():
    assert parse_stock_line(" A1 ; as_of = 2024-05-01T12:00:00Z ; low_stock_alerts=TRUE ; stock_level=0 ") == (
        StockUpdate("A1", 0, datetime(2024, 5, 1, 12, tzinfo=UTC), low_stock_alerts=True)
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("A1;level=3", "unknown name 'level': the names are stock_level, reorder_point, low_stock_alerts, as_of"),
        ("A1;stock_level=3;stock_level=4", "stock_level is given more than once"),
        ("A1;as_of=2024-05-01T12:00:00Z", "an update must set at least one of stock_level, reorder_point"),
        ("A1;stock_level=3;5", "every column after the id must be NAME=VALUE in this form, not '5'"),
        ("A1;reorder_point=-1", "reorder_point must be a whole number from 0 to 1000000000, not '-1'"),
        ("A1;low_stock_alerts=off", "low_stock_alerts must be true or false, not 'off'"),
        ("A1;stock_level=", "stock_level must be a whole number from 0 to 1000000000, not ''"),
        ("A?1;reorder_point=5", "must not contain '?', '#', '%' or '/'"),
    ],
)
def test_a_bad_named_line_says_what_is_wrong(line, reason):
    with pytest.raises(InvalidStockInput) as refused:
        parse_stock_line(line)
    assert reason in str(refused.value)


def test_a_column_with_an_equals_sign_after_a_plain_level_keeps_the_original_meaning():
    """Only the second column decides the form: `A1;5;...` is a level and a time, whatever the third holds."""
    with pytest.raises(InvalidStockInput, match="as_of must be an ISO-8601 time"):
        parse_stock_line("A1;5;reorder_point=3")


def test_bad_named_lines_are_rejected_by_number_with_their_reason_and_the_others_kept():
    parsed = parse_stock_lines("A1;reorder_point=5\nA2;colour=red\nA3;7", "msg-9")
    assert parsed.updates == [StockUpdate("A1", reorder_point=5), StockUpdate("A3", 7)]
    [rejected] = parsed.rejected
    assert (rejected.source, rejected.content) == ("msg-9:2", "A2;colour=red")
    assert rejected.reason == (
        "line 2: unknown name 'colour': the names are stock_level, reorder_point, low_stock_alerts, as_of"
    )


@pytest.mark.parametrize(
    ("update", "line"),
    [
        (StockUpdate("A1", 3), "A1;3"),
        (StockUpdate("A1", 3, datetime(2024, 5, 1, 12, tzinfo=UTC)), "A1;3;2024-05-01T12:00:00.000000Z"),
        (StockUpdate("A1", reorder_point=5), "A1;reorder_point=5"),
        (StockUpdate("A1", reorder_point=None), "A1;reorder_point=default"),
        (
            StockUpdate("A1", 0, datetime(2024, 5, 1, 12, tzinfo=UTC), reorder_point=2, low_stock_alerts=False),
            "A1;stock_level=0;reorder_point=2;low_stock_alerts=false;as_of=2024-05-01T12:00:00.000000Z",
        ),
    ],
)
def test_an_update_is_written_as_the_line_that_asks_for_it_the_level_alone_in_the_original_form(update, line):
    assert format_stock_line(update) == line
    assert parse_stock_line(line) == update


@given(
    st.text("ABCxyz019-_.é", min_size=1, max_size=20),
    st.one_of(st.none(), st.integers(0, MAX_LEVEL)),
    st.one_of(st.just(UNSET), st.none(), st.integers(0, MAX_LEVEL)),
    st.one_of(st.none(), st.booleans()),
    st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
)
def test_any_update_round_trips_through_the_line_written_for_it(stock_id, level, reorder_point, alerts, as_of):
    assume(level is not None or reorder_point is not UNSET or alerts is not None)
    update = StockUpdate(stock_id, level, as_of, reorder_point, alerts)
    assert parse_stock_line(format_stock_line(update)) == update
