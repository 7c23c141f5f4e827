"""What the language server computes, in process: diagnostics' ranges, the name under the
cursor (UTF-16 positions), hover facts and definitions (compiler/editor)."""

from __future__ import annotations

from compiler.editor.document import analyze
from compiler.editor.navigation import completions, definition, hover, word_at

MODEL = """model m "nav"  # 📈 a comment with an emoji outside the BMP
set tenor = ["5Y", "10Y"]
param rate[tenor] in bp = [100, 250]
scenarios shock[3, tenor] ~ normal(0, 1, seed = 1)
variable w[tenor] >= 0
let carry[tenor] = w * rate   # per tenor
maximize total: sum(carry)
subject to
    budget: sum(w) <= 1
"""


def test_a_valid_model_has_no_problems_and_binds() -> None:
    analysis = analyze(MODEL, None)
    assert analysis.problems == [] and analysis.bindings is not None


def test_positions_count_utf16_units_after_an_emoji() -> None:
    text = 'model m "x"  # 📈 sum\nvariable w'
    # the emoji is two UTF-16 units: the comment's 'sum' starts at 17, not 16
    assert word_at(text, 0, 2) == ("model", ((0, 0), (0, 5)))
    assert word_at(text, 0, 18) is None  # inside the comment
    row = '    budget: "📈" + rate'
    assert word_at(row, 0, len(row) + 1) == ("rate", ((0, len(row) - 3), (0, len(row) + 1)))


def test_a_diagnostic_range_after_an_emoji_is_in_utf16_units() -> None:
    text = 'model m "📈"\nvariable w\nmaximize r: w + "📈" + nope\n'
    analysis = analyze(text, None)
    (problem,) = analysis.problems
    assert problem.code == "E201"
    start = text.split("\n")[2].index("nope") + 1  # +1: the emoji's second unit
    assert problem.range == ((2, start), (2, start + 4))


def test_hover_on_a_let_says_its_index_and_on_scenarios_its_draw_set() -> None:
    analysis = analyze(MODEL, None)
    line = MODEL.split("\n").index("maximize total: sum(carry)")
    text, _ = hover(analysis, line, len("maximize total: sum(ca"))
    assert "let carry[tenor] = w * rate" in text and "index [tenor]" in text
    text, _ = hover(analysis, 3, len("scenarios sh"))
    assert "shape (3, 2) (shock_draw 3 × tenor 2)" in text
    text, _ = hover(analysis, 2, len("param ra"))
    assert "5Y: 0.01, 10Y: 0.025" in text and "read from bp as decimals" in text


def test_definition_of_a_constraint_a_set_and_nothing() -> None:
    analysis = analyze(MODEL, None)
    assert definition(analysis, 2, len("param rate[te")) == ((1, 4), (1, 9))
    assert definition(analysis, 6, len("maxim")) is None  # a keyword
    budget = MODEL.split("\n").index("    budget: sum(w) <= 1")
    assert definition(analysis, budget, 6) == ((budget, 4), (budget, 10))
    text, _ = hover(analysis, budget, 6)
    assert "budget: sum(w) <= 1" in text and "one scalar row" in text


def test_names_stay_known_from_the_last_text_that_parsed() -> None:
    broken = analyze(MODEL + "subject to x:\n", None)
    assert broken.model is None and broken.problems[0].code.startswith("E1")
    names = {c.label for c in completions(analyze(MODEL, None))}
    assert {"tenor", "rate", "shock", "w", "carry", "total", "budget", "sum"} <= names
