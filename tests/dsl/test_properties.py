"""Hypothesis properties of the syntax package.

(a) AST round trip: random ASTs -> `format_model` -> `parse` gives the same AST.
(b) Grammar fuzz: texts generated from the grammar by `from_lark` either parse or raise a
    `SpecError` whose spans lie inside the text. The layout post-lexer's tokens (_NL,
    _INDENT, _DEDENT) have no text of their own: they are generated as marker strings and a
    post-processing step turns them into newlines with a consistent indentation.
(c) Mutation fuzz: one character deleted, inserted or replaced in a valid model text; the
    same property as (b).
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from dsl import CODES, SpecError, ast, parse
from dsl.parser import build_parser
from dsl.printer import format_model

MODELS = Path(__file__).resolve().parents[2] / "models"

KEYWORDS = {
    "model", "set", "param", "series", "scenarios", "variable", "uncertain", "let",
    "minimize", "maximize", "subject", "rebalance", "every", "on", "in", "or",
    "integer", "binary", "nonneg", "nonpos", "psd", "symmetric",
}
FLAGS = ["integer", "binary", "nonneg", "nonpos", "psd", "symmetric"]
LITERAL_UNITS = ["bp", "%", "k", "M", "bn", "$", "$k", "$M", "$bn"]
DECLARED_UNITS = ["bp", "%", "$", "$k", "$M", "$bn", "usd", "years"]


def check_parse(text: str) -> None:
    """`parse` succeeds or raises SpecError with located diagnostics; nothing else escapes."""
    try:
        parse(text, "fuzz.saddle")
    except SpecError as exc:
        assert exc.diagnostics
        for diagnostic in exc.diagnostics:
            span = diagnostic.span
            assert diagnostic.code in CODES
            assert span.source.text == text
            assert 0 <= span.start <= span.end <= len(text), (span, len(text))
            assert 1 <= span.line <= span.end_line
            assert diagnostic.help
        assert str(exc).startswith("fuzz.saddle:")


# ==== (a) AST round trip ====

names = st.from_regex(r"[A-Za-z_][A-Za-z_0-9]{0,5}", fullmatch=True).filter(
    lambda s: s not in KEYWORDS)
numbers = st.one_of(
    st.integers(min_value=0, max_value=10**30),
    st.floats(min_value=0.0, allow_nan=False, allow_infinity=False),  # 1e999 is E100
)
strings = st.text(st.characters(codec="utf-8", exclude_characters="\n"),
                  max_size=8)

leaves = st.one_of(
    st.builds(ast.Number, value=numbers),
    st.builds(ast.Quantity, value=numbers, unit=st.sampled_from(LITERAL_UNITS)),
    st.builds(ast.String, value=strings),
    st.builds(ast.Name, name=names),
)


def _compound(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    keywords = st.builds(ast.Keyword, name=names, value=children)
    return st.one_of(
        st.builds(ast.BinOp, op=st.sampled_from(ast.BinOperator), left=children,
                  right=children),
        st.builds(ast.Neg, operand=children),
        st.builds(ast.Call, func=names, args=st.lists(children, max_size=3).map(tuple),
                  kwargs=st.lists(keywords, max_size=2).map(tuple)),
        st.builds(ast.ListLit, items=st.lists(children, max_size=3).map(tuple)),
        st.builds(ast.Index, base=children,
                  labels=st.lists(children, min_size=1, max_size=2).map(tuple)),
        st.builds(ast.Attribute, base=children, name=names),
    )


exprs = st.recursive(leaves, _compound, max_leaves=12)
calls = st.builds(ast.Call, func=names, args=st.lists(exprs, max_size=3).map(tuple),
                  kwargs=st.lists(st.builds(ast.Keyword, name=names, value=exprs),
                                  max_size=2).map(tuple))
comparisons = st.integers(min_value=1, max_value=3).flatmap(lambda k: st.builds(
    ast.Comparison, terms=st.lists(exprs, min_size=k + 1, max_size=k + 1).map(tuple),
    ops=st.lists(st.sampled_from(ast.Relation), min_size=k, max_size=k).map(tuple)))
conditions = st.one_of(comparisons, st.builds(
    ast.Disjunction, options=st.lists(comparisons, min_size=2, max_size=3).map(tuple)))
constraint_lines = st.builds(ast.ConstraintDecl, name=st.none() | names, condition=conditions)

index_names = st.lists(names | st.integers(1, 999).map(str), max_size=3).map(tuple)
dims = st.lists(names | st.integers(1, 10**6), min_size=1, max_size=3).map(tuple)
units = st.none() | st.sampled_from(DECLARED_UNITS)
bounds = st.lists(st.builds(ast.Bound, relation=st.sampled_from([ast.Relation.GE,
                                                                 ast.Relation.LE]),
                            value=exprs), max_size=2).map(tuple)
flags = st.lists(st.sampled_from(FLAGS), max_size=2).map(tuple)

declarations = st.one_of(
    st.builds(ast.ModelDecl, name=names, doc=st.none() | strings),
    st.builds(ast.SetDecl, name=names,
              value=exprs | st.builds(ast.Range, start=exprs, stop=exprs)),
    st.builds(ast.ParamDecl, name=names, index=index_names, unit=units,
              value=st.none() | exprs),
    st.builds(ast.SeriesDecl, name=names, index=index_names.filter(bool), unit=units,
              value=exprs),
    st.builds(ast.ScenariosDecl, name=names, dims=dims, sampler=calls),
    st.builds(ast.ScenariosDecl, name=names, dims=dims, value=exprs),
    st.builds(ast.VariableDecl, name=names, index=index_names, unit=units, bounds=bounds,
              flags=flags),
    st.builds(ast.UncertainDecl, name=names, index=index_names, bounds=bounds, flags=flags,
              set_expr=st.none() | exprs,
              constraints=st.lists(constraint_lines, max_size=3).map(tuple)),
    st.builds(ast.LetDecl, name=names, index=index_names, value=exprs),
    st.builds(ast.ObjectiveDecl, name=names, sense=st.sampled_from(ast.Sense), expr=exprs),
    st.builds(ast.ConstraintsDecl,
              constraints=st.lists(constraint_lines, min_size=1, max_size=3).map(tuple)),
    st.builds(ast.RebalanceDecl, every=names, count=st.integers(1, 1000),
              on=st.none() | names),
)
models = st.builds(ast.Model, decls=st.lists(declarations, max_size=6).map(tuple))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models)
def test_ast_round_trip(model: ast.Model) -> None:
    text = format_model(model)
    assert parse(text) == model
    assert format_model(parse(text)) == text


# ==== (b) grammar fuzz ====

INDENT, DEDENT = "\x01", "\x02"
_NEWLINE = re.compile(r"\n[\x01\x02 \t\f]*")


def _layout(raw: str) -> str:
    """Give every newline the indentation its _INDENT/_DEDENT markers ask for."""
    depth = 0

    def newline(match: re.Match[str]) -> str:
        nonlocal depth
        marks = match.group()
        depth = max(0, depth + marks.count(INDENT) - marks.count(DEDENT))
        return "\n" + "    " * depth

    return _NEWLINE.sub(newline, raw).replace(INDENT, "").replace(DEDENT, "")


def _grammar_texts() -> st.SearchStrategy[str]:
    parser = build_parser("start", use_cache=False)  # the cached one has no .grammar
    explicit: dict[str, st.SearchStrategy[str]] = {
        "_NL": st.sampled_from(["\n", "\n\n", "  # note\n", "\n# note\n"]),
        "_INDENT": st.just(INDENT),
        "_DEDENT": st.just(DEDENT),
        # Pad names and keywords, or generated tokens fuse (`variablex`; hypothesis#1804).
        "NAME": st.from_regex(r"[A-Za-z_][A-Za-z_0-9]{0,4}", fullmatch=True).map(
            lambda s: f" {s} "),
        "SENSE": st.sampled_from([" minimize ", " maximize "]),
        "FLAG": st.sampled_from(FLAGS).map(lambda s: f" {s} "),
        # An ignored comment dropped mid-line would comment out the rest of it; _NL above
        # already generates comments where they can be.
        "COMMENT": st.just(" "),
    }
    for terminal in parser.terminals:
        pattern = terminal.pattern
        if pattern.type == "str" and pattern.value.isidentifier():
            explicit[terminal.name] = st.just(f" {pattern.value} ")
    return from_lark(parser, explicit=explicit).map(_layout)


@settings(deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
@given(_grammar_texts())
def test_grammar_fuzz(text: str) -> None:
    check_parse(text)


def test_grammar_fuzz_generates_valid_models() -> None:
    """The layout step makes most generated texts real models, so the fuzz reaches deep."""
    parsed = 0
    total = 0

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.data_too_large])
    @given(_grammar_texts())
    def count(text: str) -> None:
        nonlocal parsed, total
        total += 1
        try:
            parse(text)
        except SpecError:
            return
        parsed += 1

    count()
    assert parsed >= total // 3, (parsed, total)


# ==== (c) mutation fuzz ====

SEEDS = [
    'model treasury_rv "Net carry for a $250M book"\n'
    'set tenor = ["5Y", "10Y"]\n'
    "set t = 1..30\n"
    'param yield[tenor] in % = csv("y.csv", row = last,\n'
    '                             columns = ["5 YR", "10 YR"]) / 100\n'
    "param notional = 50   # $M\n"
    "param haircut in bp = 200bp\n"
    "series spread[day, name] = csv(\"cds.csv\")\n"
    "scenarios shock[1000, tenor] ~ normal(0, 1, seed = 7)\n"
    "variable w[tenor] >= -1 <= 1 integer\n"
    "uncertain u[tenor] in box(-1, 1):\n"
    "    total: sum(u) <= 1.5%\n"
    "    u >= -$5M\n"
    "let e[tenor] = -w ^ 2 ** x\n"
    "maximize net:\n"
    "    sum(w * (yield - repo))\n"
    "      - sum(cost * abs(w))\n"
    "subject to\n"
    "    cap: -1 <= sum(abs(w)) <= capital\n"
    '    pick: w["10Y"] == 0 or abs(w) >= 0.02\n'
    "    w.T @ w <= 1e-06\n"
    "rebalance every 5 days on day\n",
    "model m\nvariable x\nminimize o: x\nsubject to:\n\tcap: x <= 1 # tab\n\n\tx >= 0\n",
]
SEEDS += [path.read_text(encoding="utf-8") for path in sorted(MODELS.glob("*.saddle"))]

INTERESTING = list(" \t\n\r\x0c:#\"\\$%.,()[]=<>-+*/@^~_0e٣") + ["\u2028", "\x00"]


@st.composite
def mutants(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    position = draw(st.integers(min_value=0, max_value=len(text)))
    char = draw(st.sampled_from(INTERESTING) | st.characters(codec="utf-8"))
    action = draw(st.sampled_from(["delete", "insert", "replace"]))
    if action == "insert":
        return text[:position] + char + text[position:]
    if action == "delete":
        return text[:position] + text[position + 1:]
    return text[:position] + char + text[position + 1:]


def test_seeds_are_valid() -> None:
    for text in SEEDS:
        parse(text)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutants())
def test_mutation_fuzz(text: str) -> None:
    check_parse(text)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.integers(min_value=0))
def test_truncation_fuzz(text: str, cut: int) -> None:
    check_parse(text[: cut % (len(text) + 1)])
