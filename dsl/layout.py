"""Indentation for the grammar: a Lark post-lexer that emits _INDENT and _DEDENT.

Like `lark.indenter.Indenter`, with one rule added so that a long expression can go on to
the next line without brackets, as it does in the paper sketches:

    minimize robust_turnover:
        0.5 * norm1(target - h * price)
          - lambda * log_sum_exp(...)        # deeper: continues the line above

A line indented deeper than the one before it opens a block only if the line before ended
with ':' or was `subject to`; otherwise it continues that line.
"""

from __future__ import annotations

from collections.abc import Iterator

from lark import Token

OPENERS = {"LPAR", "LSQB"}
CLOSERS = {"RPAR", "RSQB"}
BLOCK_OPENERS = {"_COLON", "_SUBJECT_TO"}


def _indentation(newline: str) -> int:
    last = newline.rsplit("\n", 1)[-1]
    width = 0
    for ch in last:
        if ch == " ":
            width += 1
        elif ch == "\t":
            width += 4
        else:
            break
    return width


class IndentationMismatch(Exception):
    """A dedent to a column no enclosing block uses; `parser.py` turns it into E103."""

    def __init__(self, start: int, end: int, expected: tuple[int, int]):
        super().__init__(start, end, expected)
        self.start, self.end, self.expected = start, end, expected


class Layout:
    """Post-lexer. Stateless between runs: every `process` call starts a fresh stack."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        levels = [0]
        depth = 0
        previous: Token | None = None
        for token in stream:
            if token.type == "_NL":
                if depth > 0:
                    continue
                indent = _indentation(str(token))
                if indent > levels[-1]:
                    if previous is None or previous.type not in BLOCK_OPENERS:
                        continue  # a continuation line
                    yield token
                    levels.append(indent)
                    yield Token.new_borrow_pos("_INDENT", "", token)
                else:
                    yield token
                    inner = levels[-1]
                    while indent < levels[-1]:
                        inner = levels.pop()
                        yield Token.new_borrow_pos("_DEDENT", "", token)
                    if indent != levels[-1]:
                        end = token.end_pos or 0
                        raise IndentationMismatch(end - indent, end, (levels[-1], inner))
                previous = token
                continue
            if token.type in OPENERS:
                depth += 1
            elif token.type in CLOSERS:
                depth = max(0, depth - 1)
            previous = token
            yield token
        while len(levels) > 1:
            levels.pop()
            yield Token("_DEDENT", "")
