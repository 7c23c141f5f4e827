"""Small inline models -> exact AST equality (spans are excluded from equality)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dsl import SpecError, ast, parse, parse_expression
from dsl.depth import deep_stack

B = ast.BinOperator
R = ast.Relation


# ---- tiny constructors, so expected trees read like the source ----


def n(name: str) -> ast.Name:
    return ast.Name(name=name)


def num(value: int | float) -> ast.Number:
    return ast.Number(value=value)


def s(value: str) -> ast.String:
    return ast.String(value=value)


def q(value: int | float, unit: str) -> ast.Quantity:
    return ast.Quantity(value=value, unit=unit)


def bop(op: ast.BinOperator, left: ast.Expr, right: ast.Expr) -> ast.BinOp:
    return ast.BinOp(op=op, left=left, right=right)


def neg(operand: ast.Expr) -> ast.Neg:
    return ast.Neg(operand=operand)


def call(func: str, *args: ast.Expr, **kwargs: ast.Expr) -> ast.Call:
    return ast.Call(func=func, args=args,
                    kwargs=tuple(ast.Keyword(name=k, value=v) for k, v in kwargs.items()))


def lst(*items: ast.Expr) -> ast.ListLit:
    return ast.ListLit(items=items)


def cmp(*parts: ast.Expr | ast.Relation) -> ast.Comparison:
    terms = tuple(p for p in parts if isinstance(p, ast.Expr))
    ops = tuple(p for p in parts if isinstance(p, ast.Relation))
    return ast.Comparison(terms=terms, ops=ops)


def con(name: str | None, condition: ast.Condition) -> ast.ConstraintDecl:
    return ast.ConstraintDecl(name=name, condition=condition)


def decls(text: str) -> tuple[ast.Declaration, ...]:
    return parse(text).decls


def one(text: str) -> ast.Declaration:
    (decl,) = decls(text)
    return decl


def expr(text: str) -> ast.Expr:
    decl = one(f"let e = {text}\n")
    assert isinstance(decl, ast.LetDecl)
    return decl.value


# ---- header, sets, params, series, scenarios ----


def test_empty_model() -> None:
    assert parse("") == ast.Model(decls=())
    assert parse("\n\n# only a comment\n") == ast.Model(decls=())


def test_model_header() -> None:
    assert one('model treasury "Net carry, \\"quoted\\" and \\\\"\n') == ast.ModelDecl(
        name="treasury", doc='Net carry, "quoted" and \\')
    assert one("model bare") == ast.ModelDecl(name="bare", doc=None)
    assert parse("model m").name == "m"


def test_sets() -> None:
    assert decls(
        'set tenor = ["5Y", "10Y",]\n'
        "set period = 1..60\n"
        'set bond = csv("data/bonds.csv").bond\n'
        "set asset2 = asset\n"
    ) == (
        ast.SetDecl(name="tenor", value=lst(s("5Y"), s("10Y"))),
        ast.SetDecl(name="period", value=ast.Range(start=num(1), stop=num(60))),
        ast.SetDecl(name="bond",
                    value=ast.Attribute(base=call("csv", s("data/bonds.csv")), name="bond")),
        ast.SetDecl(name="asset2", value=n("asset")),
    )


def test_params() -> None:
    assert decls(
        "param repo[tenor] = [0.0195, 0.02]\n"
        "param gamma = 0.5\n"
        "param spread[tenor] in bp = 200bp\n"
        "param capital in $M = $250M\n"
        "param weight in % = 1.5%\n"
        "param cov[asset, asset2]\n"
        "param m = [[1, 2], [3, 4]]\n"
    ) == (
        ast.ParamDecl(name="repo", index=("tenor",), value=lst(num(0.0195), num(0.02))),
        ast.ParamDecl(name="gamma", value=num(0.5)),
        ast.ParamDecl(name="spread", index=("tenor",), unit="bp", value=q(200, "bp")),
        ast.ParamDecl(name="capital", unit="$M", value=q(250, "$M")),
        ast.ParamDecl(name="weight", unit="%", value=q(1.5, "%")),
        ast.ParamDecl(name="cov", index=("asset", "asset2"), value=None),
        ast.ParamDecl(name="m", value=lst(lst(num(1), num(2)), lst(num(3), num(4)))),
    )


def test_param_csv_with_keywords_over_two_lines() -> None:
    text = ('param yield[tenor] = csv("y.csv", row = last,\n'
            '                         columns = ["5 YR", "7 YR"]) / 100\n')
    assert one(text) == ast.ParamDecl(
        name="yield", index=("tenor",),
        value=bop(B.DIV, call("csv", s("y.csv"), row=n("last"),
                              columns=lst(s("5 YR"), s("7 YR"))), num(100)))


def test_series() -> None:
    assert one('series spread[day, index] in bp = csv("cds.csv")\n') == ast.SeriesDecl(
        name="spread", index=("day", "index"), unit="bp", value=call("csv", s("cds.csv")))


def test_scenarios() -> None:
    assert decls(
        "scenarios shock[1000, tenor] ~ normal(0, 1, seed = 7)\n"
        "scenarios z[500, asset] = bootstrap(returns, block = 5)\n"
    ) == (
        ast.ScenariosDecl(name="shock", dims=(1000, "tenor"),
                          sampler=call("normal", num(0), num(1), seed=num(7))),
        ast.ScenariosDecl(name="z", dims=(500, "asset"),
                          value=call("bootstrap", n("returns"), block=num(5))),
    )


# ---- variables, uncertain, let, objectives, constraints, rebalance ----


def test_variables() -> None:
    assert decls(
        "variable t\n"
        "variable w[tenor]\n"
        "variable h[bond] >= 0\n"
        "variable n[asset] integer >= -5 <= 5\n"
        "variable S[asset, asset2] psd symmetric\n"
    ) == (
        ast.VariableDecl(name="t"),
        ast.VariableDecl(name="w", index=("tenor",)),
        ast.VariableDecl(name="h", index=("bond",),
                         bounds=(ast.Bound(relation=R.GE, value=num(0)),)),
        ast.VariableDecl(name="n", index=("asset",), flags=("integer",),
                         bounds=(ast.Bound(relation=R.GE, value=neg(num(5))),
                                 ast.Bound(relation=R.LE, value=num(5)))),
        ast.VariableDecl(name="S", index=("asset", "asset2"), flags=("psd", "symmetric")),
    )


def test_uncertain_in_set() -> None:
    assert decls(
        "uncertain u\n"
        "uncertain x[factor] in ellipsoid(mean, precision = precision, radius = 2)\n"
    ) == (
        ast.UncertainDecl(name="u"),
        ast.UncertainDecl(name="x", index=("factor",),
                          set_expr=call("ellipsoid", n("mean"), precision=n("precision"),
                                        radius=num(2))),
    )


def test_uncertain_block() -> None:
    text = (
        "uncertain r[asset] >= 0:\n"
        "    total: sum(r) <= 1\n"
        "    r <= 0.1\n"
        "variable w[asset]\n"
    )
    assert decls(text) == (
        ast.UncertainDecl(
            name="r", index=("asset",), bounds=(ast.Bound(relation=R.GE, value=num(0)),),
            constraints=(con("total", cmp(call("sum", n("r")), R.LE, num(1))),
                         con(None, cmp(n("r"), R.LE, num(0.1))))),
        ast.VariableDecl(name="w", index=("asset",)),
    )


def test_uncertain_with_set_and_block() -> None:
    assert one("uncertain u[s] in box(lo, hi):\n    sum(u) == 0\n") == ast.UncertainDecl(
        name="u", index=("s",), set_expr=call("box", n("lo"), n("hi")),
        constraints=(con(None, cmp(call("sum", n("u")), R.EQ, num(0))),))


def test_let() -> None:
    assert one("let y[period] = load_y @ x\n") == ast.LetDecl(
        name="y", index=("period",), value=bop(B.MATMUL, n("load_y"), n("x")))


def test_objective_inline_and_block() -> None:
    inline = one("minimize risk: sum_squares(w)\n")
    block = one("minimize risk:\n    sum_squares(w)\n")
    expected = ast.ObjectiveDecl(name="risk", sense=ast.Sense.MINIMIZE,
                                 expr=call("sum_squares", n("w")))
    assert inline == block == expected
    assert one("maximize carry: x") == ast.ObjectiveDecl(
        name="carry", sense=ast.Sense.MAXIMIZE, expr=n("x"))


def test_continuation_line() -> None:
    text = (
        "minimize robust_turnover:\n"
        "    0.5 * norm1(target - h * price)\n"
        "      - lambda * log_sum_exp(-period * (y + s), weights = h * cashflow)\n"
    )
    assert one(text) == ast.ObjectiveDecl(
        name="robust_turnover", sense=ast.Sense.MINIMIZE,
        expr=bop(B.SUB,
                 bop(B.MUL, num(0.5),
                     call("norm1", bop(B.SUB, n("target"), bop(B.MUL, n("h"), n("price"))))),
                 bop(B.MUL, n("lambda"),
                     call("log_sum_exp",
                          bop(B.MUL, neg(n("period")), bop(B.ADD, n("y"), n("s"))),
                          weights=bop(B.MUL, n("h"), n("cashflow"))))))
    # a continuation at the top level, outside any block
    assert one("param p = 1 +\n    2\n") == ast.ParamDecl(name="p",
                                                        value=bop(B.ADD, num(1), num(2)))


def test_subject_to() -> None:
    text = (
        "subject to\n"
        "    capital: notional * sum(abs(w)) <= capital\n"
        "    band: -1 <= w <= 1\n"
        "    haircut: w == 0 or abs(w) >= 0.02 or w >= 1\n"
        "    sum(w) == 0\n"
    )
    assert one(text) == ast.ConstraintsDecl(constraints=(
        con("capital", cmp(bop(B.MUL, n("notional"), call("sum", call("abs", n("w")))),
                           R.LE, n("capital"))),
        con("band", cmp(neg(num(1)), R.LE, n("w"), R.LE, num(1))),
        con("haircut", ast.Disjunction(options=(
            cmp(n("w"), R.EQ, num(0)),
            cmp(call("abs", n("w")), R.GE, num(0.02)),
            cmp(n("w"), R.GE, num(1))))),
        con(None, cmp(call("sum", n("w")), R.EQ, num(0))),
    ))
    # `subject to:` with a colon is the same section
    assert one("subject to:\n    a: x <= 1\n") == one("subject to\n    a: x <= 1\n")


def test_rebalance() -> None:
    assert decls(
        "rebalance every month\n"
        "rebalance every 5 days on day\n"
        "rebalance every 1 quarter\n"
    ) == (
        ast.RebalanceDecl(every="month"),
        ast.RebalanceDecl(every="days", count=5, on="day"),
        ast.RebalanceDecl(every="quarter", count=1),
    )


def test_comments_and_blank_lines_are_ignored() -> None:
    text = (
        "# header comment\n"
        "model m   # trailing\n"
        "\n"
        "   # indented comment\n"
        "subject to   # here too\n"
        "    # inside the block\n"
        "    a: x <= 1   # after\n"
        "\n"
        "    b: x >= 0\n"
    )
    assert decls(text) == (
        ast.ModelDecl(name="m"),
        ast.ConstraintsDecl(constraints=(con("a", cmp(n("x"), R.LE, num(1))),
                                         con("b", cmp(n("x"), R.GE, num(0))))),
    )


def test_keywords_are_contextual() -> None:
    # Keywords of other positions are ordinary names inside expressions.
    assert one("let e = in * or + integer\n") == ast.LetDecl(
        name="e", value=bop(B.ADD, bop(B.MUL, n("in"), n("or")), n("integer")))


# ---- expressions ----


@pytest.mark.parametrize(("text", "tree"), [
    ("200bp", q(200, "bp")),
    ("1.5%", q(1.5, "%")),
    ("50k", q(50, "k")),
    ("2bn", q(2, "bn")),
    ("$250M", q(250, "$M")),
    ("$5", q(5, "$")),
    ("$1.5k", q(1.5, "$k")),
    ("1e-06", num(1e-06)),
    ("2.5E3", num(2500.0)),
    ("7", num(7)),
    ('"a\\"b"', s('a"b')),
    ('w["10Y"]', ast.Index(base=n("w"), labels=(s("10Y"),))),
    ("cov[i, j]", ast.Index(base=n("cov"), labels=(n("i"), n("j")))),
    ("csv(\"b.csv\").price[1]", ast.Index(
        base=ast.Attribute(base=call("csv", s("b.csv")), name="price"), labels=(num(1),))),
    ("f()", call("f")),
    ("f(x, k = 2,)", call("f", n("x"), k=num(2))),
    ("f(k = 2, x)", call("f", n("x"), k=num(2))),
    ("[]", lst()),
    ("x ** 2", bop(B.POW, n("x"), num(2))),
    ("x ^ 2", bop(B.POW, n("x"), num(2))),
    ("-x ^ 2", neg(bop(B.POW, n("x"), num(2)))),
    ("(-x) ^ 2", bop(B.POW, neg(n("x")), num(2))),
    ("x ^ -2", bop(B.POW, n("x"), neg(num(2)))),
    ("a ^ b ^ c", bop(B.POW, n("a"), bop(B.POW, n("b"), n("c")))),
    ("a - b - c", bop(B.SUB, bop(B.SUB, n("a"), n("b")), n("c"))),
    ("a - (b - c)", bop(B.SUB, n("a"), bop(B.SUB, n("b"), n("c")))),
    ("a + b * c", bop(B.ADD, n("a"), bop(B.MUL, n("b"), n("c")))),
    ("a / b * c", bop(B.MUL, bop(B.DIV, n("a"), n("b")), n("c"))),
    ("a @ b @ c", bop(B.MATMUL, bop(B.MATMUL, n("a"), n("b")), n("c"))),
    ("- - a", neg(neg(n("a")))),
    ("a * -b", bop(B.MUL, n("a"), neg(n("b")))),
    ("((a))", n("a")),
])
def test_expressions(text: str, tree: ast.Expr) -> None:
    assert expr(text) == tree
    assert parse_expression(text) == tree


def test_parse_expression() -> None:
    assert parse_expression("  0.5 * x \n") == bop(B.MUL, num(0.5), n("x"))
    assert parse_expression("[1, 2,\n 3]") == lst(num(1), num(2), num(3))
    with pytest.raises(SpecError) as info:
        parse_expression("1 +", name="--param p")
    assert info.value.codes == ["E102"]
    assert str(info.value).startswith("--param p:1:")


# ---- spans (not compared by ==, so checked here) ----


def test_spans_point_into_the_source() -> None:
    text = "model m\nparam gamma = 0.5 * x\nsubject to\n    cap: x <= 1\n"
    model = parse(text, "t.saddle")
    param = model.decls[1]
    assert isinstance(param, ast.ParamDecl) and param.value is not None
    assert param.name_span.text == "gamma"
    assert (param.name_span.line, param.name_span.column) == (2, 7)
    assert param.value.span.text == "0.5 * x"
    assert str(param.span) == "t.saddle:2:1"
    section = model.decls[2]
    assert isinstance(section, ast.ConstraintsDecl)
    assert section.constraints[0].name_span.text == "cap"
    assert section.constraints[0].condition.span.text == "x <= 1"


def test_structural_errors_are_spec_errors() -> None:
    for text, code in [
        ("variable x == 1\n", "E100"),              # a bound must be >= or <=
        ("scenarios z[1.5, s] ~ normal(0, 1)\n", "E100"),
        ("rebalance every 0 days\n", "E100"),
        ("param p = " + "9" * 5000 + "\n", "E100"),  # beyond int()'s digit limit
        ("model m\nlet e = " + "-" * 5000 + "x\n", "E100"),  # deeper than Python recurses
        ("let e = " + "x + " * 5000 + "x\n", "E100"),
    ]:
        with pytest.raises(SpecError) as info:
            parse(text)
        assert info.value.codes == [code], text


def test_too_deep_is_located_at_the_declaration() -> None:
    with pytest.raises(SpecError) as info:
        parse("model m\nlet e = " + "-" * 5000 + "x\nlet f = 1\n", "m.saddle")
    assert str(info.value).startswith("m.saddle:2:1: error[E100]: this expression is nested")
    with pytest.raises(SpecError) as info:
        parse_expression("[" * 3000 + "]" * 3000)
    assert info.value.codes == ["E100"]



@pytest.mark.parametrize("nest", [
    lambda k: "x + " * k + "x",
    lambda k: "-" * k + "x",
    lambda k: "[" * k + "]" * k,
    lambda k: "f(" * k + ")" * k,
    lambda k: "x ^ " * k + "x",
])
def test_nesting_limit(nest: Callable[[int], str]) -> None:
    """Up to MAX_NESTING levels parse, and the AST survives ==, repr and the printer."""
    from dsl.parser import MAX_NESTING
    from dsl.printer import format_model

    k = MAX_NESTING - 3  # the declaration and the innermost leaf take levels too
    model = parse(f"let e = {nest(k)}\n")
    # `==` and `repr` of so deep a tree recurse past Python's default limit: give them room
    assert deep_stack(lambda: parse(format_model(model)) == model)()
    assert deep_stack(repr)(model)
    with pytest.raises(SpecError) as info:
        parse(f"let e = {nest(MAX_NESTING)}\n")
    assert info.value.codes == ["E100"]
