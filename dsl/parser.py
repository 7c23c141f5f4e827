"""Stage 1 of 8: text -> `ast.Model`. Errors: E1xx.

The only place Lark exceptions are caught. The parser is built once per process from
`grammar.lark` and its LALR tables are cached on disk (`dsl/parser_cache.py`: a user cache
directory, never the package), so a second process loads them in milliseconds.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from lark import (
    Lark,
    Token,
    Tree,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)
from lark.exceptions import VisitError

from dsl import ast
from dsl.depth import MAX_NESTING, check_let_depth, deep_stack, too_deep
from dsl.errors import Diagnostic, SpecError, error
from dsl.layout import IndentationMismatch, Layout
from dsl.parser_cache import cache_file
from dsl.source import Source, Span, read_source
from dsl.syntax_errors import EXAMPLES, TOKEN_NAMES
from dsl.transformer import ToAst

# MAX_NESTING: levels of syntax tree a declaration may nest (dsl/depth.py). Every pass over
# the AST recurses (so do dataclass `==` and `repr`); `deep_stack` gives them the room.


LAYOUT_TOKENS = {"_NL", "_INDENT", "_DEDENT"}


class _Positioned:
    """Layout tokens do not count for spans: a declaration ends at its last real token, not
    at the newline (and the comment lines the newline token swallows) after it.

    A class with a fixed `repr` rather than a function: Lark keys its parser cache on the
    options' text, and a function's text holds its address, which differs in every process.
    """

    def __call__(self, child: object) -> bool:
        return not (isinstance(child, Token) and child.type in LAYOUT_TOKENS)

    def __repr__(self) -> str:
        return "saddle-positioned-v1"


_positioned = _Positioned()


@functools.cache
def get_parser(start: str = "start") -> Lark:
    """The LALR parser for `start` ("start" for model files, "expr" for --param values)."""
    return build_parser(start, use_cache=True)


def build_parser(start: str, use_cache: bool) -> Lark:
    """A new parser; with `use_cache`, loaded from (or saved to) the disk cache. A parser
    loaded from the cache has no `.grammar` (tools that walk the grammar build their own)."""
    grammar = (Path(__file__).parent / "grammar.lark").read_text(encoding="utf-8")
    cache = cache_file(grammar, start) if use_cache else None
    return Lark(
        grammar,
        parser="lalr",
        start=start,
        propagate_positions=_positioned,
        maybe_placeholders=True,
        postlex=Layout(),
        strict=True,
        cache=cache or False,
    )


def parse(text: str, name: str = "<string>") -> ast.Model:
    """Parse a model text.

    Args:
        text: the model source.
        name: how errors name the source (a path, or "<string>").

    Returns:
        The model's syntax tree.

    Raises:
        SpecError: E1xx, at the first syntax error.
    """
    source = Source(name, text)
    model = _parse(source, "start")
    if not isinstance(model, ast.Model):  # internal invariant: start builds a Model
        raise RuntimeError("parser returned no model")
    return model


def parse_file(path: str | Path) -> ast.Model:
    """Parse a `.saddle` file (read as UTF-8). Raises OSError if it cannot be read."""
    return parse(read_source(path), os.fspath(path))


def parse_expression(text: str, name: str = "<value>") -> ast.Expr:
    """Parse one expression, as given to `--param NAME=VALUE`."""
    source = Source(name, text.strip())
    expr = _parse(source, "expr")
    if not isinstance(expr, ast.Expr):
        raise RuntimeError("expression parser returned no expression")
    return expr


@deep_stack
def _parse(source: Source, start: str) -> ast.Model | ast.Expr:
    # The layout post-lexer needs a final newline to close the last line of a model; an
    # expression has no line structure, and its grammar accepts no newline token at the end.
    needs_newline = start == "start" and not source.text.endswith("\n")
    text = source.text + "\n" if needs_newline else source.text
    parser = get_parser(start)
    tree: Tree[Token] | None = None
    try:
        tree = parser.parse(text)
        depth, where = _deepest(source, tree)
        if depth > MAX_NESTING:
            raise too_deep(where)
        built = ToAst(source).transform(tree)
        if isinstance(built, ast.Model):
            check_let_depth(built)
        return built
    except VisitError as exc:
        if isinstance(exc.orig_exc, SpecError):
            raise exc.orig_exc from None
        if isinstance(exc.orig_exc, RecursionError):
            raise too_deep(_deepest(source, tree)[1]) from None
        raise
    except RecursionError:  # the transformer recurses once per level of nesting
        raise too_deep(_deepest(source, tree)[1]) from None
    except IndentationMismatch as exc:
        raise error(
            "E103",
            "this line's indentation matches no enclosing block",
            source.span(exc.start, exc.end),
            f"line it up with the other lines of its block (indent {exc.expected[1]}) or with "
            f"the enclosing block (indent {exc.expected[0]})",
        ) from None
    except UnexpectedInput as exc:
        raise SpecError(_syntax_diagnostic(source, text, parser, exc)) from None


def _deepest(source: Source, tree: Tree[Token] | None) -> tuple[int, Span]:
    """The depth and span of the deepest declaration (or expression), found without recursion."""
    roots: list[Tree[Token]] = [] if tree is None else [tree]
    if tree is not None and tree.data == "start":
        roots = [c for c in tree.children if isinstance(c, Tree)]
    deepest, where = 0, source.whole()
    for root in roots:
        depth, stack = 0, [(root, 1)]
        while stack:
            node, level = stack.pop()
            depth = max(depth, level)
            stack.extend((c, level + 1) for c in node.children if isinstance(c, Tree))
        if depth > deepest and not root.meta.empty:
            deepest, where = depth, source.span(root.meta.start_pos, root.meta.end_pos)
    return deepest, where


def _syntax_diagnostic(source: Source, text: str, parser: Lark,
                       exc: UnexpectedInput) -> Diagnostic:
    if isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    ):
        return Diagnostic("E102", "unexpected end of file", source.end(),
                          "the model ends in the middle of a declaration: close every bracket "
                          "and finish the last line")
    if isinstance(exc, UnexpectedCharacters):
        offset = exc.pos_in_stream or 0
        char = text[offset] if offset < len(text) else ""
        span = source.span(offset, offset + 1)
        if char == '"':
            return Diagnostic("E105", "unterminated string", span,
                              'close the string with " on the same line')
        return Diagnostic("E101", f"unexpected character {char!r}", span,
                          "remove it; names use letters, digits and '_', and '#' starts a "
                          "comment")
    span = _token_span(source, exc)
    code = _match_example(parser, exc)
    if code is not None:
        message, help_text = EXAMPLES[code][0], EXAMPLES[code][1]
        return Diagnostic(code, message, span, help_text)
    if _starts_continuation_line(source, span):
        return Diagnostic("E103", "this line is indented deeper than the line above, so it "
                          "continues that line", span,
                          "remove the extra indentation if the line starts a new declaration or "
                          "constraint")
    found = _describe(exc)
    return Diagnostic("E100", f"unexpected {found}", span, _expected_sentence(parser, exc))


def _expected_sentence(parser: Lark, exc: UnexpectedInput) -> str:
    """'Expected ...' from the tokens the parser accepts here, line ends and names first."""
    if not isinstance(exc, UnexpectedToken):
        return "Check the syntax here."
    names = {_display(parser, t) for t in (exc.accepts or exc.expected)}
    first = [n for n in ("end of line", "a name", "a number") if n in names]
    rest = sorted(names - set(first))
    shown = first + rest
    if len(shown) > 10:
        return f"Expected {', '.join(shown[:9])}, or another token that can continue here."
    if len(shown) == 1:
        return f"Expected {shown[0]} here."
    return f"Expected {', '.join(shown[:-1])} or {shown[-1]} here."


def _token_span(source: Source, exc: UnexpectedInput) -> Span:
    token = getattr(exc, "token", None)
    start = getattr(token, "start_pos", None)
    if start is None:
        start = exc.pos_in_stream or 0
    end = getattr(token, "end_pos", None) or start + 1
    if token is not None and token.type == "_NL":
        end = start + 1  # underline the end of the line, not the next line's indentation
    # The newline `_parse` appends to an unterminated last line is not in the text: clamp.
    limit = len(source.text)
    return source.span(min(start, limit), min(max(end, start + 1), limit))


def _starts_continuation_line(source: Source, span: Span) -> bool:
    """True if the offending token opens a line indented deeper than the previous code line."""
    line = source.line_text(span.line)
    if line[: span.column - 1].strip():
        return False
    indent = len(line) - len(line.lstrip())
    for previous in range(span.line - 1, 0, -1):
        text = source.line_text(previous)
        if text.strip() and not text.strip().startswith("#"):
            return indent > len(text) - len(text.lstrip()) and not text.rstrip().endswith(":")
    return False


def _describe(exc: UnexpectedInput) -> str:
    token = getattr(exc, "token", None)
    if token is None:
        return "input"
    if token.type == "_NL":
        return "end of line"
    if token.type in ("_INDENT", "_DEDENT"):
        return "indentation"
    return f"'{token}'"


def _display(parser: Lark, terminal: str) -> str:
    if terminal in TOKEN_NAMES:
        return TOKEN_NAMES[terminal]
    try:
        pattern = parser.get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    return f"'{pattern.value}'" if pattern.type == "str" else terminal.lower()


def _match_example(parser: Lark, exc: UnexpectedInput) -> str | None:
    """The code whose example snippet fails in the same parser state, expecting the same tokens.

    Lark's own `match_examples` compares `ParserState` objects, which are never equal across
    parses in lark 1.3, so we compare the LALR state number and the accepted tokens.
    """
    if not isinstance(exc, UnexpectedToken):
        return None
    target = (_state_number(exc), frozenset(exc.accepts or exc.expected))
    for code, (_message, _help, snippets) in EXAMPLES.items():
        for snippet in snippets:
            try:
                parser.parse(snippet)
            except UnexpectedToken as other:
                if (_state_number(other), frozenset(other.accepts or other.expected)) == target:
                    return code
            except (UnexpectedInput, IndentationMismatch):
                continue
    return None


def _state_number(exc: UnexpectedToken) -> object:
    state = exc.state
    return getattr(state, "position", state)
