"""docs/language.md tells the truth: its ```saddle examples are whole models that parse, are
in `saddle fmt` form, and solve; and the syntax that error help sentences quote exists."""

from __future__ import annotations

import ast as pyast
import re
from pathlib import Path

import pytest

from compiler import compile_model, loads
from dsl import parse, parse_expression
from dsl.errors import SpecError
from dsl.printer import format_model

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```saddle\n(.*?)```", LANGUAGE, flags=re.S)


def test_the_language_page_has_examples_for_let_scenarios_and_rebalance() -> None:
    joined = "\n".join(EXAMPLES)
    for construct in ("let y[period] =", "scenarios ret[draw, asset] =", "[shock_draw]",
                      "series spread[day, index]", "rebalance every month on day"):
        assert construct in joined, construct


@pytest.mark.parametrize("text", EXAMPLES, ids=lambda t: t.split("\n", 1)[0])
def test_each_example_is_canonical_and_solves(text: str) -> None:
    assert format_model(parse(text)) == text
    result = compile_model(loads(text, "example.saddle")).solve()
    assert result.optimal, result.status


# ---- help sentences quote syntax that exists ----

def _text(node: pyast.AST) -> str | None:
    """A help argument's text; an f-string's fields become the name `Q`."""
    if isinstance(node, pyast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, pyast.JoinedStr):
        return "".join(v.value if isinstance(v, pyast.Constant) else "Q" for v in node.values)
    if isinstance(node, pyast.BinOp) and isinstance(node.op, pyast.Add):
        left, right = _text(node.left), _text(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, pyast.IfExp):
        return " ".join(t for t in (_text(node.body), _text(node.orelse)) if t)
    return None


def _parses(snippet: str) -> bool:
    """A quoted fragment is an expression, a declaration, a constraint, a keyword argument,
    a set's range or a declaration's tail (`in box(lo, hi)`); `...` stands for anything."""
    text = snippet.replace("~ ...", "~ f(x)").replace("...", "x")
    head = 'model m "t"\n'
    attempts = [lambda: parse_expression(text), lambda: parse(head + text + "\n"),
                lambda: parse(head + text + "\n    x <= 1\n"),
                lambda: parse(head + "subject to\n    " + text + "\n"),
                lambda: parse(head + "subject to\n    c: x <= 1\n") if text == "subject to"
                else parse_expression(f"f({text})"),
                lambda: parse(head + f"set s = {text}\n"),
                lambda: parse(head + f"uncertain u {text}\n")]
    for attempt in attempts:
        try:
            attempt()
            return True
        except SpecError:
            continue
    return False


def _quoted_help() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted([*(ROOT / "compiler").rglob("*.py"), *(ROOT / "dsl").rglob("*.py")]):
        for node in pyast.walk(pyast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, pyast.Call) and getattr(node.func, "id", None) == "error"
                    and len(node.args) >= 4):
                continue
            help_text = _text(node.args[3]) or ""
            found += [(str(path.relative_to(ROOT)), node.lineno, snippet)
                      for snippet in re.findall(r"`([^`]+)`", help_text)]
    return found


def test_syntax_quoted_in_help_sentences_parses() -> None:
    quoted = _quoted_help()
    assert len(quoted) > 50  # the scan finds the help sentences
    assert [q for q in quoted if not _parses(q[2])] == []
