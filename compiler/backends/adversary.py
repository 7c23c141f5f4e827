"""The adversary's problem at a fixed decision, solved apart from the model's own solve.

`Adversary(robust, point).extremes(high, low, index, sign)` is, element by element of
`index`, the maximum (sign +1) or minimum (sign -1) over the uncertainty sets of
`high - low` (`low` None: of `high` alone) with the decisions fixed at `point`. Nothing of
the counterpart that produced the answer is reused:

* a term affine in the uncertain quantities (its coefficients at the decision split out by
  the extractor, the decisions being numbers), each set written alone, takes the set's
  closed form in numpy (`UncertaintySet.support_value`: box a'mid + |a|'half, ball
  a'c + r ||a||_q with q the dual norm, ellipsoid a'c + r ||L'a||_2, budget a'c + the
  floor(gamma) largest |dev_i a_i| and the fraction of the next, simplex total * max(a));
* anything else (a set without one, such as a polyhedron or a block of constraints, a
  log-sum-exp, a term that is not affine in them) is one conic problem over the sets as
  declared (their primal definitions, `instances.set_instance`), one copy of the uncertain
  quantities per element (the problem separates, so its optimum is each element's).
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from compiler.backends.affine import Lin, NotAffine
from compiler.backends.counterpart import Extractor, difference
from compiler.backends.plain import CLARABEL_RETRY
from compiler.backends.robust_forms import pieces
from compiler.backends.solver_choice import NoSolver, default_solver
from compiler.backends.solver_output import solve_problem
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.lowering.instances import set_instance
from compiler.passes import ir
from compiler.passes.symbols import Symbol
from compiler.uncertainty.base import NoClosedForm, UncertaintySet
from dsl.errors import SpecError

if TYPE_CHECKING:
    from compiler.backends.dsp import RobustModel


class Unanswered(Exception):
    """The adversary's problem could not be solved (said in the certificate's note)."""


class Adversary:
    """The adversary's questions at one decision (`point`: each decision's value)."""

    def __init__(self, robust: RobustModel, point: dict[Symbol, np.ndarray]):
        self.robust, self.point = robust, point
        self.lets = {d.symbol: d for d in robust.model.lets}
        self.extractor = Extractor(Evaluator(robust.shapes, robust.bindings, point,
                                             self.lets), robust.model, entropy_terms=False)

    def uncertain_in(self, node: ir.Expr | None) -> set[Symbol]:
        return set() if node is None else self.extractor.uncertain_in(node)

    def value(self, node: ir.Expr, index: tuple[Symbol, ...]) -> np.ndarray:
        """A certain expression at the decision, flat over `index` (C order)."""
        ev = self.extractor.ev
        shape = ev.sizes(index)
        full = tensor.broadcast(_number(ev(node)), ev.index(node), index, shape)
        return np.asarray(_number(full), dtype=float).reshape(-1)

    def extremes(self, high: ir.Expr, low: ir.Expr | None, index: tuple[Symbol, ...],
                 sign: float) -> tuple[np.ndarray, str]:
        """Each element's max (sign +1) or min (-1) of high - low over the sets (flat, C
        order), and how it was found ("closed form", "conic", or "no uncertainty").

        Raises:
            Unanswered: the conic problem did not solve, or is not convex for the adversary.
        """
        uncertain = self.uncertain_in(high) | self.uncertain_in(low)
        if not uncertain:
            value = self.value(high, index) - (self.value(low, index) if low is not None
                                               else 0.0)
            return value, "no uncertainty"
        closed = self._closed_form(high, low, index, sign)
        if closed is not None:
            return closed, "closed form"
        return self._conic(high, low, index, sign, uncertain), "conic"

    # ---- closed forms ----

    def _closed_form(self, high: ir.Expr, low: ir.Expr | None, index: tuple[Symbol, ...],
                     sign: float) -> np.ndarray | None:
        sets = self.robust.sets
        extractor = self.extractor
        try:
            lin = (difference(extractor, high, low, index) if low is not None
                   else extractor._move(extractor.extract(high), index))
        except (NotAffine, SpecError):
            if low is None or sign < 0:
                return None
            return self._split_extreme(high, low, index)
        if not all(sets[u].closed_form_alone for u in lin.coef):
            return None
        try:
            return _affine_extreme(lin, extractor, index, sets, sign)
        except (Unanswered, NoClosedForm):
            return None

    def _split_extreme(self, high: ir.Expr, low: ir.Expr,
                       index: tuple[Symbol, ...]) -> np.ndarray | None:
        """max over u of high - low for a row of `abs` / `max` of affine terms: the largest
        closed-form extreme of its affine pieces (robust_forms.pieces, as the backends split
        it), the maximum taken along each piece's own axes too."""
        extractor, sets = self.extractor, self.robust.sets
        try:
            split = pieces(extractor, high, low, index)
        except (NotAffine, SpecError):
            return None
        if not all(sets[u].closed_form_alone for piece in split for u in piece.lin.coef):
            return None
        shape = tuple(extractor.ev.sizes(index))
        worst: np.ndarray | None = None
        for piece in split:
            try:
                values = _affine_extreme(piece.lin, extractor, index + piece.extra, sets, 1.0)
            except (Unanswered, NoClosedForm):
                return None
            extra = tuple(extractor.ev.sizes(piece.extra))
            along = values.reshape((math.prod(shape) if shape else 1,) +
                                   ((math.prod(extra),) if extra else (1,))).max(axis=1)
            worst = along if worst is None else np.maximum(worst, along)
        return worst

    # ---- the conic problem ----

    def _conic(self, high: ir.Expr, low: ir.Expr | None, index: tuple[Symbol, ...],
               sign: float, uncertain: set[Symbol]) -> np.ndarray:
        robust = self.robust
        shape = self.extractor.ev.sizes(index)
        count = math.prod(shape) if shape else 1
        elements, rows = [], []
        for k in range(count):
            copies = {u: set_instance(robust.model, robust.shapes, robust.bindings,
                                      robust.sets, u, cp.Variable) for u in uncertain}
            ev = Evaluator(robust.shapes, robust.bindings,
                           {**self.point, **{u: c.expression for u, c in copies.items()}},
                           self.lets)
            diff = tensor.broadcast(ev(high), ev.index(high), index, shape)
            if low is not None:
                diff = diff - tensor.broadcast(ev(low), ev.index(low), index, shape)
            elements.append(diff[np.unravel_index(k, shape)] if shape else diff)
            rows += [c for copy in copies.values() for c in copy.constraints]
        varying = [e for e in elements if tensor.is_expr(e) and not e.is_constant()]
        if varying:
            total = cp.sum(cp.hstack([cp.reshape(e, (1,), order="C") for e in varying]))
            problem = cp.Problem(cp.Maximize(sign * total), rows)
            if not problem.is_dcp():
                raise Unanswered("the adversary's problem at the decision is not convex "
                                 "as written")
            _solve(problem)
        return np.array([float(np.asarray(e.value if tensor.is_expr(e) else e,
                                          dtype=float).reshape(-1)[0]) for e in elements])


def _solve(problem: cp.Problem) -> None:
    try:
        name = default_solver(problem)
    except NoSolver as exc:
        raise Unanswered(str(exc)) from None
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            solve_problem(problem, name)
            if problem.status != "optimal" and name == "CLARABEL":
                solve_problem(problem, name, **CLARABEL_RETRY)
    except cp.error.SolverError as exc:
        raise Unanswered(f"the adversary's problem failed in {name}: {exc}") from None
    if problem.status != "optimal":
        raise Unanswered(f"the adversary's problem ended '{problem.status}' in {name}")


def _affine_extreme(lin: Lin, extractor: Extractor, index: tuple[Symbol, ...],
                    sets: dict[Symbol, UncertaintySet], sign: float) -> np.ndarray:
    """b + sum_u sign * support_u(sign * A_u), row by row: the sets are independent, so the
    adversary's problem separates by uncertain quantity."""
    shape = extractor.ev.sizes(index)
    count = math.prod(shape) if shape else 1
    const = tensor.broadcast(_number(lin.const), index, index, shape)
    total = np.asarray(_number(const), dtype=float).reshape(count).copy()
    for u, k in lin.coef.items():
        s = extractor.axis(u)
        n = extractor.size(u)
        full = tensor.broadcast(_number(k), index + (s,), index + (s,), tuple(shape) + (n,))
        matrix = np.asarray(_number(full), dtype=float).reshape(count, n)
        total += sign * sets[u].support_value(sign * matrix)
    return total


def _number(value: Any) -> Any:
    """A constant cvxpy expression's value (the decisions are numbers here)."""
    if tensor.is_expr(value):
        if not value.is_constant():
            raise Unanswered("a term still holds a variable with the decisions fixed")
        return value.value
    return value
