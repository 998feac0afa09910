"""The import file format: one `STOCK_ID;LEVEL` or `STOCK_ID;LEVEL;AS_OF` line per update."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.errors import InvalidStockInput
from domain.ports import RejectedInput
from domain.stock import StockUpdate, validate_new_stock_id

_FORMAT_HINT = "expected STOCK_ID;LEVEL or STOCK_ID;LEVEL;AS_OF"


@dataclass(frozen=True)
class LineOrigin:
    """Where an update was read: its text and its number in the named source."""

    source: str
    number: int
    text: str

    def refused(self, reason: str) -> RejectedInput:
        """This line, refused for `reason`: named `source:number`, as a line refused when read is."""
        return RejectedInput(f"{self.source}:{self.number}", self.text, f"line {self.number}: {reason}")


@dataclass(frozen=True)
class ParsedLines:
    """The updates a text holds, in order, with the line each came from, and the lines refused with their
    reasons."""

    updates: list[StockUpdate]
    rejected: list[RejectedInput]
    origins: list[LineOrigin] = field(default_factory=list)  # of each update, at the same position


def parse_stock_line(line: str) -> StockUpdate:
    """Parse one non-blank line, or raise InvalidStockInput saying what is wrong with it."""
    fields = [column.strip() for column in line.split(";")]
    if len(fields) not in (2, 3):
        raise InvalidStockInput(f"{_FORMAT_HINT}, got {len(fields)} field(s)")
    # A line may make an item, as a PUT does: held to the rule of new ids.
    return StockUpdate.from_raw(validate_new_stock_id(fields[0]), *fields[1:])


def parse_stock_lines(text: str, source: str) -> ParsedLines:
    """Parse every line of a text; blank lines are skipped, and each bad line is named `source:line`."""
    parsed = ParsedLines([], [])
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            parsed.updates.append(parse_stock_line(line))
        except InvalidStockInput as error:
            parsed.rejected.append(LineOrigin(source, number, line).refused(str(error)))
        else:
            parsed.origins.append(LineOrigin(source, number, line))
    return parsed
