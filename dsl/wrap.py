"""Line wrapping for `saddle fmt`: canonical lines longer than `WIDTH` are broken.

The printer writes every declaration and constraint on one line; this module breaks the
lines that are too long. Any break at a space outside a string parses back to the same
syntax tree (newlines inside brackets are ignored; outside brackets a deeper-indented line
continues the one above, `dsl/layout.py`), so wrapping never changes the model. It never
breaks right after a `name:` (that would open a block).

Where: after a comma (in calls, lists, indexes) and before a binary operator, the
outermost first (the lowest bracket depth, then `or`, comparisons, `+ -`, `* / @`), filling
each line greedily. A list of lists (a matrix) always keeps one row per line, the rows
aligned under the first. Continuation lines are indented four spaces deeper than the line
they continue (eight for the head of a block, which ends in ':'). A trailing comment stays
at the end of the last line (the code is wrapped to leave it room). A string or a comment
too long for the width cannot be broken and is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl.comments import comment_column, outside_strings

WIDTH = 100

# Binary operators as the printer spells them (with a space on each side), by how loosely
# they bind: a break before a looser one is preferred.
_OPERATORS = {"or": 1, "<=": 2, ">=": 2, "==": 2, "+": 3, "-": 3, "*": 4, "/": 4, "@": 4}
_COMMA = 0
_ROW = -1  # between the rows of a matrix: before any other comma at its depth


@dataclass(frozen=True, slots=True)
class _Break:
    at: int  # index in the code where the next line starts (after the space)
    rank: tuple[int, int]  # (bracket depth, operator class): lower breaks first
    matrix_row: int | None  # the column of the '[' of the matrix this comma separates


def wrap_text(text: str, width: int = WIDTH) -> str:
    """Every line of a formatted model wrapped (`text` ends in a newline or is empty)."""
    out: list[str] = []
    for line in text.split("\n"):
        out += wrap_line(line, width)
    return "\n".join(out)


def wrap_line(line: str, width: int = WIDTH) -> list[str]:
    """One canonical line as one or more lines of at most `width` characters if possible."""
    code, comment = _split_comment(line)
    stripped = code.lstrip(" ")
    if not stripped:
        return [line]  # blank or a comment line: comments are the author's text
    base = len(code) - len(stripped)
    breaks = _breaks(code)
    if len(line) <= width and not any(b.matrix_row is not None for b in breaks):
        return [line]
    cont = base + (8 if code.endswith(":") else 4)
    room = width - (len(comment) + 2 if comment else 0)
    lines = _fill(code, 0, len(code), breaks, 0, cont, room)
    if comment and len(lines[-1]) + 2 + len(comment) > width:
        lines = _fill(code, 0, len(code), breaks, 0, cont, width)
    if comment:  # stays where it was: moved above, it would change the blank lines around
        lines[-1] += "  " + comment
    return lines


def _split_comment(line: str) -> tuple[str, str]:
    """The code of a line and its trailing comment ('' if none); '#' in a string is text."""
    i = comment_column(line)
    return (line, "") if i is None else (line[:i].rstrip(), line[i:])


def _breaks(code: str) -> list[_Break]:
    """Where the canonical line `code` may break, outside strings."""
    found: list[_Break] = []
    depth = 0
    opens: list[int] = []  # columns of the open brackets
    matrices: set[int] = set()  # columns of '[' that open a list of lists
    for i, char in outside_strings(code):
        if char in "([":
            if char == "[" and code[i + 1:i + 2] == "[" and _is_list(code, i):
                matrices.add(i)
            opens.append(i)
            depth += 1
        elif char in ")]":
            opens.pop() if opens else None
            depth = max(0, depth - 1)
        elif char == "," and code[i + 1:i + 2] == " ":
            row = opens[-1] if opens and opens[-1] in matrices and code[i - 1] == "]" else None
            found.append(_Break(i + 2, (depth, _COMMA if row is None else _ROW), row))
        elif char == " " and code[i + 1:i + 2] == '"' and code.startswith("model "):
            found.append(_Break(i + 1, (0, _COMMA), None))  # before the model's doc string
        elif char == " " and i > 0 and code[i - 1] != ":":
            word = code[i + 1:].split(" ", 1)[0]
            rest = code[i + 1 + len(word):i + 2 + len(word)]
            if word in _OPERATORS and rest == " ":
                found.append(_Break(i + 1, (depth, _OPERATORS[word]), None))
    return [b for b in found if b.matrix_row is None or b.matrix_row in matrices]


def _is_list(code: str, i: int) -> bool:
    """A '[' that opens a list literal, not an index (an index follows a name or bracket)."""
    before = code[:i].rstrip(" ")
    return not before or before[-1] in "([,=~" or before.endswith(" in")


def _fill(code: str, start: int, stop: int, breaks: list[_Break], column: int, cont: int,
          width: int) -> list[str]:
    """`code[start:stop]` as lines. The first line goes on at `column` of a line already
    begun (it is returned without that prefix); the others start with `cont` spaces.

    `breaks` are those still allowed: a level used once is not used again inside a piece.
    """
    text = code[start:stop].rstrip(" ")
    inner = [b for b in breaks if start < b.at < stop]
    rows = any(b.matrix_row is not None for b in inner)
    if not inner or (column + len(text) <= width and not rows):
        return [text]  # fits, or an unbreakable piece
    rank = min(b.rank for b in inner)
    level = [b for b in inner if b.rank == rank]
    deeper = [b for b in breaks if b.rank > rank]
    cuts = [start, *(b.at for b in level), stop]
    if level[0].matrix_row is not None:
        return _matrix(code, cuts, deeper, column, cont, width)
    # Greedy fill: a piece goes on the current line if it fits, else on a new line; a piece
    # too long for a line of its own is broken at the next level and the line goes on after it.
    lines = [""]
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = code[a:b]
        at = (column if len(lines) == 1 else 0) + len(lines[-1])
        fresh = not lines[-1].strip()
        if not fresh and at + len(piece.rstrip(" ")) > width:
            lines[-1] = lines[-1].rstrip(" ")
            lines.append(" " * cont)
            at = cont
        if at + len(piece.rstrip(" ")) > width:
            sub = _fill(code, a, b, deeper, at, cont, width)
            lines[-1] += sub[0]
            lines += sub[1:]
            if b < stop:
                lines[-1] += " "  # the space the break point stood after
        else:
            lines[-1] += piece
    return [line.rstrip(" ") for line in lines]


def _matrix(code: str, cuts: list[int], deeper: list[_Break], column: int, cont: int,
            width: int) -> list[str]:
    """One row per line (`cuts` between the rows), aligned under the first row if they fit."""
    head = _fill(code, cuts[0], cuts[1], deeper, column, cont, width)
    first_row = code[cuts[0]:cuts[1]].rstrip(" ")
    first_row = first_row[first_row.rfind("[["):] if "[[" in first_row else first_row
    align = (column if len(head) == 1 else 0) + len(head[-1]) - len(first_row) + 1
    pieces = [code[a:b].rstrip(" ") for a, b in zip(cuts[1:], cuts[2:], strict=False)]
    if len(head) == 1 and all(align + len(piece) <= width for piece in pieces):
        return head + [" " * align + piece for piece in pieces]
    lines = head
    for a, b in zip(cuts[1:], cuts[2:], strict=False):
        sub = _fill(code, a, b, deeper, cont, cont, width)
        lines += [" " * cont + sub[0], *sub[1:]]
    return lines
