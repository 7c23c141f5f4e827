"""Source texts and spans: every node and every diagnostic points into a `Source`.

A `Span` carries its `Source`, so rendering an error never needs the text passed in again.
Offsets are 0-based and end-exclusive; lines and columns are 1-based, as Lark reports them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, eq=False)
class Source:
    """A named model text. Compared by identity: two sources are never 'the same text'."""

    name: str
    text: str
    _line_starts: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(self.text) if ch == "\n")
        object.__setattr__(self, "_line_starts", tuple(starts))

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a 0-based offset; offsets past the end clamp to it."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]

    def span(self, start: int, end: int) -> Span:
        """The span of [start, end) in this source."""
        end = max(start, end)
        line, column = self.line_col(start)
        end_line, end_column = self.line_col(end)
        return Span(self, start, end, line, column, end_line, end_column)

    def whole(self) -> Span:
        """A span over the whole text, for diagnostics that belong to no single place."""
        return self.span(0, min(len(self.text), 1))

    def end(self) -> Span:
        """An empty span at the end of the text (where an unexpected end of file is reported)."""
        stripped = len(self.text.rstrip())
        return self.span(stripped, stripped)


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a `Source`."""

    source: Source = field(repr=False, compare=False)
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return self.source.span(min(self.start, other.start), max(self.end, other.end))

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]

    def __str__(self) -> str:
        return f"{self.source.name}:{self.line}:{self.column}"


def synthetic_span(description: str = "<generated>") -> Span:
    """A span for nodes built by code rather than parsed (e.g. property-test ASTs)."""
    return Source(description, "").span(0, 0)
