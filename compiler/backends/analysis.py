"""Worst-case analysis: a model with uncertain quantities and no decisions.

With nothing to choose, there is no game: each question is the adversary's own convex
problem, solved on its own. The objective's worst case is its minimum over the sets (for
`maximize`; maximum for `minimize`), and each element of each constraint has its own worst
case, reported as the constraint's value and slack — a risk limit checked against every
value in the sets (e.g. the first-order estimate of a bond portfolio's worst-case return
beside the exact one, in models/robust_bond_analysis.saddle). A limit that fails in the
worst case is a finding, reported by name, not an infeasible problem.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd

from compiler.backends.plain import CLARABEL_RETRY, labelled
from compiler.backends.solver_choice import installed_solvers, problem_class
from compiler.backends.solver_output import solve_problem
from compiler.data.bindings import Bindings
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.lowering.instances import set_instance
from compiler.passes import ir
from compiler.passes.shapes import Shapes
from compiler.passes.symbols import Symbol
from compiler.report.describe import short
from compiler.report.result import ConstraintReport, Result
from compiler.uncertainty.base import Instance, UncertaintySet
from dsl.errors import error

TOLERANCE = 1e-7  # a worst-case slack this small counts as binding


class WorstCaseAnalysis:
    """`solve()` -> `Result`: the worst-case objective, each limit's worst case, and the
    adversary's choice for each (`Result.worst_case`), lets evaluated at the objective's."""

    backend = "analysis"

    def __init__(self, model: ir.Model, shapes: Shapes, bindings: Bindings,
                 sets: dict[Symbol, UncertaintySet], notes: list[str]):
        self.model, self.shapes, self.bindings, self.sets = model, shapes, bindings, sets
        self.notes = notes + ["no decisions: a worst-case analysis, each question solved as "
                              "the adversary's own convex problem"]
        self.lets = {d.symbol: d for d in model.lets}
        # the adversary's problem of each question, by what it asks (`saddle compile --emit`)
        self.problems: dict[str, cp.Problem] = {}
        self._check()

    def emit(self) -> str:
        """The adversary's problem of each question."""
        lines = [f"worst-case analysis {self.model.name}: one adversary problem per question"]
        for what, problem in self.problems.items():
            lines += [f"{what}: {problem_class(problem)}, "
                      f"{sum(v.size for v in problem.variables())} scalars",
                      f"  {short(str(problem.objective))}"]
            lines += [f"  {short(str(c))}" for c in problem.constraints]
        return "\n".join(lines)

    def summary(self) -> str:
        return (f"worst-case analysis (no decisions): the objective and "
                f"{len(self.model.constraints)} limit(s), each the adversary's own convex "
                "problem")

    def _check(self) -> None:
        """Located errors before any solve: each limit's form, each question's curvature."""
        objective = self.model.objective
        self._worst(objective.expr, objective.sense is ir.Sense.MAXIMIZE, None, {},
                    f"objective '{objective.name}'", solve=False)
        for con in self.model.constraints:
            lhs, rhs, op = _limit_sides(con)
            gap = self._gap(con, lhs, rhs)
            self._worst(gap, op is ir.Relation.GE, None, {}, f"constraint '{con.name}'",
                        None if not self.shapes.constraints[con.name] else 0, solve=False)

    def _gap(self, con: ir.Constraint, lhs: ir.Expr, rhs: ir.Expr) -> ir.Expr:
        gap = ir.BinOp(op=ir.BinOperator.SUB, left=lhs, right=rhs, span=con.span)
        self.shapes.of[gap] = self.shapes.constraints[con.name]
        return gap

    def solve(self, solver: str | None = None, **options: Any) -> Result:
        started = time.perf_counter()
        name = solver or ("CLARABEL" if "CLARABEL" in installed_solvers() else None)
        objective = self.model.objective
        adversary_minimizes = objective.sense is ir.Sense.MAXIMIZE
        status, value, ev, chosen = self._worst(objective.expr, adversary_minimizes, name,
                                                options, f"objective '{objective.name}'")
        result = Result(model=self.model.name, status=status, objective=value,
                        objective_name=objective.name, sense=objective.sense.value,
                        solver=name or "", notes=list(self.notes))
        result.backend, result.worst_case = self.backend, {"objective": chosen}
        for symbol in self.lets:
            let_value = ev(ir.Ref(symbol=symbol, span=symbol.span))
            result.values[symbol.name] = labelled(self.bindings, _value(let_value),
                                                  self.shapes.index(symbol))
        for con in self.model.constraints:
            report, worst, con_status = self._limit(con, name, options)
            result.constraints[con.name] = report
            result.worst_case[con.name] = worst
            if con_status != "optimal":
                status = con_status
        result.status = status
        violated = [c for c, r in result.constraints.items()
                    if np.nanmin(np.atleast_1d(np.asarray(r.slack, dtype=float))) < -TOLERANCE]
        if violated:
            result.notes.append("violated in the worst case: " + ", ".join(violated))
        result.solve_time = time.perf_counter() - started
        # the sets' centers, for nominal views (compiler/backends/nominal.py)
        result.compiled = self
        return result

    # ---- one adversary problem ----

    def _instances(self) -> dict[Symbol, Instance]:
        return {u: set_instance(self.model, self.shapes, self.bindings, self.sets, u,
                                cp.Variable) for u in self.sets}

    def _worst(self, expr: ir.Expr, minimize: bool, solver: str | None,
               options: dict[str, Any], what: str, element: int | None = None,
               solve: bool = True) -> tuple[str, float | None, Evaluator, dict[str, Any]]:
        instances = self._instances()
        ev = Evaluator(self.shapes, self.bindings,
                       {u: i.expression for u, i in instances.items()}, self.lets)
        value = ev(expr)
        if element is not None:
            value = cp.vec(value, order="C")[element] if tensor.is_expr(value) else \
                np.ravel(value)[element]
        if not tensor.is_expr(value):
            return "optimal", float(value), ev, {}
        goal = cp.Minimize(value) if minimize else cp.Maximize(value)
        problem = cp.Problem(goal, [c for i in instances.values() for c in i.constraints])
        self.problems[what if element is None else f"{what} element {element}"] = problem
        if not problem.is_dcp():
            shape = "convex" if minimize else "concave"
            raise error("E412", f"the adversary cannot solve for the worst case of {what}",
                        expr.span, f"the adversary {'minimizes' if minimize else 'maximizes'} "
                        f"this over the uncertainty sets, so it must be {shape} in the "
                        "uncertain quantities")
        if not solve:
            return "unsolved", None, ev, {}
        try:
            retry = solver == "CLARABEL" and not options
            with warnings.catch_warnings():
                if retry:  # an inaccurate first answer is retried below, not reported
                    warnings.filterwarnings("ignore", message="Solution may be inaccurate")
                solve_problem(problem, solver, **options)
            if problem.status == "optimal_inaccurate" and retry:
                solve_problem(problem, solver, **CLARABEL_RETRY)
        except cp.error.SolverError as exc:
            return f"solver_error: {exc}", None, ev, {}
        chosen: dict[str, Any] = {}
        for u, instance in instances.items():
            labels = self.bindings.labels_of(u.index[0]) if len(u.index) == 1 else None
            flat = _value(instance.expression)
            chosen[u.name] = (flat if flat is None or labels is None
                              else _series(flat, labels))
        return str(problem.status), (None if problem.value is None
                                     else float(problem.value)), ev, chosen

    def _limit(self, con: ir.Constraint, solver: str | None,
               options: dict[str, Any]) -> tuple[ConstraintReport, dict[str, Any], str]:
        """Each element's worst case of `lhs - rhs` (down for >=, up for <=)."""
        lhs, rhs, op = _limit_sides(con)
        index = self.shapes.constraints[con.name]
        sizes = tuple(self.bindings.size(s) for s in index)
        gap = self._gap(con, lhs, rhs)
        count = int(np.prod(sizes)) if sizes else 1
        slacks, values, chosen, status = [], [], [], "optimal"
        for k in range(count):
            one_status, worst, ev, picked = self._worst(
                gap, op is ir.Relation.GE, solver, options, f"constraint '{con.name}'",
                None if not index else k)
            if one_status != "optimal":
                status = one_status
            worst = np.nan if worst is None else worst
            slacks.append(worst if op is ir.Relation.GE else -worst)
            lhs_value = _value(tensor.broadcast(ev(lhs), ev.index(lhs), index, sizes))
            values.append(np.nan if lhs_value is None else np.ravel(lhs_value)[k])
            chosen.append(picked)
        slack = np.array(slacks).reshape(sizes)
        report = ConstraintReport(
            value=labelled(self.bindings, np.array(values).reshape(sizes), index),
            slack=labelled(self.bindings, slack, index), dual=None,
            binding=(bool(abs(float(slack)) <= TOLERANCE) if not index
                     else _flags(labelled(self.bindings,
                                          (np.abs(slack) <= TOLERANCE).astype(float), index))))
        return report, (chosen[0] if len(chosen) == 1 else {"elements": chosen}), status


def _limit_sides(con: ir.Constraint) -> tuple[ir.Expr, ir.Expr, ir.Relation]:
    condition = con.condition
    if not isinstance(condition, ir.Comparison) or len(condition.terms) != 2:
        raise error("E211", f"constraint '{con.name}' in a model without decisions",
                    con.span, "write each limit of a worst-case analysis as one "
                    "comparison, `expression >= limit` or `expression <= limit`")
    if condition.ops[0] is ir.Relation.EQ:
        raise error("E411", f"an equality in a model without decisions ('{con.name}')",
                    con.span, "a worst-case limit is an inequality: >= or <=")
    return condition.terms[0], condition.terms[1], condition.ops[0]


def _value(value: Any) -> Any:
    return value.value if tensor.is_expr(value) else value


def _series(flat: Any, labels: list[Any]) -> pd.Series:
    return pd.Series(np.asarray(flat, dtype=float).reshape(-1), index=labels)


def _flags(value: Any) -> Any:
    return value.astype(bool) if isinstance(value, pd.Series | pd.DataFrame) else None
