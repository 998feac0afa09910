"""The README and the pages of docs/ read as their code blocks: each with the marker on the line before it that
says whether it runs locally (`local`), needs AWS (`aws`) or is only an example (`example`)."""

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKERS = ("local", "aws", "example")
MARKER = re.compile(r"<!-- (\w+) -->")
FENCE = re.compile(r"^(`{3,}|~{3,})")


@dataclass(frozen=True)
class CodeBlock:
    """A fenced block of a page, with the marker on the line before its opening fence (None without one)."""

    page: Path
    line: int  # of the opening fence, from 1
    marker: str | None
    text: str

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page}:{self.line}"


def code_blocks(page: Path) -> list[CodeBlock]:
    lines = page.read_text().splitlines()
    blocks: list[CodeBlock] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        end = next(
            (n for n in range(index + 1, len(lines)) if lines[n].strip() == opening.group(1)),
            len(lines),
        )
        before = MARKER.fullmatch(lines[index - 1].strip()) if index else None
        text = "\n".join(lines[index + 1 : end]) + "\n"
        blocks.append(CodeBlock(page, index + 1, before.group(1) if before else None, text))
        index = end + 1
    return blocks
