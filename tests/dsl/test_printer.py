"""`format_model` (saddle fmt): round trip, idempotence, minimal parentheses, canonical layout."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import dsl
from dsl import ast, parse
from dsl.printer import format_expr, format_model
from dsl.source import synthetic_span

MODELS = Path(__file__).resolve().parents[2] / "models"

TREASURY = '''\
model treasury_rv "Net carry minus costs for a $250M treasury book"

set tenor = ["5Y", "7Y", "10Y", "20Y", "30Y"]

param yield[tenor]     = csv("data/real_yields_2024.csv", row = last,
                             columns = ["5 YR", "7 YR", "10 YR", "20 YR", "30 YR"]) / 100
param repo[tenor]      = [0.0195, 0.0200, 0.0205, 0.0215, 0.0220]
param cost[tenor]      = [0.0010, 0.0015, 0.0020, 0.0025, 0.0030]
param vol[tenor]       = [0.15, 0.17, 0.19, 0.22, 0.25] / 100
param notional         = 50          # $M per unit of weight
param liquidity[tenor] = [100, 90, 80, 60, 50]
param capital          = 250
param cvar_limit       = 3

scenarios shock[1000, tenor] ~ normal(0, 1, seed = 7)

variable w[tenor]                    # long (+) or short (-)

maximize net_spread:
    sum(w * (yield - repo)) - sum(cost * abs(w))

subject to
    capital:   notional * sum(abs(w)) <= capital
    liquidity: notional * abs(w) <= liquidity
    tail_risk: cvar(0.95, -(shock @ (notional * vol * w))) <= cvar_limit
    haircut:   abs(w) >= 0.02                # nonconvex: compiled exactly (mixed-integer)
'''

ROBUST_BOND = '''\
model robust_bond "Luxenberg, Schiele & Boyd (2024): turnover vs worst-case log return"

set bond   = csv("data/bonds.csv").bond
set period = 1..60                                   # half-years
set factor = csv("data/factor_mean.csv").factor

param cashflow[bond, period]  = csv("data/cashflows.csv")
param price[bond]             = csv("data/bonds.csv").price
param precision[factor, factor] = csv("data/factor_precision.csv")
param load_y[period, factor]
param lambda = 10.5
param alpha  = 0.5

variable h[bond] >= 0

uncertain x[factor] in ellipsoid(mean, precision = precision,
                                 radius = sqrt(chi2_quantile(1 - alpha, count(factor))))
let y[period] = load_y @ x
let s[bond]   = load_s @ x

minimize robust_turnover:
    0.5 * norm1(target - h * price)
      - lambda * log_sum_exp(-period * (y + s), weights = h * cashflow)

subject to
    budget: price @ h == 1
'''

EVERYTHING = '''\
model everything
set a = 1..30
set b = csv("x.csv").column
set a2 = a
param p[a] in bp = 200bp
param q in $M = $250M
param r in % = 1.5%
param t = $5 + 50k + 2bn + $1.5k + 1e-06 + 2.5E3
param m = [[1, 2], [3, 4],]
param open[a, a2]
series spread[day, name] in bp = csv("cds.csv", skip = 1,)
scenarios z[1000, a] ~ student_t(0, 1, df = 4, seed = 7)
scenarios boot[500, a] = bootstrap(spread, block = 5)
variable x[a] >= -1 <= 1
variable n[a] integer >= 0
variable S[a, a2] psd symmetric
uncertain u
uncertain v[a] in box(-1, 1)
uncertain c[a, a2] psd:
    trace(c) <= 1
    named: c["1", "2"] == c.T["2", "1"]
let e[a] = -x ^ 2 + (-x) ^ 2 - x ** -2 ^ 3 - (a - b) - (a + b) * c / (d @ e)
minimize obj: e @ e
subject to:
    chained: -1 <= x <= 1
    either: x == 0 or abs(x) >= 0.02 or n >= 3
    x >= -(1 - 2)
    s: "a \\"quoted\\" \\\\ string" == "tab\there"
rebalance every month
rebalance every 5 days on day
'''

# Keywords are contextual: where a keyword cannot stand, the same word is a name.
KEYWORDS = '''\
model model "kw"
variable in
variable x integer >= binary
uncertain u >= in in in:
    or: or == or or in <= 1
    set <= subject
let on = every + model * set - to
param p in in = in
param q[to] in subject = subject
rebalance every on on on
minimize minimize: maximize
subject to
    subject: subject <= to
'''

SLOPPY = '''\
# a comment that fmt keeps
model   m
let e=(( a ))-(b-c)
minimize    o :  e
subject to
  cap:x<=1
'''

CORPUS = {
    "treasury": TREASURY,
    "robust_bond": ROBUST_BOND,
    "everything": EVERYTHING,
    "keywords": KEYWORDS,
    "sloppy": SLOPPY,
    "empty": "",
}

FILES = sorted(MODELS.glob("*.saddle"))
CASES = [pytest.param(text, id=name) for name, text in CORPUS.items()] + [
    pytest.param(path.read_text(encoding="utf-8"), id=f"models/{path.name}") for path in FILES
]


@pytest.mark.parametrize("text", CASES)
def test_round_trip_and_idempotence(text: str) -> None:
    model = parse(text)
    formatted = format_model(model)
    assert parse(formatted) == model
    assert format_model(parse(formatted)) == formatted
    assert formatted == "" or formatted.endswith("\n") and not formatted.endswith("\n\n")


def test_the_corpus_covers_every_node_type() -> None:
    seen: set[type] = set()

    def visit(node: object) -> None:
        if isinstance(node, ast.Node):
            seen.add(type(node))
            for name in node.__dataclass_fields__:
                visit(getattr(node, name))
        elif isinstance(node, tuple):
            for item in node:
                visit(item)

    for text in CORPUS.values():
        visit(parse(text))
    for path in FILES:
        visit(parse(path.read_text(encoding="utf-8")))
    node_types = {cls for cls in vars(ast).values()
                  if isinstance(cls, type) and issubclass(cls, ast.Node)}
    abstract = {ast.Node, ast.Expr, ast.Decl}
    assert node_types - abstract - seen == set()


def test_canonical_layout() -> None:
    # An AST without its source text has no comments to keep: the layout alone.
    bare = dataclasses.replace(parse(TREASURY), span=synthetic_span())
    assert format_model(bare) == '''\
model treasury_rv "Net carry minus costs for a $250M treasury book"

set tenor = ["5Y", "7Y", "10Y", "20Y", "30Y"]

param yield[tenor] = csv("data/real_yields_2024.csv", row = last,
    columns = ["5 YR", "7 YR", "10 YR", "20 YR", "30 YR"]) / 100
param repo[tenor] = [0.0195, 0.02, 0.0205, 0.0215, 0.022]
param cost[tenor] = [0.001, 0.0015, 0.002, 0.0025, 0.003]
param vol[tenor] = [0.15, 0.17, 0.19, 0.22, 0.25] / 100
param notional = 50
param liquidity[tenor] = [100, 90, 80, 60, 50]
param capital = 250
param cvar_limit = 3

scenarios shock[1000, tenor] ~ normal(0, 1, seed = 7)

variable w[tenor]

maximize net_spread:
    sum(w * (yield - repo)) - sum(cost * abs(w))

subject to
    capital: notional * sum(abs(w)) <= capital
    liquidity: notional * abs(w) <= liquidity
    tail_risk: cvar(0.95, -(shock @ (notional * vol * w))) <= cvar_limit
    haircut: abs(w) >= 0.02
'''


def test_sloppy_text_is_normalized_and_comments_are_kept() -> None:
    assert format_model(parse(SLOPPY)) == (
        "# a comment that fmt keeps\n"
        "model m\n"
        "\n"
        "let e = a - (b - c)\n"
        "\n"
        "minimize o:\n"
        "    e\n"
        "\n"
        "subject to\n"
        "    cap: x <= 1\n"
    )


def test_blocks_and_attributes() -> None:
    text = ("uncertain c[a] >= 0 psd in box(lo, hi):\n    named: sum(c) <= 1\n    c <= 2\n"
            "variable n integer >= 0\nrebalance every 1 month\n")
    assert format_model(parse(text)) == (
        "uncertain c[a] >= 0 psd in box(lo, hi):\n"
        "    named: sum(c) <= 1\n"
        "    c <= 2\n"
        "\n"
        "variable n >= 0 integer\n"
        "\n"
        "rebalance every month\n"
    )


@pytest.mark.parametrize(("source", "canonical"), [
    ("a - (b - c)", "a - (b - c)"),
    ("(a - b) - c", "a - b - c"),
    ("a - (b + c)", "a - (b + c)"),
    ("a + (b - c)", "a + (b - c)"),
    ("a / (b * c)", "a / (b * c)"),
    ("(a / b) * c", "a / b * c"),
    ("a * (b @ c)", "a * (b @ c)"),
    ("(a + b) * c", "(a + b) * c"),
    ("-x ^ 2", "-x^2"),
    ("-(x ^ 2)", "-x^2"),
    ("(-x) ^ 2", "(-x)^2"),
    ("x ** -y", "x^-y"),
    ("a ^ (b ^ c)", "a^b^c"),
    ("(a ^ b) ^ c", "(a^b)^c"),
    ("a ^ (b * c)", "a^(b * c)"),
    ("(a * b) ^ c", "(a * b)^c"),
    ("-(a + b)", "-(a + b)"),
    ("-(a * b)", "-(a * b)"),
    ("- -a", "--a"),
    ("a - -b", "a - -b"),
    ("a * -b", "a * -b"),
    ("(a + b)[i]", "(a + b)[i]"),
    ("(-a).T", "(-a).T"),
    ("(a ^ 2)[i]", "(a^2)[i]"),
    ("f(a)[i].x", "f(a)[i].x"),
    ("f((a + b), k = (c))", "f(a + b, k = c)"),
    ("[(a), (b - c)]", "[a, b - c]"),
    ("w[(\"10Y\")]", 'w["10Y"]'),
    ("1.e5", "1.e5"),  # the attribute e5 of the number 1
])
def test_minimal_parentheses(source: str, canonical: str) -> None:
    expr = dsl.parse_expression(source)
    assert format_expr(expr) == canonical
    assert dsl.parse_expression(canonical) == expr


@pytest.mark.parametrize(("node", "text"), [
    (ast.Number(value=7), "7"),
    (ast.Number(value=7.0), "7.0"),
    (ast.Number(value=1e-06), "1e-06"),
    (ast.Number(value=1e16), "1e+16"),
    (ast.Quantity(value=200, unit="bp"), "200bp"),
    (ast.Quantity(value=1.5, unit="%"), "1.5%"),
    (ast.Quantity(value=250, unit="$M"), "$250M"),
    (ast.Quantity(value=5, unit="$"), "$5"),
    (ast.Quantity(value=1e-06, unit="k"), "1e-06k"),
    (ast.String(value='say "hi" \\ bye'), '"say \\"hi\\" \\\\ bye"'),
    (ast.Call(func="f", args=(ast.Name(name="x"),),
              kwargs=(ast.Keyword(name="k", value=ast.Number(value=1)),)), "f(x, k = 1)"),
    (ast.ListLit(items=()), "[]"),
])
def test_literals(node: ast.Expr, text: str) -> None:
    assert format_expr(node) == text
    assert dsl.parse_expression(text) == node


def test_an_infinite_number_prints_but_is_no_literal() -> None:
    """A literal too large for a float is E100 (issue 10), so only an AST built in Python
    holds an infinity; the printer still writes one, as text that says what it was."""
    assert format_expr(ast.Number(value=float("inf"))) == "1e999"
    with pytest.raises(dsl.SpecError) as info:
        dsl.parse_expression("1e999")
    assert info.value.codes == ["E100"]


def test_package_level_format_model() -> None:
    model = parse(ROBUST_BOND)
    assert dsl.format_model(model) == format_model(model)


# ==== comments (taken from the source text, not the AST) ====

COMMENTED = '''# header comment
model m "doc"  # after the header

# about the sets
set s = ["a", "b"]  # two labels
param p[s] = [1,  # inside a list: moves above
              2]
variable x[s]
minimize o:
    sum(p * x)  # the objective
subject to
    # a limit
    cap: x <= 1  # per label
    floor: x >= "#not a comment" == "x"
'''


def test_comments_survive_formatting() -> None:
    text = format_model(parse(COMMENTED))
    for comment in ("# header comment", "# after the header", "# about the sets",
                    "# two labels", "# inside a list: moves above", "# the objective",
                    "# a limit", "# per label"):
        assert comment in text, comment
    assert 'set s = ["a", "b"]  # two labels' in text
    assert '    # a limit\n    cap: x <= 1  # per label' in text
    assert "# inside a list: moves above\nparam p[s] = [1, 2]" in text
    assert text.count("#not a comment") == 1  # a '#' inside a string is not a comment


def test_formatting_with_comments_is_idempotent_and_keeps_the_ast() -> None:
    once = format_model(parse(COMMENTED))
    assert format_model(parse(once)) == once
    assert parse(once) == parse(COMMENTED)
