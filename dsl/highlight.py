"""Syntax highlighting of `.saddle` files: a Pygments lexer and a TextMate grammar.

Both are built from `dsl/grammar.lark` itself (its keyword literals, its FLAG and SENSE
terminals and the token patterns below, which the tests compare with the grammar's), so
highlighting cannot drift from the language. Pygments finds the lexer through the
`pygments.lexers` entry point: `pygmentize -l saddle models/treasury.saddle`, and Sphinx,
MkDocs and Jupyter highlight ```saddle blocks. `python -m dsl.highlight` prints the
TextMate grammar that `editors/vscode/syntaxes/saddle.tmLanguage.json` holds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

GRAMMAR = Path(__file__).with_name("grammar.lark")


def _terminal(grammar: str, name: str) -> str:
    """The right-hand side of terminal `name` in the grammar (a test fails without it)."""
    found = re.search(rf"^{name}:(.*)$", grammar, re.M)
    if found is None:
        raise LookupError(f"dsl/grammar.lark has no terminal {name}")
    return found.group(1)


def _grammar_words() -> tuple[list[str], list[str], list[str]]:
    """(declaration keywords, flags, senses) as the grammar spells them."""
    text = GRAMMAR.read_text(encoding="utf-8")
    literals = set(re.findall(r'"([a-z]+)"', text))
    flags = re.findall(r'"([a-z]+)"', _terminal(text, "FLAG"))
    senses = re.findall(r'"([a-z]+)"', _terminal(text, "SENSE"))
    keywords = sorted(literals - set(flags) - set(senses)) + ["subject to"]
    return keywords, flags, senses


KEYWORDS, FLAGS, SENSES = _grammar_words()
# The number-like terminals of grammar.lark (NUMBER, QUANTITY, MONEY), as one pattern each.
NUMBER = r"\d+(\.\d+)?([eE][+-]?\d+)?"
QUANTITY = NUMBER + r"(bp|%|k|M|bn)(?![A-Za-z_0-9])"
MONEY = r"\$" + NUMBER + r"(k|M|bn)?(?![A-Za-z_0-9])"
DOLLAR_UNIT = r"\$(k|M|bn)?(?![A-Za-z_0-9])"
STRING = r'"([^"\\\n]|\\.)*"'
NAME = r"[A-Za-z_][A-Za-z_0-9]*"
OPERATORS = r"(<=|>=|==|\*\*|\.\.|[-+*/@^~=])"


class SaddleLexer(RegexLexer):
    """Saddle model files (`.saddle`)."""

    name = "Saddle"
    aliases = ["saddle"]
    filenames = ["*.saddle"]
    mimetypes = ["text/x-saddle"]
    url = "https://pypi.org/project/saddle-lang/"

    tokens = {
        "root": [
            (r"[ \t\f]+", Whitespace),
            (r"\r?\n", Whitespace),
            (r"\\[ \t\f]*\r?\n", Text),
            (r"#[^\n]*", Comment.Single),
            (STRING, String.Double),
            (r"subject[ \t]+to(?![A-Za-z_0-9])", Keyword),
            (words(SENSES, suffix=r"(?![A-Za-z_0-9])"), Keyword.Declaration),
            (words([k for k in KEYWORDS if " " not in k], suffix=r"(?![A-Za-z_0-9])"),
             Keyword),
            (words(FLAGS, suffix=r"(?![A-Za-z_0-9])"), Keyword.Type),
            (MONEY, Number.Float),
            (QUANTITY, Number.Float),
            (DOLLAR_UNIT, Keyword.Type),
            (NUMBER, Number),
            (r"(" + NAME + r")([ \t]*)(\()", bygroups(Name.Builtin, Whitespace, Punctuation)),
            (NAME + r"(?=[ \t]*:(?!=))", Name.Label),
            (NAME, Name),
            (OPERATORS, Operator),
            (r"%", Keyword.Type),
            (r"[()\[\],.:]", Punctuation),
        ],
    }


def textmate_grammar() -> dict[str, Any]:
    """The TextMate grammar (VS Code, Sublime, GitHub's linguist) from the same lists."""
    def alternatives(items: list[str]) -> str:
        return "|".join(re.escape(i).replace(r"\ ", r"[ \t]+") for i in items)

    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/"
                   "tmlanguage.json",
        "name": "Saddle",
        "scopeName": "source.saddle",
        "fileTypes": ["saddle"],
        "patterns": [
            {"name": "comment.line.number-sign.saddle", "match": "#.*$"},
            {"name": "string.quoted.double.saddle", "match": STRING},
            {"name": "keyword.control.saddle",
             "match": rf"\b({alternatives(KEYWORDS)})\b"},
            {"name": "storage.type.sense.saddle", "match": rf"\b({alternatives(SENSES)})\b"},
            {"name": "storage.modifier.saddle", "match": rf"\b({alternatives(FLAGS)})\b"},
            {"name": "constant.numeric.money.saddle", "match": MONEY},
            {"name": "constant.numeric.quantity.saddle", "match": QUANTITY},
            {"name": "constant.numeric.saddle", "match": NUMBER},
            {"name": "support.function.saddle", "match": rf"\b{NAME}(?=\s*\()"},
            {"name": "entity.name.label.saddle", "match": rf"^\s*{NAME}(?=\s*:)"},
            {"name": "keyword.operator.saddle", "match": OPERATORS},
        ],
    }


def main() -> None:
    print(json.dumps(textmate_grammar(), indent=2))


if __name__ == "__main__":
    main()
