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
