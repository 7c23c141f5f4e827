"""Convex and concave scalar terms over the affine families of terms.py, by feature:
lp (abs, pos, max, norms 1 and inf, cvar), qp (squares, quad_form), socp (norm2, sqrt,
inv_pos), exp (exp, log, log_sum_exp). A term that needs an auxiliary variable (cvar's
threshold) is only ever used where its value is bounded above, so the minimum over it is
the term itself."""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from fuzz.spec import NICE, POSITIVE, Expr, num
from fuzz.terms import Terms, outer


def psd_matrix(terms: Terms, n: int) -> np.ndarray:
    """B B' + I/2 with B in halves: positive definite and printed exactly."""
    b = terms.pick.values((n, n), [-1.0, -0.5, 0.0, 0.5, 1.0])
    return b @ b.T + 0.5 * np.eye(n)


def alias(terms: Terms) -> str:
    if "s2" not in terms.spec.sets:
        terms.spec.sets["s2"] = terms.spec.sets["s"]
        terms.spec.decls.insert(terms.spec.decls.index("# end of sets"), "set s2 = s")
    return "s2"


def convex(terms: Terms, constraint: bool = False) -> Expr:
    """A convex scalar; `constraint`: for the left side of `<= b` (vector quadratics only
    with the feature qp_constraint)."""
    kinds = []
    if terms.has("lp"):
        kinds += ["sum_abs", "norm1", "norm_inf", "max", "sum_pos", "sum_neg", "abs",
                  "pos", "max2", "sum_max"]
    if terms.has("cvar"):
        kinds += ["cvar", "cvar"]
    if terms.has("qp"):
        kinds += ["sum_square", "square", "pow2"]
        if not constraint or terms.has("qp_constraint"):
            kinds.append("sum_squares")
    quad_form_ok = (not constraint or terms.has("qp_constraint")) and (
        not terms.has("integer") or terms.has("integer_quad_form"))
    if terms.has("qp") and quad_form_ok:
        kinds.append("quad_form")
    if terms.has("quad_matmul") and quad_form_ok:
        kinds.append("quad_matmul")
    if terms.has("socp"):
        kinds += ["norm2", "norm2"]
        if terms.has("broadcast"):
            kinds.append("norm2_outer")
    if terms.has("inv_pos"):
        kinds.append("inv_pos")
    if terms.has("exp"):
        kinds += ["sum_exp", "exp", "lse", "lse_weights"]
    kind = terms.pick.one(kinds)
    n = terms.n()
    if kind in ("abs", "pos", "square", "pow2", "exp", "max2", "inv_pos"):
        a = terms.scalar(1)
        if kind == "abs":
            return Expr(f"abs({a.text})", lambda env: cp.abs(a.build(env)))
        if kind == "pos":
            return Expr(f"pos({a.text})", lambda env: cp.pos(a.build(env)))
        if kind == "square":
            return Expr(f"square({a.text})", lambda env: cp.square(a.build(env)))
        if kind == "pow2":
            return Expr(f"{a.text} ^ 2", lambda env: cp.square(a.build(env)))
        if kind == "exp":
            return Expr(f"exp({a.text} / 4)", lambda env: cp.exp(a.build(env) / 4))
        if kind == "inv_pos":
            c = terms.pick.one(POSITIVE)
            return Expr(f"inv_pos({a.text} + {num(c)})",
                        lambda env: cp.inv_pos(a.build(env) + c))
        b = terms.scalar(1)
        return Expr(f"max({a.text}, {b.text})",
                    lambda env: cp.maximum(a.build(env), b.build(env)))
    if kind == "cvar":
        return cvar(terms)
    a = terms.vec(2)
    simple = {"sum_abs": ("sum(abs({}))", lambda x: cp.sum(cp.abs(x))),
              "norm1": ("norm1({})", lambda x: cp.norm1(x)),
              "norm_inf": ("norm_inf({})", lambda x: cp.norm_inf(x)),
              "max": ("max({})", cp.max),
              "sum_pos": ("sum(pos({}))", lambda x: cp.sum(cp.pos(x))),
              "sum_neg": ("sum(neg({}))", lambda x: cp.sum(cp.neg(x))),
              "sum_squares": ("sum_squares({})", cp.sum_squares),
              "sum_square": ("sum(square({}))", lambda x: cp.sum(cp.square(x))),
              "norm2": ("norm2({})", lambda x: cp.norm(x, 2)),
              "sum_exp": ("sum(exp({} / 4))", lambda x: cp.sum(cp.exp(x / 4))),
              "lse": ("log_sum_exp({})", cp.log_sum_exp)}
    if kind in simple:
        text, fn = simple[kind]
        return Expr(text.format(a.text), lambda env: fn(a.build(env)))
    if kind == "sum_max":
        b = terms.vec(1)
        return Expr(f"sum(max({a.text}, {b.text}))",
                    lambda env: cp.sum(cp.maximum(a.build(env), b.build(env))))
    if kind in ("quad_form", "quad_matmul"):
        s2 = alias(terms)
        p = terms.spec.param(psd_matrix(terms, n), ("s", s2), prefix="P")
        text = (f"quad_form({a.text}, {p.text})" if kind == "quad_form"
                else f"{a.text} @ {p.text} @ {a.text}")
        return Expr(text, lambda env: cp.quad_form(a.build(env), p.build(env)))
    if kind == "norm2_outer":
        q = terms.spec.param(terms.pick.values(terms.n("t")), ("t",))
        return Expr(f"norm2({terms.product(a, q)})",
                    lambda env: cp.norm(cp.vec(outer(a.build(env), q.build(env))), 2))
    # lse_weights: zero weights drop out of the sum
    weights = terms.pick.values(n, [0.0, 0.5, 1.0, 2.0])
    if not weights.any():
        weights[0] = 1.0
    p = terms.spec.param(weights, ("s",))
    keep = np.flatnonzero(weights)
    return Expr(f"log_sum_exp({a.text}, weights = {p.text})",
                lambda env: cp.log_sum_exp(cp.hstack([a.build(env)[i] for i in keep])
                                           + np.log(weights[keep])))


def cvar(terms: Terms) -> Expr:
    """cvar(level, losses) over given scenarios: Rockafellar-Uryasev, written out."""
    spec, n = terms.spec, terms.n()
    if "k" not in spec.sets:
        count = terms.pick.integer(3, 6)
        spec.sets["k"] = list(range(1, count + 1))
        spec.decls.insert(spec.decls.index("# end of sets"), f"set k = 1..{count}")
    k = len(spec.sets["k"])
    name = spec.fresh("z")
    values = terms.pick.values((k, n))
    spec.decls.append(f"scenarios {name}[k, s] = " + str(
        [[float(v) for v in row] for row in values]).replace("'", ""))
    spec.params[name] = values
    a = terms.vec(1)
    level = terms.pick.one([0.5, 0.75, 0.8, 0.9])
    sign = terms.pick.one([1.0, -1.0])
    losses = f"{'-' if sign < 0 else ''}({name} @ {a.text})"

    def build(env):
        threshold = cp.Variable()
        loss = sign * (values @ a.build(env))
        return threshold + cp.sum(cp.pos(loss - threshold)) / ((1 - level) * k)

    return Expr(f"cvar({num(level)}, {losses})", build)


def concave(terms: Terms, constraint: bool = False) -> Expr:
    kinds = []
    if terms.has("lp"):
        kinds += ["min", "min2", "neg_convex"]
    if terms.has("socp"):
        kinds += ["sum_sqrt", "sqrt"]
    if terms.has("exp"):
        kinds += ["sum_log", "log"]
    if not kinds:
        kinds = ["neg_convex"]
    kind = terms.pick.one(kinds)
    if kind == "neg_convex":
        a = convex(terms, constraint)
        return Expr(f"-{a.text}", lambda env: -a.build(env))
    if kind == "min":
        a = terms.vec(2)
        return Expr(f"min({a.text})", lambda env: cp.min(a.build(env)))
    if kind == "min2":
        a, b = terms.scalar(1), terms.scalar(1)
        return Expr(f"min({a.text}, {b.text})",
                    lambda env: cp.minimum(a.build(env), b.build(env)))
    shift = terms.pick.one([c for c in NICE if c > 0] + [4.0])
    if kind in ("sum_sqrt", "sum_log"):
        a = terms.vec(1)
        fn = cp.sqrt if kind == "sum_sqrt" else cp.log
        word = "sqrt" if kind == "sum_sqrt" else "log"
        return Expr(f"sum({word}({a.text} + {num(shift)}))",
                    lambda env: cp.sum(fn(a.build(env) + shift)))
    a = terms.scalar(1)
    fn = cp.sqrt if kind == "sqrt" else cp.log
    return Expr(f"{kind}({a.text} + {num(shift)})", lambda env: fn(a.build(env) + shift))
