"""Terms with an uncertain quantity, as Saddle text and as their closed-form worst case
(uncertainty.py's support functions): the adversary minimizes a `maximize` objective and
maximizes a `minimize` one; a constraint holds for every value, each element of an indexed
constraint with its own worst case."""

from __future__ import annotations

import itertools

import cvxpy as cp
import numpy as np

from fuzz.spec import NICE, POSITIVE, Constraint, Expr, num
from fuzz.terms import Terms
from fuzz.uncertainty import Uncertain


def objective_term(terms: Terms, unc: Uncertain, sense: str) -> Expr:
    """`A @ u` (or `S * e` for a scalar e), at the adversary's choice."""
    a = terms.vec(1) if unc.vector else terms.scalar(1)
    text = f"({a.text} @ {unc.name})" if unc.vector else f"({a.text} * {unc.name})"
    if sense == "minimize":
        return Expr(text, lambda env: unc.support(env, a.build(env)))
    return Expr(text, lambda env: -unc.support(env, -a.build(env)))


def constraint(terms: Terms, unc: Uncertain, nonlinear: bool) -> Constraint:
    kinds = ["dot_le", "dot_ge", "elem_mul"] + (["elem_add"] if unc.vector else [])
    if nonlinear:
        kinds += ["abs_dot", "max_mul"]
        if "box" in unc.geometry or "ball2" in unc.geometry:
            kinds.append("sum_squares")
    kind = terms.pick.one(kinds)
    n = terms.n()
    bound = terms.pick.one(POSITIVE + [0.0])
    u = unc.name
    if kind in ("dot_le", "dot_ge", "abs_dot"):
        a = terms.vec(1) if unc.vector else terms.scalar(1)
        term = f"{a.text} @ {u}" if unc.vector else f"{a.text} * {u}"
        if kind == "dot_ge":
            low = terms.pick.one(NICE)
            return Constraint(f"{term} >= {num(low)}", lambda env: [
                -unc.support(env, -a.build(env)) >= low])
        if kind == "abs_dot":
            return Constraint(f"abs({term}) <= {num(bound)}", lambda env: [
                unc.support(env, a.build(env)) <= bound,
                unc.support(env, -a.build(env)) <= bound])
        s = terms.scalar(1)
        return Constraint(f"{term} + {s.text} <= {num(bound)}", lambda env: [
            unc.support(env, a.build(env)) + s.build(env) <= bound])
    a = terms.vec(1)
    if kind == "elem_add":
        p = terms.spec.param(terms.pick.values(n, POSITIVE), ("s",))
        return Constraint(f"{a.text} + {u} <= {p.text}", lambda env: [
            a.build(env)[i] + unc.element(env, i, 1.0) <= p.build(env)[i] for i in range(n)])
    if kind in ("elem_mul", "max_mul"):
        if unc.vector:
            term = f"{a.text} * {u}"

            def worst(env, i):
                return unc.element(env, i, a.build(env)[i])
        else:  # a relative error: A * (1 + e), each element its own e
            term = f"{a.text} * (1 + {u})"

            def worst(env, i):
                return a.build(env)[i] + unc.support(env, a.build(env)[i])
        text = f"max({term}) <= {num(bound)}" if kind == "max_mul" else \
            f"{term} <= {num(bound)}"
        return Constraint(text, lambda env: [worst(env, i) <= bound for i in range(n)])
    # sum_squares(A + u) <= b: the worst case of a convex function of u, by geometry
    limit = terms.pick.one([1.0, 4.0, 9.0])
    text = f"sum_squares({a.text} + {u}) <= {num(limit)}"
    if "ball2" in unc.geometry:
        center, radius = unc.geometry["ball2"]
        return Constraint(text, lambda env: [
            cp.norm(a.build(env) + center, 2) + radius <= np.sqrt(limit)])
    lo, hi = unc.geometry["box"]
    vertices = [np.array(v) for v in itertools.product(*zip(lo, hi, strict=True))]
    return Constraint(text, lambda env: [cp.sum_squares(a.build(env) + v) <= limit
                                         for v in vertices])
