"""The nominal side of a robust answer: each uncertain quantity at its set's center.

A robust result reports the worst case; a price of robustness or a worst-case plot also
needs the nominal view: the uncertain quantities at their sets' centers, a let evaluated
there (at the solution's decisions), the robust solution's objective there, and the
optimum of the nominal problem itself.

`compiled` below is what solved the result: a `RobustModel` or a `WorstCaseAnalysis`
(both have `model`, `shapes`, `bindings` and `sets`).
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np

from compiler.backends.plain import labelled
from compiler.backends.solver_choice import NoSolver, default_solver
from compiler.backends.solver_output import solve_problem
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.lowering.lower import lower
from compiler.passes import ir
from compiler.passes.exact import find_exact_forms
from compiler.passes.symbols import Symbol
from compiler.report.result import Labelled, Result


def is_robust(compiled: Any) -> bool:
    """A model with uncertain quantities (the only kind with a nominal view)."""
    return bool(getattr(compiled, "sets", None))


def centers(compiled: Any) -> dict[Symbol, np.ndarray] | None:
    """Each uncertain quantity's center, shaped by its sets (None: a set has no center)."""
    out = {}
    for u, uset in compiled.sets.items():
        center = uset.center()
        if center is None:
            return None
        out[u] = np.broadcast_to(np.asarray(center, dtype=float), _shape(compiled, u)).copy()
    return out


def decisions(compiled: Any, result: Result) -> dict[Symbol, np.ndarray]:
    """The result's decisions as arrays shaped like their variables."""
    return {d.symbol: np.asarray(result.values[d.symbol.name], dtype=float).reshape(
        _shape(compiled, d.symbol)) for d in compiled.model.variables}


def worst_point(compiled: Any, result: Result, at: str = "objective"
                ) -> dict[Symbol, np.ndarray] | None:
    """The adversary's choice for `at` (the objective or a constraint) as arrays, if that
    choice is one point (not one per element of an indexed constraint)."""
    chosen = result.worst_case.get(at)
    if not isinstance(chosen, dict):
        return None
    out = {}
    for u in compiled.sets:
        value = chosen.get(u.name)
        if value is None or np.ndim(value) > 1:
            return None
        out[u] = np.asarray(value, dtype=float).reshape(_shape(compiled, u))
    return out


def evaluate(compiled: Any, point: dict[Symbol, np.ndarray], expr: ir.Expr) -> Any:
    """An IR expression's value with decisions and uncertain quantities fixed at `point`."""
    lets = {d.symbol: d for d in compiled.model.lets}
    value = Evaluator(compiled.shapes, compiled.bindings, point, lets)(expr)
    return value.value if tensor.is_expr(value) else value


def let_at(compiled: Any, point: dict[Symbol, np.ndarray], name: str) -> Labelled:
    """Let `name` evaluated at `point`, by its sets' labels."""
    definition = next(d for d in compiled.model.lets if d.symbol.name == name)
    symbol = definition.symbol
    value = evaluate(compiled, point, ir.Ref(symbol=symbol, span=symbol.span))
    return labelled(compiled.bindings, value, compiled.shapes.index(symbol))


def center_of(compiled: Any, name: str) -> Labelled:
    """Uncertain quantity `name` at its set's center, by its sets' labels."""
    u = next(u for u in compiled.sets if u.name == name)
    center = (centers(compiled) or {}).get(u)
    return None if center is None else labelled(compiled.bindings, center, u.index)


def nominal_objective(compiled: Any, result: Result) -> float | None:
    """The objective of `result`'s decisions with the uncertain quantities at the centers."""
    middle = centers(compiled)
    if middle is None or result.objective is None:
        return None
    point = {**decisions(compiled, result), **middle}
    return float(np.asarray(evaluate(compiled, point, compiled.model.objective.expr)))


def nominal_optimum(compiled: Any, solver: str | None = None) -> float | None:
    """The optimum of the nominal problem: the best decisions if the centers were true."""
    middle = centers(compiled)
    if middle is None or not compiled.model.variables:
        return None
    model = compiled.model
    exact = find_exact_forms(model, compiled.shapes, Evaluator(compiled.shapes,
                                                                compiled.bindings))
    nominal = lower(model, compiled.shapes, compiled.bindings, exact, adversary=middle)
    problem = nominal.problem(model.objective.sense)
    try:
        solve_problem(problem, solver or default_solver(problem))
    except (cp.error.SolverError, NoSolver):
        return None
    return float(problem.value) if problem.status == "optimal" else None


def _shape(compiled: Any, symbol: Symbol) -> tuple[int, ...]:
    return tuple(compiled.bindings.size(s) for s in symbol.index)
