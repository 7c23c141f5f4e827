"""Uncertainty sets written as blocks must be bounded (E410 with a direction otherwise).

An unbounded set gives the adversary an infinite worst case: the robust problem is then
infeasible (or its objective infinite) for a reason no named constraint holds, and the
solve would blame the wrong line. The standard sets are bounded by construction; a block
is checked when it is built, with directions c_1..c_n+1 = e_1..e_n, -(e_1+...+e_n), a
positively spanning set (any nonzero d has c_j'd > 0 for some j):

* a polyhedron {A u <= b, E u = f} is bounded iff its recession cone {A d <= 0, E d = 0}
  is {0}: one LP maximizes sum_j c_j'd_j over cone directions with |d_j| <= 1; its
  optimum is 0 iff the cone is {0}, and a column with c_j'd_j > 0 is the direction named.
* another block is first relaxed to a polyhedron that contains it: its linear lines, its
  bounds, and |X| <= c for each line abs(X), norm1/norm2/norm_inf(X) <= c or
  sum_squares(X) <= c^2 with X affine in u and c a number. If that is bounded, so is the
  block; otherwise max c_j'u over the block itself, direction by direction (one compiled
  problem, the direction a parameter), says whether it is, and which coordinate is not.
  An empty block is E410 too.
"""

from __future__ import annotations

import itertools
import warnings

import cvxpy as cp
import numpy as np

from compiler.backends.affine import Lin, NotAffine
from compiler.backends.counterpart import Extractor, difference
from compiler.backends.solver_choice import NoSolver, default_solver
from compiler.backends.solver_output import solve_problem
from compiler.data.bindings import Bindings
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.lowering.instances import set_instance
from compiler.passes import ir
from compiler.passes.shapes import union
from compiler.passes.symbols import Symbol
from compiler.uncertainty.base import SetContext
from compiler.uncertainty.linear import Polyhedron, Rows, lin_rows, stack
from dsl.errors import SpecError, error

MAX_SCALARS = 40_000  # direction variables per LP (the columns are split beyond it)
ZERO = 1e-7  # a cone direction's c'd below this is 0 (the LP's tolerance)
NORMS = ("abs", "norm1", "norm2", "norm_inf")


def check_polyhedron(context: SetContext, u: Symbol, polyhedron: Polyhedron, n: int) -> None:
    """E410 if the polyhedron is unbounded, with a direction."""
    direction = recession(polyhedron, n)
    if direction is not None:
        raise unbounded(context.bindings, u, direction)


def check_block(context: SetContext, definition: ir.UncertainDef, n: int) -> None:
    """E410 if a block of (some nonlinear) lines is empty or unbounded."""
    u = definition.symbol
    outer = outer_polyhedron(context, definition, n)
    if outer is not None and not outer.nonempty():
        raise empty(u)  # a set inside an empty polyhedron
    if outer is not None and recession(outer, n) is None:
        return
    direction = _conic_direction(context, u, n)
    if direction is not None:
        raise unbounded(context.bindings, u, direction)


def _spanning(n: int) -> np.ndarray:
    return np.vstack([np.eye(n), -np.ones((1, n))])


def recession(polyhedron: Polyhedron, n: int) -> np.ndarray | None:
    """A nonzero direction of the recession cone, largest entry 1 in size, or None."""
    directions = _spanning(n)
    step = max(1, MAX_SCALARS // max(n, 1))
    for start in range(0, len(directions), step):
        chosen = directions[start:start + step]
        d = cp.Variable((n, len(chosen)))
        rows = [cp.abs(d) <= 1]
        if len(polyhedron.b):
            rows.append(polyhedron.A @ d <= 0)
        if len(polyhedron.f):
            rows.append(polyhedron.E @ d == 0)
        problem = cp.Problem(cp.Maximize(cp.sum(cp.multiply(chosen.T, d))), rows)
        if not _solved(problem) or d.value is None:
            continue  # no verdict: the solve itself will say what is wrong
        gains = np.sum(chosen.T * d.value, axis=0)
        if gains.max() > ZERO:
            column = d.value[:, int(np.argmax(gains))]
            column[np.abs(column) < ZERO] = 0.0
            return np.asarray(column / np.abs(column).max())
    return None


# ---- a polyhedron that contains a block ----

def outer_polyhedron(context: SetContext, definition: ir.UncertainDef,
                     n: int) -> Polyhedron | None:
    """The block's linear lines, bounds and |X| <= c lines as a polyhedron (None: none)."""
    u = definition.symbol
    ev = Evaluator(context.shapes, context.bindings,
                   lets={d.symbol: d for d in context.model.lets})
    extractor = Extractor(ev, context.model, entropy_terms=False)
    upper: list[Rows] = []
    equal: list[Rows] = []
    for con in definition.constraints:
        condition = con.condition
        if not isinstance(condition, ir.Comparison):
            continue
        for k, op in enumerate(condition.ops):
            lhs, rhs = condition.terms[k], condition.terms[k + 1]
            high, low = (rhs, lhs) if op is ir.Relation.GE else (lhs, rhs)
            try:
                index = union(ev.index(high), ev.index(low))
                rows = lin_rows(extractor, difference(extractor, high, low, index), u, n,
                                index)
                (equal if op is ir.Relation.EQ else upper).extend([rows] if rows else [])
            except (NotAffine, SpecError):
                if op is not ir.Relation.EQ:
                    upper += _magnitude_rows(extractor, high, low, u, n)
    identity = np.eye(n)
    for bound, sign in ((definition.lower, -1.0), (definition.upper, 1.0)):
        if bound is not None:
            try:
                level = np.asarray(ev.constant(bound, "a bound"), dtype=float)
            except SpecError:
                continue
            full = tensor.broadcast(level, ev.index(bound), u.index, ev.sizes(u.index))
            upper.append((sign * identity, sign * np.ravel(full)))
    for flag, sign in (("nonneg", -1.0), ("nonpos", 1.0)):
        if flag in definition.flags:
            upper.append((sign * identity, np.zeros(n)))
    if not upper and not equal:
        return None
    return Polyhedron(*stack(upper, n), *stack(equal, n))


def _magnitude_rows(extractor: Extractor, high: ir.Expr, low: ir.Expr, u: Symbol,
                    n: int) -> list[Rows]:
    """-c <= X <= c from abs(X) <= c (c over X's sets), a norm of X <= c or
    sum_squares(X) <= c^2 (c a number); nothing for any other line."""
    if not isinstance(high, ir.Call) or high.func not in NORMS + ("sum_squares",) or \
            len(high.args) != 1 or high.kwargs or extractor.uncertain_in(low):
        return []
    ev = extractor.ev
    try:
        limit = np.asarray(ev.constant(low, "a limit"), dtype=float)
        inner = high.args[0]
        index = union(ev.index(inner), ev.index(low)) if high.func == "abs" else \
            ev.index(inner)
        if high.func != "abs" and limit.shape:
            return []
        if high.func == "sum_squares":
            limit = np.sqrt(np.maximum(limit, 0.0))
        lin = extractor._move(extractor.extract(inner), index)
        level = tensor.broadcast(limit, ev.index(low) if high.func == "abs" else (),
                                 index, ev.sizes(index))
        out = []
        for sign in (1.0, -1.0):
            shifted = Lin(index, sign * np.asarray(lin.const, dtype=float) - level,
                          {s: sign * np.asarray(k, dtype=float) for s, k in lin.coef.items()})
            rows = lin_rows(extractor, shifted, u, n, index)
            out += [rows] if rows else []
        return out
    except (NotAffine, SpecError, ValueError, TypeError):
        return []


# ---- the block itself ----

def _conic_direction(context: SetContext, u: Symbol, n: int) -> np.ndarray | None:
    """A coordinate direction along which the block is unbounded (E410 if it is empty)."""
    copy = set_instance(context.model, context.shapes, context.bindings, context.sets, u,
                        cp.Variable)
    c = cp.Parameter(n)
    problem = cp.Problem(cp.Maximize(c @ cp.vec(copy.expression, order="C")),
                         copy.constraints)

    def status(direction: np.ndarray) -> str:
        c.value = direction
        return str(problem.status) if _solved(problem) else "unknown"

    for j, direction in enumerate(_spanning(n)):
        found = status(direction)
        if found.startswith("infeasible") and found != "infeasible_or_unbounded":
            raise empty(u)
        if found.startswith("unbounded") or found == "infeasible_or_unbounded":
            if j < n:
                return np.asarray(direction)
            for i in range(n):  # the sum falls without limit: some coordinate does
                down = -np.eye(n)[i]
                if status(down).startswith("unbounded"):
                    return np.asarray(down)
            return np.asarray(direction / n)
    return None


def _solved(problem: cp.Problem) -> bool:
    """Solve quietly; False when no solver took it or it failed (no verdict then)."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            solve_problem(problem, default_solver(problem))
    except (cp.error.SolverError, NoSolver):
        return False
    return True


def empty(u: Symbol) -> Exception:
    return error("E410", f"the set of '{u.name}' is empty: its constraints contradict each "
                 "other", u.span, "relax the bounds or lines of this uncertain block")


def unbounded(bindings: Bindings, u: Symbol, direction: np.ndarray) -> Exception:
    """E410 naming the direction by u's labels."""
    names = [f"{u.name}[{', '.join(str(x) for x in labels)}]" for labels in
             itertools.product(*[bindings.labels_of(s) for s in u.index])] if u.index \
        else [u.name]
    moves = [f"{name} {v:+.3g}" for v, name in zip(direction, names, strict=True) if v != 0]
    shown = ", ".join(moves[:6]) + (f" and {len(moves) - 6} more" if len(moves) > 6 else "")
    return error("E410", f"the set of '{u.name}' is unbounded: '{u.name}' can go without "
                 f"limit in the direction {shown} (each element's change per step)", u.span,
                 f"bound '{u.name}' in every direction: add the missing bounds or lines to "
                 f"this uncertain block (e.g. a lower bound beside an upper one)")
