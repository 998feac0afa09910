"""A stock file read as a stream of bytes: one line at a time, each checked as the import function checks it.

The file is never held whole: a line is decoded and parsed as soon as its end is read, and a line longer than
any valid one is refused after its first MAX_LINE_BYTES bytes, so a file with no line breaks (a binary dropped
by mistake) cannot fill the memory either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from adapters.inbound.stock_lines import parse_stock_line
from domain.errors import InvalidStockInput
from domain.stock import StockUpdate

# A valid line is an id of at most 128 characters (4 UTF-8 bytes each) and at most four named columns (a level, a
# reorder point, the alerts switch and a time, about 130 bytes with their names): far below this.
MAX_LINE_BYTES = 1024
_BYTE_ORDER_MARK = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class FileLine:
    """A valid line: its number in the file, its text without the line break, and the update it asks for."""

    number: int
    text: str
    update: StockUpdate


@dataclass(frozen=True)
class RejectedLine:
    """A line that can never be applied: its number, its text (cut to MAX_LINE_BYTES) and why it is refused."""

    number: int
    text: str
    reason: str


def read_stock_file(chunks: Iterable[bytes]) -> Iterator[FileLine | RejectedLine]:
    """Every non-blank line of the file, in order, checked; blank lines are skipped."""
    for number, raw, complete in _lines(chunks):
        if number == 1:
            raw = raw.removeprefix(_BYTE_ORDER_MARK)
        raw = raw.removesuffix(b"\r")
        if not complete:
            text = raw.decode("utf-8", "replace")
            yield RejectedLine(number, text, f"line {number}: longer than {MAX_LINE_BYTES} bytes")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield RejectedLine(
                number, raw.decode("utf-8", "replace"), f"line {number}: not UTF-8 text ({error.reason})"
            )
            continue
        if text.strip():
            yield _checked(number, text)


def _checked(number: int, text: str) -> FileLine | RejectedLine:
    try:
        return FileLine(number, text.strip(), parse_stock_line(text))
    except InvalidStockInput as error:
        return RejectedLine(number, text, f"line {number}: {error}")


def _lines(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes, bool]]:
    """(number, bytes, complete) per line; an over-long line keeps its first MAX_LINE_BYTES bytes only."""
    number, pending, overflow = 1, b"", False
    for chunk in chunks:
        *ends, rest = chunk.split(b"\n")
        for end in ends:
            line = pending + end
            yield number, line[:MAX_LINE_BYTES], not overflow and len(line) <= MAX_LINE_BYTES
            number, pending, overflow = number + 1, b"", False
        pending += rest
        if len(pending) > MAX_LINE_BYTES:
            pending, overflow = pending[:MAX_LINE_BYTES], True
    if pending or overflow:
        yield number, pending, not overflow
