from adapters.inbound.stock_file import MAX_LINE_BYTES, FileLine, RejectedLine, read_stock_file


def lines_of(*chunks: bytes) -> list[tuple[int, str, str]]:
    return [
        (line.number, line.text, "ok" if isinstance(line, FileLine) else line.reason)
        for line in read_stock_file(chunks)
    ]


def test_lines_split_across_chunks_are_read_whole_and_numbered_in_the_file():
    assert lines_of(b"\xef\xbb\xbfA1;", b"1\r\n\nB", b"2;2;2024-05-01T00:00:00Z\nC3;3") == [
        (1, "A1;1", "ok"),
        (3, "B2;2;2024-05-01T00:00:00Z", "ok"),
        (4, "C3;3", "ok"),
    ]


def test_a_bad_line_is_named_by_number_with_its_reason():
    [(number, text, reason)] = lines_of(b"A1;many\n")
    assert (number, text) == (1, "A1;many")
    assert reason.startswith("line 1: stock_level must be a whole number")


def test_a_line_whose_id_no_new_item_may_have_is_refused_and_the_next_one_still_read():
    """A dropped file's line may make an item, as a PUT does: held to the rule of new ids."""
    reason = (
        "stock_id must not contain '?', '#', '%' or '/' (found {}), which a URL path does not carry intact "
        "through every API"
    )
    assert lines_of(b"A?1;1\nB#1;1\nC%41;1\nD1;1\n") == [
        (1, "A?1;1", "line 1: " + reason.format("'?'")),
        (2, "B#1;1", "line 2: " + reason.format("'#'")),
        (3, "C%41;1", "line 3: " + reason.format("'%'")),
        (4, "D1;1", "ok"),
    ]


def test_a_line_that_is_not_utf8_is_rejected_and_the_next_one_still_read():
    assert lines_of(b"A\xff1;1\nB1;1\n") == [
        (1, "A\ufffd1;1", "line 1: not UTF-8 text (invalid start byte)"),
        (2, "B1;1", "ok"),
    ]


def test_a_file_without_line_breaks_is_never_held_whole():
    chunks = (b"x" * 65536 for _ in range(200))  # 13 MB on one line
    [line] = list(read_stock_file(chunks))
    assert isinstance(line, RejectedLine)
    assert line.reason == f"line 1: longer than {MAX_LINE_BYTES} bytes"
    assert len(line.text) == MAX_LINE_BYTES


def test_an_overlong_line_in_the_middle_does_not_swallow_the_next():
    assert [number for number, _, reason in lines_of(b"A1;1\n" + b"y" * 5000 + b"\nB1;1") if reason == "ok"] == [1, 3]


def test_a_rejected_line_is_kept_without_its_carriage_return():
    assert lines_of(b"A1;x\r\nB1;1\r\n") == [
        (1, "A1;x", "line 1: stock_level must be a whole number from 0 to 1000000000, not 'x'"),
        (2, "B1;1", "ok"),
    ]


def test_an_overlong_line_that_is_not_utf8_is_rejected_with_its_number():
    assert lines_of(b"A1;1\n" + b"\xff" * 5000 + b"\nB1;1") == [
        (1, "A1;1", "ok"),
        (2, "\ufffd" * MAX_LINE_BYTES, f"line 2: longer than {MAX_LINE_BYTES} bytes"),
        (3, "B1;1", "ok"),
    ]


def test_a_line_ending_right_after_its_cut_off_is_still_overlong():
    assert lines_of(b"y" * 5000, b"\nB1;1") == [
        (1, "y" * MAX_LINE_BYTES, f"line 1: longer than {MAX_LINE_BYTES} bytes"),
        (2, "B1;1", "ok"),
    ]


def test_a_line_of_exactly_the_limit_is_read_even_when_its_end_comes_in_the_next_chunk():
    assert lines_of(b"A1;1".ljust(MAX_LINE_BYTES), b"\n") == [(1, "A1;1", "ok")]


def test_a_line_spread_over_several_chunks_is_read_whole():
    assert lines_of(b"A", b"1;", b"1\n") == [(1, "A1;1", "ok")]


def test_the_longest_valid_named_line_fits_the_limit():
    stock_id = "\U0001f4e6" * 128  # 128 characters of 4 UTF-8 bytes each
    named = f"{stock_id};stock_level=1000000000;reorder_point=1000000000;low_stock_alerts=false;"
    longest = (named + "as_of=2024-05-01T12:00:00.000000+00:00").encode()
    assert len(longest) < MAX_LINE_BYTES
    assert lines_of(longest + b"\n") == [(1, longest.decode(), "ok")]


def test_a_named_line_is_checked_and_a_bad_one_refused_with_its_reason():
    assert lines_of(b"A1;reorder_point=5\nA2;reorder_point=5;reorder_point=6\n") == [
        (1, "A1;reorder_point=5", "ok"),
        (2, "A2;reorder_point=5;reorder_point=6", "line 2: reorder_point is given more than once"),
    ]
