from datetime import UTC, datetime

import pytest

from adapters.inbound.stock_lines import parse_stock_line, parse_stock_lines
from domain.errors import InvalidStockInput
from domain.stock import StockUpdate


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
