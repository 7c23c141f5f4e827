"""Comments of a source text, for `saddle fmt`: the AST has no comments, the text does.

The printer asks for the comments before a node (printed on their own lines above it) and
the comment after a node on its last line (kept at the end of that line).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dsl.source import Source, Span


@dataclass(frozen=True, slots=True)
class Comment:
    offset: int
    line: int
    text: str  # from '#' to the end of the line, trailing spaces removed


def outside_strings(line: str) -> Iterator[tuple[int, str]]:
    """(index, character) of each character of `line` outside a string literal; the quotes
    themselves are not yielded. Strings never span lines in Saddle."""
    in_string = escaped = False
    for i, char in enumerate(line):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        else:
            yield i, char


def comment_column(line: str) -> int | None:
    """Where the `# ...` of one line starts ('#' in a string is text), None if it has none."""
    return next((i for i, char in outside_strings(line) if char == "#"), None)


def scan(text: str) -> list[Comment]:
    """Every `# ...` outside a string, in order."""
    found: list[Comment] = []
    offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        column = comment_column(line)
        if column is not None:
            found.append(Comment(offset + column, number, line[column:].rstrip()))
        offset += len(line) + 1
    return found


class Comments:
    """The comments of one source, handed out once each, in order."""

    def __init__(self, source: Source | None):
        self.pending = scan(source.text) if source is not None else []

    def before(self, span: Span, inside: bool = True) -> list[str]:
        """Comments that start before `span` and (with `inside`) those within it that do
        not end its last line: a comment inside a multi-line expression moves above it."""
        taken = [c for c in self.pending if c.offset < span.start or (
            inside and c.offset < span.end and c.line < span.end_line)]
        self._drop(taken)
        return [c.text for c in taken]

    def after(self, span: Span) -> str | None:
        """The comment at the end of `span`'s last line, if any."""
        hit = next((c for c in self.pending if c.line == span.end_line and
                    c.offset >= span.end), None)
        if hit is None:
            return None
        self._drop([hit])
        return hit.text

    def rest(self) -> list[str]:
        taken, self.pending = self.pending, []
        return [c.text for c in taken]

    def _drop(self, taken: list[Comment]) -> None:
        gone = {id(c) for c in taken}
        self.pending = [c for c in self.pending if id(c) not in gone]
