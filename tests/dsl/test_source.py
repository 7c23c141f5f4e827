"""Sources and spans: offset <-> line/column, tabs in `render`, end-of-file spans."""

from __future__ import annotations

import pytest

from dsl import Diagnostic, SpecError, parse, render
from dsl.source import Source, synthetic_span

TEXT = "ab\n\tcd = yeild\n\nlast"


@pytest.mark.parametrize(("offset", "line_col"), [
    (0, (1, 1)),
    (1, (1, 2)),
    (2, (1, 3)),      # the newline itself belongs to line 1
    (3, (2, 1)),      # first character of line 2 (a tab)
    (9, (2, 7)),      # 'y' of yeild: the tab counts as one column
    (15, (3, 1)),     # the empty line
    (16, (4, 1)),
    (19, (4, 4)),
    (20, (4, 5)),     # end of text
    (999, (4, 5)),    # past the end clamps to it
    (-5, (1, 1)),     # before the start clamps to it
])
def test_line_col(offset: int, line_col: tuple[int, int]) -> None:
    assert Source("t", TEXT).line_col(offset) == line_col


def test_line_text() -> None:
    src = Source("t", TEXT)
    assert [src.line_text(i) for i in range(0, 6)] == ["", "ab", "\tcd = yeild", "", "last", ""]


def test_span_fields_and_text() -> None:
    src = Source("m.saddle", TEXT)
    span = src.span(9, 14)
    assert (span.start, span.end, span.line, span.column, span.end_line, span.end_column) == (
        9, 14, 2, 7, 2, 12)
    assert span.text == "yeild"
    assert str(span) == "m.saddle:2:7"
    multi = src.span(1, 5)
    assert (multi.line, multi.end_line) == (1, 2)
    assert src.span(3, 4).to(src.span(9, 14)).text == "\tcd = yeild"
    assert src.span(7, 2).end == 7  # an inverted range becomes empty


def test_spans_compare_without_their_source() -> None:
    assert Source("a", "xyz").span(0, 1) == Source("b", "xyz").span(0, 1)
    assert Source("a", "xyz") != Source("a", "xyz")  # sources compare by identity


def test_end_of_file_spans() -> None:
    src = Source("t", "param p = (1 +\n\n   \n")
    end = src.end()
    assert (end.start, end.end, end.line, end.column) == (14, 14, 1, 15)
    empty = Source("e", "").end()
    assert (empty.start, empty.line, empty.column) == (0, 1, 1)
    assert Source("w", "abc").whole().text == "a"
    assert synthetic_span().source.name == "<generated>"


def test_unexpected_eof_is_anchored_at_the_end_of_the_text() -> None:
    with pytest.raises(SpecError) as info:
        parse("model m\nparam p = f(1,\n\n\n", "m.saddle")
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == "E102"
    assert (diagnostic.span.line, diagnostic.span.column) == (2, 15)


def test_render_exact_text() -> None:
    src = Source("models/treasury.saddle", "model m\nlet x = sum(w * (yeild - repo))\n")
    start = src.text.index("yeild")
    diagnostic = Diagnostic("E201", "undefined name 'yeild'", src.span(start, start + 5),
                            "did you mean 'yield'? It is declared as a param on line 5.",
                            ("declared here: 5:7",))
    assert render(diagnostic) == (
        "models/treasury.saddle:2:18: error[E201]: undefined name 'yeild'\n"
        "  |\n"
        "2 | let x = sum(w * (yeild - repo))\n"
        "  |                  ^^^^^\n"
        "  = note: declared here: 5:7\n"
        "  = help: did you mean 'yield'? It is declared as a param on line 5."
    )
    assert str(SpecError([diagnostic, diagnostic])) == render(diagnostic) + "\n\n" + render(
        diagnostic)


def test_render_expands_tabs_before_placing_the_caret() -> None:
    src = Source("t", "ab\n\tcd = yeild\n")
    lines = render(Diagnostic("E201", "undefined name 'yeild'", src.span(9, 14), "fix it")
                   ).splitlines()
    assert lines[2] == "2 |     cd = yeild"
    assert lines[3] == "  |          ^^^^^"
    assert lines[3].index("^") == lines[2].index("yeild")


def test_render_tab_inside_the_span_widens_the_underline() -> None:
    src = Source("t", "a\tb\n")
    lines = render(Diagnostic("E101", "m", src.span(0, 3), "h")).splitlines()
    assert lines[2] == "1 | a   b"
    assert lines[3] == "  | ^^^^^"


def test_render_multi_line_span_underlines_the_first_line_only() -> None:
    src = Source("t", "let x = (a +\n    b)\n")
    lines = render(Diagnostic("E301", "m", src.span(8, 18), "h")).splitlines()
    assert lines[2:4] == ["1 | let x = (a +", "  |         ^^^^"]
    assert len(lines) == 5


def test_render_empty_span_and_empty_line() -> None:
    src = Source("t", "x\n")
    lines = render(Diagnostic("E102", "m", src.span(1, 1), "h")).splitlines()
    assert lines[3] == "  |  ^"  # an empty span still gets one caret
    blank = Source("e", "")
    assert render(Diagnostic("E102", "unexpected end of file", blank.end(), "add a line.")) == (
        "e:1:1: error[E102]: unexpected end of file\n  = help: add a line.")


def test_wide_line_numbers_widen_the_gutter() -> None:
    src = Source("t", "\n" * 11 + "oops\n")
    lines = render(Diagnostic("E100", "m", src.span(11, 15), "h")).splitlines()
    assert lines[1:4] == ["   |", "12 | oops", "   | ^^^^"]
    assert lines[4] == "   = help: h"


def test_diagnostic_invariants() -> None:
    span = Source("t", "x").span(0, 1)
    with pytest.raises(ValueError):
        Diagnostic("E999", "m", span, "h")
    with pytest.raises(ValueError):
        Diagnostic("E100", "m", span, "")
