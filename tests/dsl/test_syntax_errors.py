"""Each syntax error code (E100-E106): the code, the rendered first line and the caret."""

from __future__ import annotations

import pytest

from dsl import CODES, SpecError, parse
from dsl.syntax_errors import EXAMPLES

# (code, model text, expected first rendered line, caret line as rendered)
CASES = [
    ("E100", "model m\nparam p = 1 +* 2\n",
     "m.saddle:2:14: error[E100]: unexpected '*'",
     "  |              ^"),
    ("E101", "model m\nparam p = 1 ? 2\n",
     "m.saddle:2:13: error[E101]: unexpected character '?'",
     "  |             ^"),
    ("E102", "model m\nparam p = f(1,\n\n",
     "m.saddle:2:15: error[E102]: unexpected end of file",
     "  |               ^"),
    ("E103", "subject to\n        a: x <= 1\n    b: x <= 2\n",
     "m.saddle:3:1: error[E103]: this line's indentation matches no enclosing block",
     "  | ^^^^"),
    ("E103", "model m\nvariable w\n    variable v\n",
     "m.saddle:3:5: error[E103]: this line is indented deeper than the line above, so it "
     "continues that line",
     "  |     ^^^^^^^^"),
    ("E104", "model m\nmaximize carry sum(w)\n",
     "m.saddle:2:16: error[E104]: expected ':' after the name",
     "  |                ^^^"),
    ("E104", "subject to\n    cap sum(w) <= 1\n",
     "m.saddle:2:9: error[E104]: expected ':' after the name",
     "  |         ^^^"),
    ("E105", 'model m "Net carry\n',
     "m.saddle:1:9: error[E105]: unterminated string",
     "  |         ^"),
    ("E106", "set tenor [1, 2]\n",
     "m.saddle:1:11: error[E106]: expected '=' in the declaration",
     "  |           ^"),
    ("E106", "let e[tenor] w * 2\n",
     "m.saddle:1:14: error[E106]: expected '=' in the declaration",
     "  |              ^"),
]


def _error(text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        parse(text, "m.saddle")
    return info.value


@pytest.mark.parametrize(("code", "text", "first", "caret"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_syntax_error(code: str, text: str, first: str, caret: str) -> None:
    error = _error(text)
    assert error.codes == [code]
    lines = str(error).splitlines()
    assert lines[0] == first
    assert lines[3] == caret
    assert lines[-1].lstrip().startswith("= help: ")
    diagnostic = error.diagnostics[0]
    assert 0 <= diagnostic.span.start <= diagnostic.span.end <= len(text)


def test_every_syntax_code_is_covered() -> None:
    syntax_codes = {code for code in CODES if code.startswith("E1")}
    assert syntax_codes == {case[0] for case in CASES}


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_every_example_snippet_selects_its_code(code: str) -> None:
    for snippet in EXAMPLES[code][2]:
        assert _error(snippet).codes == [code], snippet


def test_expected_tokens_use_user_facing_names() -> None:
    help_text = _error("param p = 1 +* 2\n").diagnostics[0].help
    assert help_text.startswith("Expected a name, a number, ")
    assert help_text.endswith(" here.") and "NAME" not in help_text


def test_expected_tokens_after_an_expression_offer_the_line_end_first() -> None:
    help_text = _error("param p = 1 2\n").diagnostics[0].help
    assert help_text.startswith("Expected end of line, ")
