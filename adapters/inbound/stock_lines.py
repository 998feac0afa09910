"""The import file format: one update per line, `STOCK_ID;LEVEL[;AS_OF]`, or named columns after the id
(`STOCK_ID;reorder_point=5`, `STOCK_ID;stock_level=3;low_stock_alerts=false;as_of=...`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.errors import InvalidStockInput
from domain.ports import RejectedInput
from domain.stock import UNSET, Field, StockUpdate, format_as_of, validate_new_stock_id

_FORMAT_HINT = "expected STOCK_ID;LEVEL, STOCK_ID;LEVEL;AS_OF or STOCK_ID;NAME=VALUE;..."
AS_OF = "as_of"
# What a named column may set, and the word that sets the reorder point back to the stack's default.
_NAMES = (Field.LEVEL.value, Field.REORDER_POINT.value, Field.ALERTS.value, AS_OF)
DEFAULT = "default"


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
    """Parse one non-blank line, or raise InvalidStockInput saying what is wrong with it. A line whose second
    column holds `=` is in the named form; any other keeps the meaning it always had."""
    columns = [column.strip() for column in line.split(";")]
    if len(columns) >= 2 and "=" in columns[1]:
        return _named(columns)
    if len(columns) not in (2, 3):
        raise InvalidStockInput(f"{_FORMAT_HINT}, got {len(columns)} field(s)")
    # A line may make an item, as a PUT does: held to the rule of new ids.
    return StockUpdate.from_raw(validate_new_stock_id(columns[0]), *columns[1:])


def _named(columns: list[str]) -> StockUpdate:
    """`STOCK_ID;NAME=VALUE;...`: each name at most once; a line that sets no field is refused by StockUpdate."""
    stock_id = validate_new_stock_id(columns[0])
    given: dict[str, str] = {}
    for column in columns[1:]:
        name, equals, value = column.partition("=")
        name = name.strip()
        if not equals:
            raise InvalidStockInput(f"every column after the id must be NAME=VALUE in this form, not {column!r}")
        if name not in _NAMES:
            raise InvalidStockInput(f"unknown name {name!r}: the names are {', '.join(_NAMES)}")
        if name in given:
            raise InvalidStockInput(f"{name} is given more than once")
        given[name] = value.strip()
    reorder_point: object = given.get(Field.REORDER_POINT.value, UNSET)
    if isinstance(reorder_point, str) and reorder_point.lower() == DEFAULT:
        reorder_point = None
    return StockUpdate.from_raw(
        stock_id,
        level=given.get(Field.LEVEL.value, UNSET),
        as_of=given.get(AS_OF),
        reorder_point=reorder_point,
        low_stock_alerts=given.get(Field.ALERTS.value, UNSET),
    )


def format_stock_line(update: StockUpdate) -> str:
    """The line that asks for `update`: an update of the level alone in the original form, which an import function
    older than the named form still reads; any other in the named form."""
    as_of = [] if update.as_of is None else [format_as_of(update.as_of)]
    if update.fields == {Field.LEVEL}:
        return ";".join([update.stock_id, str(update.level), *as_of])
    columns = [update.stock_id]
    if Field.LEVEL in update.fields:
        columns.append(f"{Field.LEVEL}={update.level}")
    if Field.REORDER_POINT in update.fields:
        point = update.own_reorder_point
        columns.append(f"{Field.REORDER_POINT}={DEFAULT if point is None else point}")
    if Field.ALERTS in update.fields:
        columns.append(f"{Field.ALERTS}={'true' if update.low_stock_alerts else 'false'}")
    columns += [f"{AS_OF}={moment}" for moment in as_of]
    return ";".join(columns)


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
