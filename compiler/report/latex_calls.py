"""Builtin calls as LaTeX (compiler/report/latex_math.py): norms, sums with indices, CVaR, ...

A builtin without a form of its own is written \\mathrm{name}(arguments).
"""

from __future__ import annotations

from compiler.report.latex_math import ELEMENTWISE, Math, data_source, escape, symbol
from dsl import ast

NORMS = {"norm1": "1", "norm2": "2", "norm": "2", "norm_inf": r"\infty"}
FUNCTIONS = {"exp": r"\exp", "log": r"\log", "max": r"\max", "min": r"\min"}


def render_call(math: Math, call: ast.Call, ix: bool) -> str:
    args = call.args
    kwargs = {k.name: k.value for k in call.kwargs}
    func = call.func

    def arg(i: int) -> str:
        return math.expr(args[i], ix)

    if func in NORMS and args:
        return rf"\left\| {arg(0)} \right\|_{{{NORMS[func]}}}"
    if func == "abs" and args:
        return rf"\left| {arg(0)} \right|"
    if func == "sqrt" and args:
        return rf"\sqrt{{{arg(0)}}}"
    if func == "pos" and args:
        return rf"\left({arg(0)}\right)_+"
    if func == "square" and args:
        return rf"\left({arg(0)}\right)^2"
    if func in FUNCTIONS and args and not kwargs:
        return rf"{FUNCTIONS[func]}\left({', '.join(arg(i) for i in range(len(args)))}\right)"
    if func == "sum" and len(args) == 1:
        return _sum(math, args[0], kwargs.get("over"), ix)
    if func == "log_sum_exp" and args:
        return _log_sum_exp(math, args[0], kwargs.get("weights"), ix)
    if func == "quad_form" and len(args) == 2:
        x = math._at(args[0], 4, ix)
        return rf"{{{x}}}^\top {math._at(args[1], 4, ix)}\, {x}"
    if func in ("cvar", "mean"):
        return _risk(math, call, ix)
    if func == "chi2_quantile" and len(args) == 2:
        return rf"F^{{-1}}_{{\chi^2_{{{arg(1)}}}}}\left({arg(0)}\right)"
    if func == "count" and len(args) == 1:
        return rf"\left|{arg(0)}\right|"
    if func == "indicator" and len(args) == 1:
        return rf"\mathbf{{1}}\left[{arg(0)}\right]"
    if func == "previous" and len(args) == 1:
        return rf"{{{math._at(args[0], 4, ix)}}}^{{\mathrm{{prev}}}}"
    if func == "csv":
        return data_source(call)
    parts = [math.expr(a, ix) for a in args]
    parts += [rf"\mathrm{{{escape(k.name)}}} = {math.expr(k.value, ix)}" for k in call.kwargs]
    return rf"\mathrm{{{escape(func)}}}\left({', '.join(parts)}\right)"


def _sum(math: Math, body: ast.Expr, over: ast.Expr | None, ix: bool) -> str:
    scope = math.scope
    sets = scope.shape(body)
    if isinstance(over, ast.Name) and over.name in scope.sets:
        sets = (over.name,)
    if sets and (ix or scope.elementwise(body)):
        head, inner = math.indexed(body, sets)
        return f"{head} {inner}"
    return rf"\mathbf{{1}}^\top {math._at(body, 4, ix)}"


def _log_sum_exp(math: Math, exponent: ast.Expr, weights: ast.Expr | None, ix: bool) -> str:
    scope = math.scope
    parts = ([weights] if weights is not None else []) + [exponent]  # sum_i h_i sum_t ...
    shapes = [scope.shape(p) for p in parts]
    if all(s is not None for s in shapes) and all(scope.elementwise(p) for p in parts):
        sets = tuple(dict.fromkeys(s for shape in shapes for s in shape or ()))
        head, exp = math.indexed(exponent, sets)
        exp = rf"\exp\left({math.expr(exponent, True)}\right)"
        weight = f"{math._at(weights, 1, True)}\\, " if weights is not None else ""
        return rf"\log {head} {weight}{exp}"
    weight = f"{math._at(weights, 3, ix)} \\circ " if weights is not None else ""
    inner = math.expr(exponent, ix)
    return rf"\log \mathbf{{1}}^\top \left({weight}\exp\left({inner}\right)\right)"


def _risk(math: Math, call: ast.Call, ix: bool) -> str:
    """`cvar(beta, loss)`, `mean(loss)`, either with `loss over P` (the worst distribution)."""
    args = list(call.args)
    value = args[-1] if args else None
    over = getattr(value, "ambiguity", None)
    if isinstance(value, ast.Over):
        value = value.value
    inner = math.expr(value, ix) if value is not None else ""
    sup = rf"\sup_{{Q \in \mathcal{{P}}_{{{symbol(over)}}}}} " if over else ""
    law = "^{Q}" if over else ""
    if call.func == "cvar" and len(args) == 2:
        return rf"{sup}\mathrm{{CVaR}}{law}_{{{math.expr(args[0], ix)}}}\left({inner}\right)"
    expectation = r"\mathbb{E}_{Q}" if over else r"\mathbb{E}"
    return rf"{sup}{expectation}\left[{inner}\right]"


__all__ = ["ELEMENTWISE", "render_call"]
