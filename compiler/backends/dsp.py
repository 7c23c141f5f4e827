"""Robust models solved, by either path, and their worst case reported.

`RobustModel` builds one of two problems (see `robust.py`): the explicit counterpart or the
saddle-point form for dsp-cvxpy, whose import patches cvxpy and so happens only here and
in `dsp_atoms.py` (the atoms DSP needs where a decision meets an adversary).
DSP's bare `AssertionError` on an infeasible or unbounded problem becomes a status.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import cvxpy as cp
import dsp
import numpy as np

from compiler.backends.affine import NotAffine
from compiler.backends.certificate import TIGHTER, UNCERTIFIED, certify
from compiler.backends.counterpart import Extractor, RobustRow, relaxed
from compiler.backends.counterpart_model import build_counterpart
from compiler.backends.cvar_fallback import large_cvar, lp_line, replace_unlocated
from compiler.backends.dsp_atoms import SaddleAtoms
from compiler.backends.dsp_rows import (
    NOT_PARSED,
    adversary_nonneg,
    known_nonneg,
    objective_error,
    robust_rows,
)
from compiler.backends.plain import CLARABEL_RETRY, CompiledModel
from compiler.backends.robust_forms import coefficient_blocker
from compiler.backends.solver_output import solve_problem
from compiler.backends.verify import both_backends
from compiler.backends.worst_case import adversary_choice, lets_at_worst_case
from compiler.data.bindings import Bindings
from compiler.diagnosis.diagnose import diagnose_robust
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.lowering.instances import set_instance
from compiler.lowering.lower import goal, lower, make_variable
from compiler.passes import ir
from compiler.passes.discipline import check_discipline
from compiler.passes.exact import ExactForm
from compiler.passes.shapes import Shapes
from compiler.passes.symbols import Symbol
from compiler.report.result import Result
from compiler.uncertainty.base import Instance, UncertaintySet
from dsl.errors import SpecError

RETRY_STATUSES = ("solver_error", "optimal_inaccurate")
DSP_REBUILDS = (False, True, False)  # the log-sum-exp split of each rebuild (SaddleAtoms.fold)


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
        if backend == "counterpart":
            # The nominal check is a second lowering of the whole model: run only where the
            # counterpart fails to build or is not DCP, so its located E401/E402 still come
            # first there (the counterpart keeps the certain part, and its worst-case forms
            # are convex wherever the nominal terms are).
            try:
                self.compiled: CompiledModel = self._build_counterpart()
            except Exception:
                self._check_nominal()
                raise
            if not self.compiled.problem.is_dcp():
                self._check_nominal()
            self.compiled.ensure_solver()
        else:
            self._check_nominal()
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

    def summary(self) -> str:
        return f"robust model, {self.backend} backend ({self.compiled.summary()})"

    def emit(self) -> str:
        return (f"robust model {self.model.name}: the {self.backend} backend's problem\n"
                + self.compiled.emit())

    # ---- the explicit counterpart ----

    def _build_counterpart(self) -> CompiledModel:
        lowered, rows = build_counterpart(self.model, self.shapes, self.bindings, self.exact,
                                          self.sets, self.robust, self.extractor)
        self.rows += rows
        problem = lowered.problem(self.model.objective.sense)
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
        variables = {d.symbol: make_variable(d, self.bindings) for d in self.model.variables}
        atoms = SaddleAtoms(adversary_vars, adversary_first=maximize, fold=self.fold,
                            nonneg=known_nonneg(self, variables) | adversary_nonneg(
                                self, list(objective_instances.values())))
        try:
            lowered = lower(self.model, self.shapes, self.bindings, self.exact,
                            adversary={u: i.expression for u, i in objective_instances.items()},
                            skip=set(self.robust), saddle=atoms, variables=variables)
        except NOT_PARSED:
            raise objective_error(self) from None
        self.instances["objective"] = list(objective_instances.values())
        decisions = dict(lowered.variables)
        extractor = Extractor(Evaluator(self.shapes, self.bindings, decisions, lets),
                              self.model, entropy_terms=False)
        extra: list[Any] = [c for i in objective_instances.values() for c in i.constraints]
        relaxed_vars: list[cp.Variable] = []  # stand-ins for non-affine coefficients
        affine = self._affine_objective(extractor, objective_instances, maximize, extra,
                                        relaxed_vars)
        if affine is not None:
            lowered.objective = affine
        for con in self.model.constraints:
            if con.name in self.robust and isinstance(con.condition, ir.Comparison):
                lowered.parts[con.name] = robust_rows(self, con, decisions, lets, extractor,
                                                      extra, relaxed_vars)
        lowered.extra += extra
        sense = self.model.objective.sense
        constraints = lowered.constraints()
        if objective_instances:
            # For `maximize`, the adversary minimizes: min_u max_x f has the same saddle
            # point for a convex-concave f, and avoids negating f (DSP's parser cannot
            # negate a bilinear term).
            players = [list(decisions.values()) + relaxed_vars,
                       [i.primitive for i in objective_instances.values()]]
            if sense is ir.Sense.MAXIMIZE:
                players.reverse()
            saddle = dsp.SaddlePointProblem(
                dsp.MinimizeMaximize(lowered.objective), constraints,
                minimization_vars=players[0], maximization_vars=players[1])
            if not saddle.is_dsp():
                raise objective_error(self)
            problem: cp.Problem = saddle
        else:
            problem = cp.Problem(goal(sense, lowered.objective), constraints)
        return CompiledModel(self.model, self.shapes, self.bindings, lowered, problem,
                             list(self.notes) + list(lowered.notes))

    def _affine_objective(self, extractor: Extractor, instances: dict[Symbol, Instance],
                          maximize: bool, extra: list[Any],
                          relaxed_vars: list[cp.Variable]) -> Any:
        """An objective affine in the adversary as b(x) + sum_u inner(a_u(x), u): the one
        bilinear form DSP parses in every spelling (`u * w`, `-(w @ u)`, `t * sum(w)`).
        A coefficient convex in the decisions is relaxed (robust_forms.relaxed)."""
        try:
            lin = extractor.extract(self.model.objective.expr)
        except NotAffine:
            return None
        if coefficient_blocker(lin, -1.0 if maximize else 1.0, self.sets) is not None:
            return None  # the lowered objective stays, and objective_error says why
        total = lin.const
        for u, coef in lin.coef.items():
            a, bound = relaxed(_vector(coef), -1.0 if maximize else 1.0,
                               self.sets[u].bounds() if tensor.is_expr(coef) and
                               not coef.is_affine() else None, u.name)
            extra += bound
            relaxed_vars += [a] if bound else []
            v = _vector(instances[u].expression)
            total = total + (dsp.inner(v, a) if maximize else dsp.inner(a, v))
        return total

    def _not_saddle(self, instances: dict[Symbol, Any]) -> Exception:
        return objective_error(self)  # dsp_rows.py: the term to blame, and why

    def _instance(self, u: Symbol, make: Any) -> Instance:
        return set_instance(self.model, self.shapes, self.bindings, self.sets, u, make)

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
            if self.backend == "dsp":
                # rebuilt, alternating the split: it keeps Clarabel's accuracy. dsp-cvxpy
                # orders its variables by address, so each build is a new draw of Clarabel's
                # path (measured on the floor model: ~1 in 4 builds ends inaccurate); the
                # regularized retry is the last resort (it was 1e-4 to 7e-4 off there).
                for fold in DSP_REBUILDS:
                    self.fold, self.instances = fold, {}
                    self.compiled = self._build_dsp()
                    result = self._solve_compiled(name, {})
                    if result.status not in RETRY_STATUSES:
                        break
            if result.status in RETRY_STATUSES:
                result = self._solve_compiled(name, CLARABEL_RETRY)
            result.notes.append(f"the first solve ended '{first}'; solved again with "
                                "Clarabel's retry settings")
        if result.status in RETRY_STATUSES and retry and self.backend == "counterpart":
            result = self._saddle_point_fallback(result, name)
            if result.backend == "dsp":
                return result
        self._report(result, name)
        if result.status == UNCERTIFIED and retry:
            result = self._tighter(result, name)
        return result

    def _report(self, result: Result, name: str | None) -> None:
        """The worst case, the certificate, or why there is no answer."""
        if not result.status.startswith("optimal"):
            result.notes.append(self._diagnosis(name))
            result.explain = functools.partial(diagnose_robust, self, result.status)
        result.backend, result.worst_case = self.backend, {}
        if result.status.startswith("optimal"):
            result.worst_case.update(adversary_choice(self))
            lets_at_worst_case(self, result)
            # the saddle gap and each robust row measured again, apart (certificate.py)
            certify(self, result)
        # the sets' centers, for nominal views (compiler/backends/nominal.py)
        result.compiled = self

    def _tighter(self, first: Result, name: str) -> Result:
        """An answer the certificate does not vouch for, solved again with Clarabel's
        tolerances at 1e-9 (measured: the saddle-point form of robust_bond on the paper's
        data is 1.7e-6 off at Clarabel's default 1e-8, 4e-8 at 1e-9); the second answer
        is kept only if it is certified."""
        held = [(v, v.value) for v in self.compiled.lowered.variables.values()] + \
            [(i.primitive, i.primitive.value) for copies in self.instances.values()
             for i in copies]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            second = self._solve_compiled(name, TIGHTER)
        if second.status == "optimal":
            self._report(second, name)
        if second.status != "optimal":
            for variable, value in held:  # the first answer's values, as it reports them
                variable.value = value
            first.notes.append(f"solved again with Clarabel's tolerances at 1e-9: that "
                               f"answer ended '{second.status}', so this one stands")
            return first
        second.notes.append(f"the first answer was not certified (saddle gap "
                            f"{first.gap if first.gap is not None else math.nan:.3g}); "
                            "solved again with Clarabel's tolerances at 1e-9")
        return second

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
            result = self.compiled.solve(solver=name, **options)
            if large_cvar(self.compiled.problem):
                # on the RU LP: said with its place (cvar_fallback.py); the solver is the
                # user's only if it is not the backend's own choice
                asked = name if self.backend == "counterpart" and \
                    name != self.compiled.default_solver() else None
                replace_unlocated(result.notes, lp_line(self.compiled, solver=asked))
            return result
        except AssertionError:
            # dsp-cvxpy asserts instead of reporting an infeasible or unbounded saddle
            # problem; the decisions' own problem says which (`_decisions_status`).
            return self._failed(name or "CLARABEL")
        except TypeError:
            if self.backend != "dsp":
                raise
            # cvxpy builds a named solver's chain before DSP's atoms expand into their cones,
            # then fails on a cone that solver lacks (SCIPY and an exponential cone)
            solver = (name or "CLARABEL").upper()
            return self.compiled._result(
                "solver_error", solver, 0.0,
                [*self.compiled.notes, f"solver {solver} cannot take the saddle-point form "
                 "of this model (it lacks one of its cones); use CLARABEL or SCS"])

    def _failed(self, solver: str) -> Result:
        status = "infeasible_or_unbounded"
        if isinstance(self.problem, dsp.SaddlePointProblem):
            status = self._decisions_status(self.problem, solver)
        return Result(model=self.model.name, status=status, objective=None,
                      objective_name=self.model.objective.name,
                      sense=self.model.objective.sense.value, solver=solver,
                      notes=list(self.compiled.notes), problem=self.problem)

    def _decisions_status(self, saddle: dsp.SaddlePointProblem, solver: str) -> str:
        """Infeasible or unbounded, read from the decisions' own problem.

        DSP solves the minimizing player's problem first and asserts when it fails. For
        `maximize` that player is the adversary (see `_build_dsp`): with no feasible
        decision its inner maximum is -inf, so its problem is *unbounded* when the model is
        infeasible (and infeasible when the model is unbounded). The decisions' problem is
        then the y-problem (min -f over the decisions), solved here to say which."""
        own = saddle.x_prob
        if self.model.objective.sense is ir.Sense.MAXIMIZE:
            own = saddle.y_prob
            try:
                solve_problem(own, solver)
            except (cp.error.SolverError, dsp.parser.DSPError):
                flipped = {"infeasible": "unbounded", "unbounded": "infeasible"}
                return flipped.get(str(saddle.x_prob.status), "infeasible_or_unbounded")
        status = str(own.status)
        for outcome in ("infeasible", "unbounded"):
            if status.startswith(outcome):
                return outcome
        return "infeasible_or_unbounded"

    def _diagnosis(self, solver: str | None) -> str:
        """Infeasible for every value of the uncertain quantities, or even at the nominal?"""
        centers = {u: s.center() for u, s in self.sets.items()}
        if any(c is None for c in centers.values()):
            return "the uncertain quantities' sets have no center to test the nominal problem"
        nominal = lower(self.model, self.shapes, self.bindings, self.exact, adversary=centers)
        problem = nominal.problem(self.model.objective.sense)
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
        """Solve with both paths (where both exist) and report the difference
        (compiler/backends/verify.py)."""
        return both_backends(self, solver)


def _vector(value: Any) -> Any:
    """A value as a flat vector (C order), as dsp.inner takes it."""
    if tensor.is_expr(value):
        return cp.reshape(value, (int(np.prod(value.shape)) if value.shape else 1,),
                          order="C")
    return np.asarray(value, dtype=float).reshape(-1)
