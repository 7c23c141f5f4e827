"""Highlighting follows the grammar: every shipped model lexes with no error token, the
keywords are the grammar's, and the editors' TextMate grammar is the generated one."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Error, Keyword, Name, Number

from dsl.highlight import GRAMMAR, KEYWORDS, SaddleLexer, textmate_grammar

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "models").glob("*.saddle")) + sorted(
    (ROOT / "tests" / "golden" / "invalid").glob("E3*.saddle"))


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
def test_every_shipped_model_lexes_without_error_tokens(path):
    tokens = list(SaddleLexer().get_tokens(path.read_text(encoding="utf-8")))
    errors = [value for kind, value in tokens if kind in Error]
    assert not errors, errors
    assert "".join(value for _, value in tokens).rstrip("\n") == \
        path.read_text(encoding="utf-8").rstrip("\n")


def test_the_lexer_is_registered_with_pygments():
    assert isinstance(get_lexer_by_name("saddle"), SaddleLexer)
    assert isinstance(get_lexer_for_filename("treasury.saddle"), SaddleLexer)


def test_pygmentize_highlights_a_model_as_a_process():
    pygmentize = Path(sys.executable).with_name("pygmentize")
    done = subprocess.run([str(pygmentize), "-l", "saddle", "-f", "html",
                           str(ROOT / "models" / "treasury.saddle")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '<span class="k">subject to</span>' in done.stdout
    assert '<span class="nb">cvar</span>' in done.stdout


def test_keywords_are_the_grammars_words():
    literals = set(re.findall(r'"([a-z]+)"', GRAMMAR.read_text(encoding="utf-8")))
    assert set(KEYWORDS) - {"subject to"} <= literals
    for word in ("model", "set", "param", "variable", "uncertain", "let", "rebalance", "in"):
        assert word in KEYWORDS


def test_kinds_of_tokens():
    text = ('param cost[tenor] in bp = [10, 15]  # costs\nmaximize o: sum(w)\n'
            "variable w[tenor] integer >= 0\nparam c = $250M\n")
    kinds = {value: kind for kind, value in SaddleLexer().get_tokens(text)}
    assert kinds["param"] in Keyword and kinds["maximize"] in Keyword
    assert kinds["sum"] in Name.Builtin and kinds["integer"] in Keyword
    assert kinds["$250M"] in Number and kinds["o"] in Name.Label


def test_the_editors_textmate_grammar_is_the_generated_one():
    path = ROOT / "editors" / "vscode" / "syntaxes" / "saddle.tmLanguage.json"
    shipped = json.loads(path.read_text(encoding="utf-8"))
    assert shipped == textmate_grammar()
    for rule in shipped["patterns"]:
        re.compile(rule["match"])  # every pattern is a valid regular expression
