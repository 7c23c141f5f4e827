"""Uncertainty sets written as linear constraints: the polyhedron {A u <= b, E u = f}.

An `uncertain` block whose lines (and bounds and sign flags) are all affine in its own
quantity, with data coefficients, is a polyhedron P. For each row a of a robust term, LP
duality gives the adversary's best response in closed form:

    max over u in P of a'u  =  min over lam >= 0, mu of  b'lam + f'mu  s.t.  A'lam + E'mu = a

so the counterpart adds (lam, mu) per row and stays one ordinary problem (integer decisions
allowed). A block with any other line (a norm, a square) is not a polyhedron: it keeps the
saddle-point path (`sets/block.py`), and its boundedness check relaxes it to one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np

from compiler.backends.affine import Lin, NotAffine
from compiler.backends.counterpart import Extractor, difference
from compiler.backends.solver_output import solve_problem
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.passes import ir
from compiler.passes.shapes import union
from compiler.passes.symbols import Symbol

Rows = tuple[np.ndarray, np.ndarray]  # (A, b) of A u <= b (or == b)


@dataclass
class Polyhedron:
    """{u : A u <= b, E u = f}, u flattened in C order."""

    A: np.ndarray
    b: np.ndarray
    E: np.ndarray
    f: np.ndarray
    _extremes: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def support(self, a: Any) -> tuple[Any, list[Any]]:
        """Row by row, max over P of a_i'u, as the dual LP's objective (rows,)."""
        rows = a.shape[0]
        lam = cp.Variable((rows, len(self.b)), nonneg=True)
        value, balance = lam @ self.b, lam @ self.A
        if len(self.f):
            mu = cp.Variable((rows, len(self.f)))
            value, balance = value + mu @ self.f, balance + mu @ self.E
        return value, [balance == a]

    def rows(self, u: Any) -> list[Any]:
        return [self.A @ u <= self.b] + ([self.E @ u == self.f] if len(self.f) else [])

    def nonempty(self) -> bool:
        problem = cp.Problem(cp.Minimize(0), self.rows(cp.Variable(self.A.shape[1])))
        solve_problem(problem)
        return problem.status not in ("infeasible", "infeasible_inaccurate")

    def extremes(self) -> tuple[np.ndarray, np.ndarray]:
        """Each coordinate's least and greatest value over P (2n small LPs, once)."""
        if self._extremes is None:
            n = self.A.shape[1]
            least = np.array([-self.support_value(-e) for e in np.eye(n)])
            most = np.array([self.support_value(e) for e in np.eye(n)])
            self._extremes = (least, most)
        return self._extremes

    def support_value(self, a: np.ndarray) -> float:
        """max over P of a'u (inf if unbounded or not found: nothing is claimed)."""
        u = cp.Variable(self.A.shape[1])
        problem = cp.Problem(cp.Maximize(a @ u), self.rows(u))
        solve_problem(problem)
        if not str(problem.status).startswith("optimal"):  # unbounded, or unknown
            return math.inf
        return float(problem.value)

    def argmax(self, a: np.ndarray) -> np.ndarray:
        """A maximizer of a'u over P (the worst case reported), by one small LP."""
        u = cp.Variable(self.A.shape[1])
        solve_problem(cp.Problem(cp.Maximize(a @ u), self.rows(u)))
        return np.asarray(u.value, dtype=float)


def polyhedron(definition: ir.UncertainDef, evaluate: Evaluator,
               model: ir.Model) -> Polyhedron | None:
    """The block's polyhedron, or None if a line is not affine in u with data coefficients."""
    u = definition.symbol
    if definition.set_expr is not None or {"psd", "symmetric"} & definition.flags:
        return None
    extractor = Extractor(evaluate, model, entropy_terms=False)
    n = extractor.size(u)
    upper: list[Rows] = []
    equal: list[Rows] = []
    for con in definition.constraints:
        condition = con.condition
        if not isinstance(condition, ir.Comparison):
            return None
        for k, op in enumerate(condition.ops):
            lhs, rhs = condition.terms[k], condition.terms[k + 1]
            high, low = (rhs, lhs) if op is ir.Relation.GE else (lhs, rhs)
            index = union(evaluate.index(high), evaluate.index(low))
            try:
                rows = lin_rows(extractor, difference(extractor, high, low, index), u, n,
                                index)
            except NotAffine:
                return None
            if rows is None:
                return None
            (equal if op is ir.Relation.EQ else upper).append(rows)
    identity = np.eye(n)
    for bound, sign in ((definition.lower, -1.0), (definition.upper, 1.0)):
        if bound is not None:
            value = np.asarray(evaluate.constant(bound, "a bound"), dtype=float)
            level = tensor.broadcast(value, evaluate.index(bound), u.index,
                                     evaluate.sizes(u.index))
            upper.append((sign * identity, sign * np.ravel(level)))
    if "nonneg" in definition.flags:
        upper.append((-identity, np.zeros(n)))
    if "nonpos" in definition.flags:
        upper.append((identity, np.zeros(n)))
    if not upper and not equal:
        return None
    return Polyhedron(*stack(upper, n), *stack(equal, n))


def lin_rows(extractor: Extractor, lin: Lin, u: Symbol, n: int,
             index: tuple[Symbol, ...]) -> Rows | None:
    """`lin` <= 0 (or == 0) as rows (A, b) of A u <= b: None unless only u, with data."""
    if set(lin.coef) != {u} or any(tensor.is_expr(v) for v in (lin.const, lin.coef[u])):
        return None
    sizes = extractor.ev.sizes(index)
    count = math.prod(sizes) if sizes else 1
    const = np.ravel(tensor.broadcast(np.asarray(lin.const, dtype=float), index, index,
                                      sizes))
    axis = extractor.axis(u)
    coef = tensor.broadcast(np.asarray(lin.coef[u], dtype=float), index + (axis,),
                            index + (axis,), tuple(sizes) + (n,))
    return np.asarray(coef).reshape(count, n), -const


def stack(rows: list[Rows], n: int) -> Rows:
    if not rows:
        return np.zeros((0, n)), np.zeros(0)
    return np.vstack([a for a, _ in rows]), np.concatenate([b for _, b in rows])
