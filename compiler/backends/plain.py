"""Stage 8 of 8: `CompiledModel` — the cvxpy problem plus maps back to the model's names.

`solve()` picks an open solver (compiler/backends/solver_choice.py), turns every
solver outcome into a `Result.status` (never an exception) and reports values, slacks,
duals and binding constraints by name and set label.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd

from compiler.backends.solver_choice import (
    MIP_DEFAULTS,
    NoSolver,
    default_solver,
    problem_class,
    solver_method,
)
from compiler.backends.solver_output import SolveFailed, solve_problem
from compiler.backends.status_notes import explain_status, has_domains, refuse_violations
from compiler.data.bindings import Bindings
from compiler.lowering import tensor
from compiler.lowering.lower import Lowered
from compiler.passes import ir
from compiler.passes.shapes import Shapes
from compiler.passes.symbols import Symbol
from compiler.report.describe import describe_problem
from compiler.report.result import ConstraintReport, Labelled, Result
from compiler.scale import scenario_cvar
from dsl.depth import deep_stack
from dsl.errors import error
from dsl.source import Span

BINDING_TOLERANCE = 1e-6
# answers a solver proved: an infeasible or unbounded model is explained by the diagnosis
DEFINITE = ("optimal", "infeasible", "unbounded")


# Clarabel's default static regularization (1e-8) stalls just short of its tolerance on the
# bond portfolio's exponential cones; 1e-7 converges (measured on the robust bond models).
CLARABEL_RETRY = {"static_regularization_constant": 1e-7}


@dataclass
class CompiledModel:
    """A checked model compiled to cvxpy. `problem` is the underlying `cp.Problem`."""

    model: ir.Model
    shapes: Shapes
    bindings: Bindings
    lowered: Lowered
    problem: cp.Problem
    notes: list[str] = field(default_factory=list)
    backend = "plain"
    # a sweep's rows report no duals: it turns off the mixed-integer dual re-solve
    fixed_duals = True

    def size(self) -> str:
        """The problem's class and size."""
        problem = self.problem
        scalars = sum(v.size for v in problem.variables())
        return (f"{problem_class(problem)}, {len(problem.variables())} variables "
                f"({scalars} scalars), {len(problem.constraints)} cvxpy constraints")

    def summary(self) -> str:
        """One line for `saddle check`: the problem class, its size and the solver."""
        solver = self.default_solver()
        return f"{self.size()}; solver {solver}{solver_method(self.problem, solver)}"

    def emit(self) -> str:
        """`saddle compile --emit cvxpy`: the problem, constraint by name."""
        return describe_problem(self)

    @property
    def is_mixed_integer(self) -> bool:
        return self.problem.is_mixed_integer()

    def default_solver(self) -> str:
        return default_solver(self.problem)

    def ensure_solver(self) -> None:
        """E414 at the source of integrality when no installed solver takes the problem
        (a mixed-integer exponential-cone problem, say): said by `check`, not at solve."""
        try:
            self.default_solver()
        except NoSolver as exc:
            raise error("E414", str(exc), self._integrality_span(),
                        "relax the integer decisions (or the exact nonconvex form), or "
                        "replace the exponential or PSD term") from None

    def _integrality_span(self) -> Span:
        for variable in self.model.variables:
            if {"integer", "binary"} & variable.flags:
                return variable.symbol.span
        for con in self.model.constraints:
            if con.name in self.lowered.exact:
                return con.span
        return self.model.objective.span

    @deep_stack  # cvxpy recurses per level of a deep expression (dsl/depth.py)
    def solve(self, solver: str | None = None, **options: Any) -> Result:
        """Solve and report by name.

        Args:
            solver: a cvxpy solver name (CLARABEL, SCS, OSQP, HIGHS, SCIP, ...); default:
                HiGHS for LPs and MILPs, SCIP for other mixed-integer problems, Clarabel
                otherwise (compiler/backends/solver_choice.py).
            **options: passed to the solver.

        Returns:
            `Result`; its `status` says whether the answer is optimal.
        """
        try:
            name = (solver or self.default_solver()).upper()
        except NoSolver as exc:
            return self._result("solver_error", "", 0.0, [*self.notes, str(exc)])
        if name == "HIGHS" and self.is_mixed_integer:
            options = {**MIP_DEFAULTS, **options}
        notes = list(self.notes)
        started = time.perf_counter()
        try:
            scaled = scenario_cvar.solve(self, solver, options, notes)  # large scenario CVaR
            if scaled is None:
                printed = solve_problem(self.problem, name, **options)
                status = str(self.problem.status)
            else:
                status, printed = scaled
        except SolveFailed as exc:
            printed, status = exc.output, "solver_error"
            notes.append(f"solver {name} failed: {exc}")
        elapsed = time.perf_counter() - started
        status = self._confirmed(status, notes)
        result = self._result(status, name, elapsed, notes)
        if status not in DEFINITE:  # the solver's words are the evidence when it gave up
            result.solver_output = printed
        if status == "optimal" and name == "SCIP":
            result = self._polished(result)
        if status == "optimal" and self.is_mixed_integer and self.lowered.exact and \
                self.fixed_duals:
            self._fixed_integer_duals(result)
        if result.status == "optimal" and name == "SCIP":
            refuse_violations(result)
        return result

    def _confirmed(self, status: str, notes: list[str]) -> str:
        """"unbounded" only if the model is feasible: an interior-point solver may report
        dual infeasibility first on a model that is also infeasible (Clarabel does), and a
        MIP solver may say "infeasible_or_unbounded" (HiGHS). The feasibility problem (the
        same constraints, no objective) decides."""
        if not (status.startswith("unbounded") or status == "infeasible_or_unbounded"):
            return status
        feasibility = cp.Problem(cp.Minimize(0), self.problem.constraints)
        try:
            solve_problem(feasibility, default_solver(feasibility))
        except (cp.error.SolverError, NoSolver):
            return status
        if str(feasibility.status).startswith("infeasible"):
            if status != "infeasible_or_unbounded":
                notes.append(f"the solver reported '{status}', but no point satisfies the "
                             "constraints: the model is infeasible")
            return "infeasible"
        if feasibility.status == "optimal" and status == "infeasible_or_unbounded":
            return "unbounded"
        return status

    def _polished(self, result: Result) -> Result:
        """SCIP's optimum with its integers fixed and the continuous rest solved again by an
        interior-point or simplex solver. SCIP meets a nonlinear objective only to its
        feasibility tolerance (1.2e-6 relative on the treasury variance model; tightening
        it makes SCIP's LPs fail), the re-solve to 1e-8. Kept only if it is no worse."""
        # each integer variable becomes a continuous copy pinned to its value (a constant in
        # its place breaks cvxpy's quad_form canonicalization)
        pinned = {v.id: cp.Variable(v.shape) for v in self.problem.variables()
                  if v.attributes["integer"] or v.attributes["boolean"]}
        values = {v.id: np.round(v.value) for v in self.problem.variables() if v.id in pinned}
        fixed = cp.Problem(_substituted(self.problem.objective, pinned),
                           [_substituted(c, pinned) for c in self.problem.constraints] +
                           [copy == values[key] for key, copy in pinned.items()])
        saved = {v: v.value for v in self.problem.variables()}
        try:
            solver = default_solver(fixed)
            solve_problem(fixed, solver)
        except (cp.error.SolverError, NoSolver):
            solver = None
        sign = 1.0 if self.model.objective.sense is ir.Sense.MAXIMIZE else -1.0
        if solver is None or fixed.status != "optimal" or result.objective is None or \
                sign * (float(fixed.value) - result.objective) < -1e-9 * max(1.0, abs(fixed.value)):
            for v, value in saved.items():  # keep SCIP's own answer
                v.value = value
            return result
        polished = self._result("optimal", result.solver, result.solve_time,
                                [n for n in result.notes if not n.startswith("SCIP's")],
                                objective=float(fixed.value))
        polished.notes.append(f"SCIP's integer values fixed, the continuous part solved again "
                              f"by {solver} (objective {result.objective:.10g} -> "
                              f"{polished.objective:.10g})")
        return polished

    def _fixed_integer_duals(self, result: Result) -> None:
        """Duals of a mixed-integer optimum: re-solve with the binaries fixed (continuous).

        Values in `result` were read before this re-solve, so they are the MIP's own.
        """
        if any(v.attributes["integer"] or v.attributes["boolean"]
               for v in self.lowered.variables.values()):
            return  # integer decisions of the user's own: no continuous problem to price
        fixed = cp.Problem(self.problem.objective, self.lowered.fixed_integer_constraints())
        try:
            solve_problem(fixed, default_solver(fixed))
        except cp.error.SolverError:
            return
        if fixed.status != "optimal":
            return
        for con in self.model.constraints:
            parts = self.lowered.parts.get(con.name)
            report = result.constraints.get(con.name)
            if parts and report is not None:
                dual = np.sum([np.asarray(p.constraint.dual_value, dtype=float)
                               for p in parts], axis=0)
                report.dual = self.labelled(dual, self.shapes.constraints[con.name])
        result.notes.append("duals are those of the continuous problem with the exact forms' "
                            "binaries fixed at the optimum")

    def _result(self, status: str, solver: str, elapsed: float, notes: list[str],
                objective: float | None = None) -> Result:
        model = self.model
        has_values = status in ("optimal", "optimal_inaccurate")
        result = Result(model=model.name, status=status, objective=None,
                        objective_name=model.objective.name, sense=model.objective.sense.value,
                        notes=notes, solver=solver, solve_time=elapsed, problem=self.problem)
        notes.extend(explain_status(status, model, status.startswith("infeasible") and
                                    has_domains(self.problem)))
        if not has_values:
            result.explain = functools.partial(self.diagnose, status)
            return result
        result.objective = float(self.problem.value if objective is None else objective)
        for symbol, variable in self.lowered.variables.items():
            result.values[symbol.name] = self.labelled(variable.value, symbol.index)
        evaluator = self.lowered.evaluator
        for definition in model.lets:
            value = evaluator.let_values.get(definition.symbol) if evaluator else None
            if value is not None:
                result.values[definition.symbol.name] = self.labelled(
                    _value_of(value), self.shapes.index(definition.symbol))
        if evaluator is not None and getattr(evaluator, "ambiguity_terms", None):
            from compiler.uncertainty.ambiguity_report import (
                measure_terms,  # before the rows: it sets
            )
            result.ambiguity = measure_terms(evaluator)  # their multipliers to the minimum
        for con in model.constraints:
            report = self.report(con)
            if report is not None:
                result.constraints[con.name] = report
        return result

    def diagnose(self, status: str) -> Any:
        """Why `status` (infeasible, unbounded) in the model's names
        (`compiler.diagnosis.diagnose`)."""
        from compiler.diagnosis.diagnose import diagnose  # it solves through this module

        return diagnose(self, status)

    def labelled(self, value: Any, index: tuple[Symbol, ...]) -> Labelled:
        return labelled(self.bindings, value, index)

    def report(self, con: ir.Constraint) -> ConstraintReport | None:
        form = self.lowered.exact.get(con.name)
        if form is not None:
            x = np.abs(np.asarray(self.lowered.variables[form.variable].value, dtype=float))
            slack = x - form.threshold
            if form.allow_zero:  # `x == 0 or |x| >= a`: the nearer branch; 0 where x is 0
                slack = np.maximum(slack, -x)
            index = form.variable.index
            return ConstraintReport(self.labelled(x, index), self.labelled(slack, index), None,
                                    self._binding(slack, np.maximum(x, form.threshold), index))
        parts = self.lowered.parts.get(con.name)
        if not parts:
            return None
        index = self.shapes.constraints[con.name]
        slacks = [_slack(p) for p in parts]
        # parts of a chained constraint may mix a scalar side with indexed ones: broadcast
        slack = functools.reduce(np.minimum, slacks)
        scale = functools.reduce(np.maximum, [np.abs(np.asarray(_value_of(side), dtype=float))
                                              for p in parts for side in (p.lhs, p.rhs)])
        duals = [p.constraint.dual_value for p in parts]
        dual = None if any(d is None for d in duals) else np.sum(
            [np.asarray(d, dtype=float) for d in duals], axis=0)
        value = next((_value_of(side) for p in parts for side in (p.lhs, p.rhs)
                      if tensor.is_expr(side) and not side.is_constant()), None)
        return ConstraintReport(self.labelled(value, index), self.labelled(slack, index),
                                self.labelled(dual, index) if dual is not None else None,
                                self._binding(slack, scale, index))

    def _binding(self, slack: np.ndarray, scale: np.ndarray, index: tuple[Symbol, ...]) -> Any:
        """A constraint binds where its slack is within 1e-6 of the size of its sides."""
        tolerance = BINDING_TOLERANCE * np.maximum(1.0, np.asarray(scale, dtype=float))
        flags = np.abs(np.asarray(slack, dtype=float)) <= tolerance
        if not index:
            return bool(flags)
        labelled = self.labelled(flags.astype(float), index)
        return labelled.astype(bool) if isinstance(labelled, pd.Series | pd.DataFrame) else None


def _substituted(node: Any, replacements: dict[int, Any]) -> Any:
    """A copy of a cvxpy expression, constraint or objective with some variables (by id)
    replaced: the continuous problem left when the integers are fixed."""
    if isinstance(node, cp.Variable):
        return replacements.get(node.id, node)
    if not node.args:
        return node
    return node.copy([_substituted(arg, replacements) for arg in node.args])


def _value_of(side: Any) -> Any:
    return side.value if tensor.is_expr(side) else side


def _slack(part: Any) -> np.ndarray:
    lhs = np.asarray(_value_of(part.lhs), dtype=float)
    rhs = np.asarray(_value_of(part.rhs), dtype=float)
    if part.op is ir.Relation.LE:
        return rhs - lhs
    if part.op is ir.Relation.GE:
        return lhs - rhs
    return -np.abs(lhs - rhs)


def labelled(bindings: Bindings, value: Any, index: tuple[Symbol, ...]) -> Labelled:
    """A value by its sets' labels: a float, a Series (one set), a DataFrame (two)."""
    if value is None:
        return None
    array = np.asarray(value, dtype=float) + 0.0  # + 0.0: a solver's -0.0 prints as 0
    if not index:
        # cvxpy gives a scalar quadratic constraint's dual the shape (1,): one number still
        return float(array.reshape(-1)[0]) if array.size == 1 else None
    labels = [bindings.labels_of(s) for s in index]
    if len(index) == 1:
        return pd.Series(array.reshape(-1), index=pd.Index(labels[0], name=index[0].name))
    if len(index) == 2:
        return pd.DataFrame(array, index=pd.Index(labels[0], name=index[0].name),
                            columns=pd.Index(labels[1], name=index[1].name))
    multi = pd.MultiIndex.from_product(labels, names=[s.name for s in index])
    return pd.Series(array.reshape(-1), index=multi)
