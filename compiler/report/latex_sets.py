"""An uncertainty set written out as a set (compiler/report/latex.py): box, ball, normball,
ellipsoid, budget, simplex, or a block of constraints. The forms follow the sets' own
definitions in compiler/uncertainty/sets/."""

from __future__ import annotations

from compiler.report.latex_math import Math, escape
from dsl import ast


def uncertainty_set(m: Math, u: str, space: str, expr: ast.Expr | None,
                    conditions: list[str]) -> str:
    """`\\{u \\in R^n : ...\\}` for `uncertain u in expr` plus its bounds and block lines."""
    members = f"{u} \\in {space}"
    extra = list(conditions)
    if expr is None:
        return _set(members, extra or [r"\text{no restriction}"])
    call = expr if isinstance(expr, ast.Call) else ast.Call(func=getattr(expr, "name", ""))
    args = list(call.args)
    kw = {k.name: k.value for k in call.kwargs}

    def arg(i: int, name: str, default: str | None = None) -> str | None:
        node = args[i] if i < len(args) else kw.get(name)
        return m.expr(node) if node is not None else default

    func = call.func
    if func == "box":
        return _set(members, [f"{arg(0, 'lo')} \\leq {u} \\leq {arg(1, 'hi')}", *extra])
    if func in ("ball", "normball"):
        norm = kw.get("norm") if func == "ball" else (args[2] if len(args) > 2 else kw.get("p"))
        p = "2" if norm is None else (r"\infty" if isinstance(norm, ast.Name) and
                                      norm.name == "inf" else m.expr(norm))
        return _set(members, [rf"\left\| {u} - {arg(0, 'center')} \right\|_{{{p}}} \leq "
                              f"{arg(1, 'radius')}", *extra])
    if func == "ellipsoid":
        return _ellipsoid(m, u, members, arg(0, "center") or "0", kw, extra)
    if func == "budget":
        center, deviation, gamma = arg(0, "center"), arg(1, "deviation"), arg(2, "gamma")
        return _set(rf"{center} + {deviation} \circ z",
                    [r"\|z\|_\infty \leq 1", rf"\|z\|_1 \leq {gamma}", *extra])
    if func == "simplex":
        return _set(members, [rf"{u} \geq 0", rf"\mathbf{{1}}^\top {u} = {arg(0, 'total', '1')}",
                              *extra])
    return _set(members, [rf"{u} \in {m.expr(expr)}", *extra])


def _ellipsoid(m: Math, u: str, members: str, center: str, kw: dict[str, ast.Expr],
               extra: list[str]) -> str:
    radius = kw.get("radius")
    if radius is None:
        squared = "1"
    elif isinstance(radius, ast.Call) and radius.func == "sqrt" and len(radius.args) == 1:
        squared = m.expr(radius.args[0])  # radius = sqrt(q): the quadratic form is <= q
    elif isinstance(radius, ast.Name | ast.Number):
        squared = rf"{{{m.expr(radius)}}}^2"
    else:
        squared = rf"\left({m.expr(radius)}\right)^2"
    gap = rf"\left({u} - {center}\right)"
    if "precision" in kw:
        form = rf"{gap}^\top {m._at(kw['precision'], 4, False)}\, {gap}"
    elif "covariance" in kw:
        form = rf"{gap}^\top {{{m._at(kw['covariance'], 4, False)}}}^{{-1}} {gap}"
    elif "shape" in kw:
        r = m.expr(radius) if radius is not None else "1"
        return _set(rf"{center} + {m._at(kw['shape'], 4, False)}\, z",
                    [rf"\|z\|_2 \leq {r}", *extra])
    else:
        return _set(members, [rf"\text{{{escape('ellipsoid')}}}", *extra])
    return _set(members, [rf"{form} \leq {squared}", *extra])


def _set(members: str, conditions: list[str]) -> str:
    joined = r",\ ".join(conditions)
    return rf"\left\{{ {members} \;:\; {joined} \right\}}"
