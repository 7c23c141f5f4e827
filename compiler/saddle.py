"""Robust models solved, by either path, and their worst case reported.

`RobustModel` builds one of two problems (see `robust.py`): the explicit counterpart or the
saddle-point form for dsp-cvxpy, whose import patches cvxpy and so happens only here and
in `saddle_atoms.py` (the atoms DSP needs where a decision meets an adversary).
DSP's bare `AssertionError` on an infeasible or unbounded problem becomes a status.
"""

from __future__ import annotations

import functools
import time
import warnings
from typing import Any

import cvxpy as cp
import dsp
import numpy as np

from compiler import ir, tensor
from compiler.bindings import Bindings
from compiler.counterpart import (
    Extractor,
    NotAffine,
    RobustRow,
    build_counterpart,
    difference,
    robust_part,
)
from compiler.diagnose import diagnose_robust
from compiler.discipline import check_discipline
from compiler.evaluate import Evaluator
from compiler.exact import ExactForm
from compiler.instances import set_instance
from compiler.lower import Part, lower
from compiler.problem import CLARABEL_RETRY, CompiledModel
from compiler.result import Result
from compiler.saddle_atoms import SaddleAtoms
from compiler.sets import Instance, UncertaintySet
from compiler.shapes import Shapes
from compiler.solver_output import solve_problem
from compiler.symbols import Symbol
from compiler.worst_case import adversary_choice, lets_at_worst_case
from dsl.errors import SpecError, error

RETRY_STATUSES = ("solver_error", "optimal_inaccurate")


class RobustModel:
    """A model with uncertain quantities, compiled for one backend. `solve()` -> `Result`
    with `worst_case`; `verify()` solves both paths and reports their difference."""

    def __init__(self, model: ir.Model, shapes: Shapes, bindings: Bindings,
                 sets: dict[Symbol, UncertaintySet], robust: dict[str, set[Symbol]],
                 exact: dict[str, ExactForm], backend: str, notes: list[str],
                 blocker: Any = None, extractor: Extractor | None = None):
        self.model, self.shapes, self.bindings = model, shapes, bindings
        self.sets, self.robust, self.exact = sets, robust, exact
        self.backend, self.notes = backend, notes
        self.blocker = blocker  # why the counterpart path is unavailable, if it is
        self.extractor = extractor  # the backend check's, with its variables and results
        self.counterpart_available = blocker is None
        self.rows: list[RobustRow] = []
        self.fold = True  # see SaddleAtoms.fold; solve() retries once without it
        self.instances: dict[str, list[Instance]] = {}
        self._check_nominal()
        if backend == "counterpart":
            self.compiled: CompiledModel = self._build_counterpart()
            self.compiled.ensure_solver()
        else:
            try:
                self.compiled = self._build_dsp()
            except (AssertionError, dsp.parser.DSPError):
                # dsp-cvxpy asserts or raises on terms it cannot parse as convex-concave
                raise self._not_saddle(self.sets) from None

    def _check_nominal(self) -> None:
        """The decisions' side must be convex on its own: check the nominal problem (each
        uncertain quantity at its set's center) with located errors (E401, E402)."""
        centers = {u: s.center() for u, s in self.sets.items()}
        if any(c is None for c in centers.values()):
            return  # a set written as constraints has no center; DSP checks the whole
        nominal = lower(self.model, self.shapes, self.bindings, self.exact,
                        adversary=centers)
        check_discipline(self.model, nominal)

    @property
    def problem(self) -> cp.Problem:
        return self.compiled.problem

    # ---- the explicit counterpart ----

    def _build_counterpart(self) -> CompiledModel:
        lowered, rows = build_counterpart(self.model, self.shapes, self.bindings, self.exact,
                                          self.sets, self.robust, self.extractor)
        self.rows += rows
        sense = cp.Minimize if self.model.objective.sense is ir.Sense.MINIMIZE else cp.Maximize
        problem = cp.Problem(sense(lowered.objective), lowered.constraints())
        return CompiledModel(self.model, self.shapes, self.bindings, lowered, problem,
                             list(self.notes) + list(lowered.notes))

    def bindings_shape(self, index: tuple[Symbol, ...]) -> tuple[int, ...]:
        return tuple(self.bindings.size(s) for s in index)

    # ---- the saddle-point form ----

    def _build_dsp(self) -> CompiledModel:
        lets = {d.symbol: d for d in self.model.lets}
        plain = Evaluator(self.shapes, self.bindings, lets=lets)
        in_objective = Extractor(plain, self.model).uncertain_in(self.model.objective.expr)
        objective_instances = {u: self._instance(u, cp.Variable) for u in in_objective}
        adversary_vars = {i.primitive for i in objective_instances.values()}
        maximize = self.model.objective.sense is ir.Sense.MAXIMIZE
        lowered = lower(self.model, self.shapes, self.bindings, self.exact,
                        adversary={u: i.expression for u, i in objective_instances.items()},
                        skip=set(self.robust),
                        saddle=SaddleAtoms(adversary_vars, adversary_first=maximize,
                                           fold=self.fold))
        self.instances["objective"] = list(objective_instances.values())
        decisions = dict(lowered.variables)
        extractor = Extractor(Evaluator(self.shapes, self.bindings, decisions, lets),
                              self.model, entropy_terms=False)
        affine = self._affine_objective(extractor, objective_instances, maximize)
        if affine is not None:
            lowered.objective = affine
        extra: list[Any] = [c for i in objective_instances.values() for c in i.constraints]
        for con in self.model.constraints:
            if con.name in self.robust and isinstance(con.condition, ir.Comparison):
                lowered.parts[con.name] = self._robust_dsp(con, decisions, lets, extractor)
        lowered.extra += extra
        sense = self.model.objective.sense
        constraints = lowered.constraints()
        if objective_instances:
            # For `maximize`, the adversary minimizes: min_u max_x f has the same saddle
            # point for a convex-concave f, and avoids negating f (DSP's parser cannot
            # negate a bilinear term).
            players = [list(decisions.values()),
                       [i.primitive for i in objective_instances.values()]]
            if sense is ir.Sense.MAXIMIZE:
                players.reverse()
            saddle = dsp.SaddlePointProblem(
                dsp.MinimizeMaximize(lowered.objective), constraints,
                minimization_vars=players[0], maximization_vars=players[1])
            if not saddle.is_dsp():
                raise self._not_saddle(objective_instances)
            problem: cp.Problem = saddle
        else:
            goal = cp.Minimize if sense is ir.Sense.MINIMIZE else cp.Maximize
            problem = cp.Problem(goal(lowered.objective), constraints)
        return CompiledModel(self.model, self.shapes, self.bindings, lowered, problem,
                             list(self.notes) + list(lowered.notes))

    def _affine_objective(self, extractor: Extractor, instances: dict[Symbol, Instance],
                          maximize: bool) -> Any:
        """An objective affine in the adversary as b(x) + sum_u inner(a_u(x), u): the one
        bilinear form DSP parses in every spelling (`u * w`, `-(w @ u)`, `t * sum(w)`)."""
        try:
            lin = extractor.extract(self.model.objective.expr)
        except NotAffine:
            return None
        total = lin.const
        for u, coef in lin.coef.items():
            a = _vector(coef)
            v = _vector(instances[u].expression)
            total = total + (dsp.inner(v, a) if maximize else dsp.inner(a, v))
        return total

    def _not_saddle(self, instances: dict[Symbol, Any]) -> Exception:
        objective = self.model.objective
        names = ", ".join(f"'{u.name}'" for u in instances)
        adversary = "minimize" if objective.sense is ir.Sense.MAXIMIZE else "maximize"
        shape = "convex" if adversary == "minimize" else "concave"
        decision = "concave" if adversary == "minimize" else "convex"
        node = self.blocker.node if self.blocker is not None else objective.expr
        return error("E412", f"'{node.span.text.strip()}' makes objective '{objective.name}' "
                     f"not convex-concave", node.span,
                     f"the adversary chooses {names} to {adversary} '{objective.name}', so the "
                     f"objective must be {shape} in {names} and {decision} in the decisions; "
                     f"rewrite this term, or move the uncertain quantity into an affine term")

    def _instance(self, u: Symbol, make: Any) -> Instance:
        return set_instance(self.model, self.shapes, self.bindings, self.sets, u, make)

    def _robust_dsp(self, con: ir.Constraint, decisions: dict[Symbol, Any],
                    lets: dict[Symbol, ir.LetDef], extractor: Extractor) -> list[Part]:
        """Each element of each part: its own local copy of the uncertain quantities.

        An affine part g = b(x) + A(x) u (from the counterpart's extractor) becomes, row by
        row, saddle_max(b_i + inner(A_i, u_i)) <= 0: the sign stays in the coefficients.
        Other parts are lowered directly, oriented so the uncertain side is not negated.
        """
        index = self.shapes.constraints[con.name]
        shape = self.bindings_shape(index)
        count = int(np.prod(shape)) if shape else 1
        condition = con.condition
        if not isinstance(condition, ir.Comparison):
            return []
        parts = []
        for k, op in enumerate(condition.ops):
            lhs, rhs = condition.terms[k], condition.terms[k + 1]
            high, low = (lhs, rhs) if op is ir.Relation.LE else (rhs, lhs)
            label = con.name if len(condition.ops) == 1 else f"{con.name} (part {k + 1})"
            try:
                gap = difference(extractor, high, low, index)
            except NotAffine:
                parts.append(self._robust_direct(con, label, lhs, op, rhs, decisions, lets,
                                                 index, shape, count))
                continue
            const = tensor.reshape(tensor.broadcast(gap.const, index, index, shape),
                                   (count,)) if shape else gap.const
            matrices = {u: tensor.reshape(tensor.broadcast(
                k_, index + (extractor.axis(u),), index + (extractor.axis(u),),
                tuple(shape) + (extractor.size(u),)), (count, extractor.size(u)))
                for u, k_ in gap.coef.items()}
            extremes = []
            for row in range(count):
                local = {u: self._instance(u, dsp.LocalVariable) for u in matrices}
                self.instances.setdefault(label, []).extend(local.values())
                bilinear = sum(dsp.inner(_vector(matrix[row]), _vector(local[u].expression))
                               for u, matrix in matrices.items())
                rows = [c for i in local.values() for c in i.constraints]
                # the certain part stays outside saddle_max: DSP cannot classify a decision
                # that appears only there (`beta * e <= t`: t)
                extremes.append((const[row] if shape else const)
                                + dsp.saddle_max(bilinear, rows))
            stacked = cp.hstack(extremes)
            worst = cp.reshape(stacked, (count,), order="C")
            parts.append(robust_part(worst, op, extractor, lhs, rhs, index, shape))
        return parts

    def _robust_direct(self, con: ir.Constraint, label: str, lhs: ir.Expr, op: ir.Relation,
                       rhs: ir.Expr, decisions: dict[Symbol, Any],
                       lets: dict[Symbol, ir.LetDef], index: tuple[Symbol, ...],
                       shape: tuple[int, ...], count: int) -> Part:
        """A part that is not affine in the uncertain quantities, lowered as written."""
        uncertain = self.robust[con.name]
        probe = Extractor(Evaluator(self.shapes, self.bindings, decisions, lets), self.model,
                          entropy_terms=False)
        right_only = not probe.uncertain_in(lhs)
        first, second = (rhs, lhs) if right_only else (lhs, rhs)
        upper = (op is ir.Relation.LE) != right_only  # saddle_max(first - second) <= 0
        extremes = []
        for row in range(count):
            local = {u: self._instance(u, dsp.LocalVariable) for u in uncertain}
            self.instances.setdefault(label, []).extend(local.values())
            ev = Evaluator(self.shapes, self.bindings,
                           {**decisions, **{u: i.expression for u, i in local.items()}}, lets)
            # saddle_max: the adversary maximizes, the decision side goes first;
            # saddle_min: the adversary minimizes and goes first.
            ev.saddle = SaddleAtoms({i.primitive for i in local.values()},
                                    adversary_first=not upper, fold=self.fold)
            gap = (tensor.broadcast(ev(first), ev.index(first), index, shape)
                   - tensor.broadcast(ev(second), ev.index(second), index, shape))
            element = gap[np.unravel_index(row, shape)] if shape else gap
            rows = [c for i in local.values() for c in i.constraints]
            extremum = dsp.saddle_max if upper else dsp.saddle_min
            extremes.append(extremum(element, rows))
        stacked = cp.hstack(extremes)
        worst = cp.reshape(stacked, shape, order="C") if shape else stacked[0]
        if upper:
            return Part(worst, ir.Relation.LE, 0.0, worst <= 0)
        return Part(worst, ir.Relation.GE, 0.0, worst >= 0)

    # ---- solving and reporting ----

    def solve(self, solver: str | None = None, **options: Any) -> Result:
        name = solver or ("CLARABEL" if self.backend == "dsp"
                          else self.compiled.default_solver())
        retry = name == "CLARABEL" and not options
        with warnings.catch_warnings():
            if retry:  # an inaccurate first answer is retried below, not reported
                warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            result = self._solve_compiled(name, options)
        if result.status in RETRY_STATUSES and retry:
            # Clarabel stalls short of its tolerance on some exponential-cone forms (the
            # robust bond models): on the saddle-point path, first the log-sum-exp's
            # constants kept in the exponents instead of the weights, then a larger
            # regularization (measured: the regularized answer can be 6e-4 off on the floor
            # model, the other split is not). Said in the notes.
            first = result.status
            if self.backend == "dsp":  # the other split first: it keeps Clarabel's accuracy
                self.fold, self.instances = False, {}
                self.compiled = self._build_dsp()
                result = self._solve_compiled(name, {})
            if result.status in RETRY_STATUSES:
                result = self._solve_compiled(name, CLARABEL_RETRY)
            result.notes.append(f"the first solve ended '{first}'; solved again with "
                                "Clarabel's retry settings")
        if result.status in RETRY_STATUSES and retry and self.backend == "counterpart":
            result = self._saddle_point_fallback(result, name)
            if result.worst_case.get("backend") == "dsp":
                return result
        if not result.status.startswith("optimal"):
            result.notes.append(self._diagnosis(name))
            result.explain = functools.partial(diagnose_robust, self, result.status)
        result.worst_case = {"backend": self.backend}
        if self.backend == "dsp" and isinstance(self.problem, dsp.SaddlePointProblem) and \
                result.status.startswith("optimal"):
            x_value, y_value = self.problem.x_prob.value, self.problem.y_prob.value
            result.worst_case["gap"] = float(abs(x_value + y_value))
        elif result.status.startswith("optimal"):
            result.worst_case["gap"] = 0.0
        if result.status.startswith("optimal"):
            result.worst_case.update(adversary_choice(self))
            lets_at_worst_case(self, result)
        result.compiled = self  # the sets' centers, for nominal views (compiler/nominal.py)
        return result

    def _saddle_point_fallback(self, result: Result, name: str | None) -> Result:
        """The counterpart solve still failed: the saddle-point form of the same model, if
        it takes it (continuous decisions), is the second opinion; said in the notes."""
        if any({"integer", "binary"} & v.flags for v in self.model.variables):
            return result
        try:
            twin = RobustModel(self.model, self.shapes, self.bindings, self.sets,
                               self.robust, self.exact, "dsp", [])
        except SpecError:
            return result
        second = twin.solve(solver=name)
        if not second.status.startswith("optimal"):
            return result
        second.notes[:0] = self.notes + [f"the closed-form counterpart's solve ended "
                                         f"'{result.status}'; the saddle-point form solved "
                                         "the same model"]
        return second

    def _solve_compiled(self, name: str | None, options: dict[str, Any]) -> Result:
        try:
            return self.compiled.solve(solver=name, **options)
        except AssertionError:
            # dsp-cvxpy asserts instead of reporting an infeasible or unbounded saddle
            # problem; its first (x) problem's status says which.
            return self._failed(name or "CLARABEL")

    def _failed(self, solver: str) -> Result:
        status = "infeasible_or_unbounded"
        if isinstance(self.problem, dsp.SaddlePointProblem):
            inner = self.problem.x_prob.status
            if inner in ("infeasible", "unbounded"):
                status = str(inner)
        return Result(model=self.model.name, status=status, objective=None,
                      objective_name=self.model.objective.name,
                      sense=self.model.objective.sense.value, solver=solver,
                      notes=list(self.compiled.notes), problem=self.problem)

    def _diagnosis(self, solver: str | None) -> str:
        """Infeasible for every value of the uncertain quantities, or even at the nominal?"""
        centers = {u: s.center() for u, s in self.sets.items()}
        if any(c is None for c in centers.values()):
            return "the uncertain quantities' sets have no center to test the nominal problem"
        nominal = lower(self.model, self.shapes, self.bindings, self.exact, adversary=centers)
        sense = cp.Minimize if self.model.objective.sense is ir.Sense.MINIMIZE else cp.Maximize
        problem = cp.Problem(sense(nominal.objective), nominal.constraints())
        try:
            solve_problem(problem, solver)
        except cp.error.SolverError:
            return "the nominal problem (each uncertain quantity at its set's center) failed too"
        if problem.status == "optimal":
            return ("the nominal problem (each uncertain quantity at its set's center) is "
                    "solvable: the robust constraints cannot hold for every value in the "
                    "sets; shrink a set or relax a robust limit")
        return (f"the nominal problem (each uncertain quantity at its set's center) is "
                f"{problem.status} too: the trouble is not the uncertainty")

    def verify(self, solver: str | None = None) -> dict[str, Any]:
        """Solve with both paths (where both exist) and report the difference."""
        other = "dsp" if self.backend == "counterpart" else "counterpart"
        if not self.counterpart_available:
            return {"checked": False, "reason": "only the saddle-point path applies"}
        if self.compiled.is_mixed_integer:
            return {"checked": False, "reason": "only the counterpart path applies: the "
                    "saddle-point form (dsp-cvxpy) takes continuous decisions only"}
        twin = RobustModel(self.model, self.shapes, self.bindings, self.sets, self.robust,
                           self.exact, other, [])
        started = time.perf_counter()
        mine, theirs = self.solve(solver=solver), twin.solve(solver=solver)
        return {"checked": True, self.backend: mine.objective, other: theirs.objective,
                "difference": (abs(mine.objective - theirs.objective)
                               if mine.objective is not None and theirs.objective is not None
                               else None),
                "statuses": {self.backend: mine.status, other: theirs.status},
                "seconds": time.perf_counter() - started}


def _vector(value: Any) -> Any:
    """A value as a flat vector (C order), as dsp.inner takes it."""
    if tensor.is_expr(value):
        return cp.reshape(value, (int(np.prod(value.shape)) if value.shape else 1,),
                          order="C")
    return np.asarray(value, dtype=float).reshape(-1)
