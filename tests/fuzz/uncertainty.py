"""Uncertain sets and their support functions, written from the sets' definitions
(docs/language.md), never from Saddle's counterpart: sigma(a) = max over u in U of a'u.

    box(lo, hi)                  c'a + r'|a|             (c, r: the box's center, half-width)
    ball(c, r, norm = p)         c'a + r ||a||_q         (q the dual norm of p)
    ellipsoid(c, ..., radius r)  c'a + r ||L'a||_2       (u = c + L z, ||z|| <= r)
    budget(c, d, gamma)          c'a + min over l >= 0 of gamma l + sum(pos(|d a| - l))
    simplex(total)               total max(a)
    a block of lines             the infimal convolution of the lines' support functions:
                                 min over a_1 + ... + a_m = a of sum_j sigma_j(a_j)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from fuzz.curvature import alias, psd_matrix
from fuzz.spec import NICE, POSITIVE, Env, num
from fuzz.terms import Terms

Support = Callable[[Env, object], object]


@dataclass
class Uncertain:
    name: str
    vector: bool            # indexed by s (else a scalar)
    kind: str
    support: Support        # sigma(env, a): a cvxpy expression, bounded above only
    n: int = 1
    # box: (lo, hi); ball2: (center, radius): for the worst case of a convex function of u
    geometry: dict = field(default_factory=dict)
    # the set itself, as constraints on a cvxpy variable u: the oracle's self-check
    primal: Callable[[object], list] | None = None

    def element(self, env: Env, i: int, coefficient) -> object:
        """sigma(coefficient * e_i): the worst case of `coefficient * u[i]`."""
        if not self.vector:
            return self.support(env, coefficient)
        return self.support(env, cp.hstack([coefficient if j == i else 0.0 * coefficient
                                            for j in range(self.n)]))


def _center_radius(terms: Terms, vector: bool):
    n = terms.n()
    if vector and terms.pick.chance(60):
        values = terms.pick.values(n)
        return terms.spec.param(values, ("s",)).text, values
    value = terms.pick.one(NICE)
    return num(value), np.full(n, value) if vector else value


def declare(terms: Terms, kind: str, vector: bool) -> Uncertain:
    spec, pick = terms.spec, terms.pick
    name = spec.fresh("u")
    dims = "[s]" if vector else ""
    n = terms.n()

    def dot(c, a):
        return c @ a if vector else c * a

    if kind == "box":
        lo_text, lo = _center_radius(terms, vector)
        width = pick.one([0.0, 0.25, 0.5, 1.0])
        hi_value = lo + width
        hi_text = spec.param(hi_value, ("s",)).text if vector else num(hi_value)
        center, radius = (lo + hi_value) / 2, (hi_value - lo) / 2
        spec.decls.append(f"uncertain {name}{dims} in box({lo_text}, {hi_text})")
        unc = Uncertain(name, vector, kind,
                        lambda env, a: dot(center, a) + dot(radius, cp.abs(a)), n)
        if vector:
            unc.geometry["box"] = (np.broadcast_to(lo, (n,)), np.broadcast_to(hi_value, (n,)))
        unc.primal = lambda u: [u >= lo, u <= hi_value]
        return unc
    if kind == "ball":
        center_text, center = _center_radius(terms, vector)
        radius = pick.one(POSITIVE[:4])
        norm = pick.one([None, 1, 2, "inf"]) if vector else None
        dual = {None: 2, 2: 2, 1: "inf", "inf": 1}[norm]
        options = "" if norm is None else f", norm = {norm}"
        spec.decls.append(f"uncertain {name}{dims} in ball({center_text}, {num(radius)}"
                          f"{options})")
        unc = Uncertain(name, vector, kind, lambda env, a: dot(center, a) + radius * (
            cp.norm(a, dual) if vector else cp.abs(a)), n)
        if vector and dual == 2:
            unc.geometry["ball2"] = (center, radius)
        p = {None: 2, 2: 2, 1: 1, "inf": "inf"}[norm]
        unc.primal = lambda u: [(cp.norm(u - center, p) if vector else cp.abs(u - center))
                                <= radius]
        return unc
    if kind == "ellipsoid":
        center_text, center = _center_radius(terms, True)
        form = pick.one(["shape", "covariance", "precision"])
        s2 = alias(terms)
        if form == "shape":
            matrix = pick.values((n, n), [-1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
            factor = matrix
        else:
            matrix = psd_matrix(terms, n)
            factor = np.linalg.cholesky(matrix if form == "covariance"
                                        else np.linalg.inv(matrix))
        mat = spec.param(matrix, ("s", s2), prefix="L")
        radius = pick.one([None, 0.5, 1.0, 2.0])
        r_text = "" if radius is None else f", radius = {num(radius)}"
        spec.decls.append(f"uncertain {name}[s] in ellipsoid({center_text}, "
                          f"{form} = {mat.text}{r_text})")
        r = 1.0 if radius is None else radius
        unc = Uncertain(name, True, kind,
                        lambda env, a: center @ a + r * cp.norm(factor.T @ a, 2), n)

        def ellipsoid(u):  # from the definition, without the factor
            if form == "shape":
                z = cp.Variable(n)
                return [u == center + matrix @ z, cp.norm(z, 2) <= r]
            inverse = np.linalg.inv(matrix) if form == "covariance" else matrix
            return [cp.quad_form(u - center, (inverse + inverse.T) / 2) <= r ** 2]
        unc.primal = ellipsoid
        return unc
    if kind == "budget":
        center_text, center = _center_radius(terms, True)
        deviation = pick.values(n, [0.0, 0.25, 0.5, 1.0])
        dev = spec.param(deviation, ("s",))
        gamma = pick.one([0.5, 1.0, 1.5, 2.0, float(n)])
        spec.decls.append(f"uncertain {name}[s] in budget({center_text}, {dev.text}, "
                          f"{num(gamma)})")

        def budget(env, a):
            level = cp.Variable(nonneg=True)
            return center @ a + gamma * level + cp.sum(cp.pos(
                cp.abs(cp.multiply(deviation, a)) - level))
        unc = Uncertain(name, True, kind, budget, n)

        def budget_set(u):
            z = cp.Variable(n)
            return [u == center + cp.multiply(deviation, z), cp.abs(z) <= 1,
                    cp.norm1(z) <= gamma]
        unc.primal = budget_set
        return unc
    # simplex
    total = pick.one([None, 1.0, 2.0, 0.5])
    arg = "" if total is None else f"({num(total)})"
    spec.decls.append(f"uncertain {name}[s] in simplex{arg}")
    t = 1.0 if total is None else total
    return Uncertain(name, True, kind, lambda env, a: t * cp.max(a), n,
                     primal=lambda u: [u >= 0, cp.sum(u) == t])


def block(terms: Terms, nonlinear: bool) -> Uncertain:
    """An indented block of lines around a midpoint m it always contains: bounds, sums, a
    halfspace, and (nonlinear: the saddle-point path) an l1 ball around m."""
    spec, pick, n = terms.spec, terms.pick, terms.n()
    name = spec.fresh("u")
    lo = pick.values(n)
    hi = lo + pick.values(n, [0.0, 0.5, 1.0, 2.0])
    mid = (lo + hi) / 2
    lo_p, hi_p = spec.param(lo, ("s",)), spec.param(hi, ("s",))
    lines = [f"{name} >= {lo_p.text}", f"{hi_p.text} >= {name}"]
    pieces = [lambda a, b=lo: (b @ a, [a <= 0]), lambda a, b=hi: (b @ a, [a >= 0])]
    primal = [lambda u: u >= lo, lambda u: u <= hi]
    if pick.chance(60):
        bound = float(mid.sum()) + pick.one([0.0, 0.25, 1.0])
        lines.append(f"cap: sum({name}) <= {num(bound)}")
        pieces.append(_halfspace(np.ones(n), bound))
        primal.append(lambda u, b=bound: cp.sum(u) <= b)
    if pick.chance(40):
        g = pick.values(n)
        bound = float(g @ mid) + pick.one([0.0, 0.5])
        g_p = spec.param(g, ("s",))
        lines.append(f"{g_p.text} @ {name} <= {num(bound)}")
        pieces.append(_halfspace(g, bound))
        primal.append(lambda u, g=g, b=bound: g @ u <= b)
    if pick.chance(20):
        m_p = spec.param(mid, ("s",))
        lines.append(f"{name} @ {m_p.text} == {num(float(mid @ mid))}")
        pieces.append(_hyperplane(mid, float(mid @ mid)))
        primal.append(lambda u: u @ mid == float(mid @ mid))
    if nonlinear:
        rho = pick.one([0.25, 0.5, 1.0])
        m_p = spec.param(mid, ("s",))
        lines.append(f"norm1({name} - {m_p.text}) <= {num(rho)}")
        pieces.append(lambda a: (mid @ a + rho * cp.norm_inf(a), []))
        primal.append(lambda u: cp.norm1(u - mid) <= rho)
    spec.decls.append(f"uncertain {name}[s]:\n" + "\n".join(f"    {line}" for line in lines))

    def support(env, a):
        parts = [cp.Variable(n) for _ in pieces]
        total = 0
        for part, piece in zip(parts, pieces, strict=True):
            value, constraints = piece(part)
            total = total + value
            env.aux.extend(constraints)
        env.aux.append(sum(parts) == a)
        return total
    kind = "block_nonlinear" if nonlinear else "block"
    return Uncertain(name, True, kind, support, n,
                     primal=lambda u: [line(u) for line in primal])


def _halfspace(g: np.ndarray, bound: float):
    def piece(a):
        mult = cp.Variable(nonneg=True)
        return mult * bound, [a == mult * g]
    return piece


def _hyperplane(g: np.ndarray, bound: float):
    def piece(a):
        mult = cp.Variable()
        return mult * bound, [a == mult * g]
    return piece
