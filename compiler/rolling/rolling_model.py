"""Rolling re-optimization: `rebalance every month|quarter|year|week|N days on day`.

The time set's labels are dates. Each window keeps the labels of one calendar period (or N
consecutive days); every set, param, series and scenario indexed by the time set is sliced
to the window, so `sum`, `first`, `last`, `diff`, `count` and `mean` over the time set are
per-window aggregates. Data is read and checked once; each window is lowered from slices
of the same `Bindings`.

Strategy (stated in the notes): the windows are independent problems, so they are
*stacked* into one cvxpy problem (the sum of their objectives, all their constraints) and
solved once: one canonicalization and one solver call instead of one per window. If the
stack is not optimal (a window is infeasible or unbounded), each window is solved on its
own so every row carries its own status.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd

from compiler.backends.plain import CompiledModel
from compiler.backends.solver_choice import default_solver
from compiler.backends.solver_output import solve_problem
from compiler.data.bindings import Bindings
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.lowering.lower import Lowered, goal, lower, make_variable
from compiler.passes import ir
from compiler.passes.discipline import check_discipline
from compiler.passes.exact import find_exact_forms
from compiler.passes.shapes import Shapes
from compiler.passes.symbols import Symbol
from compiler.report.result import TableResult
from compiler.rolling.engines import Engine, Job
from compiler.rolling.vectorized import LiftedEvaluator, lift, lifted_bound, stack_aggregates
from compiler.rolling.windows import Every, singular, window_bindings, window_periods, windows
from dsl.errors import error
from dsl.source import Span


@dataclass
class _Vectorized:
    problem: cp.Problem
    objective: Any
    variables: dict[Symbol, cp.Variable]
    bindings: Bindings
    ends: list[str]


@dataclass
class _Window:
    end: str
    bindings: Bindings
    lowered: Lowered
    problem: cp.Problem


class RollingModel:
    """A model re-optimized per window. `solve()` returns a `TableResult`.

    Windows are lowered when first needed; the first one at once, so a mistake in the
    model is reported when it is compiled, not when it is solved.
    """

    def __init__(self, model: ir.Model, shapes: Shapes, bindings: Bindings, every: Every,
                 time_set: Symbol, span: Span, job: Job | None = None,
                 progress: bool | None = None):
        self.model, self.shapes, self.bindings = model, shapes, bindings
        self.every, self.time_set, self.job = every, time_set, job
        labels = bindings.labels_of(time_set)
        self.positions = windows(labels, every, span, time_set.name,
                                 bindings.date_columns.get(time_set.root))
        self.progress = sys.stderr.isatty() if progress is None else progress
        self._built: dict[int, _Window] = {}
        # Built now, so a mistake in the model is reported when it is compiled: the
        # vectorized problem if the model has one (convex by cvxpy's check), else window 0
        # (checked with located errors).
        self.vectorized = self._vectorize()
        if self.vectorized is None:
            self.window(0)

    backend = "rolling"

    def __len__(self) -> int:
        return len(self.positions)

    def summary(self) -> str:
        return f"rolling model, {len(self)} windows"

    def cvar_line(self) -> str | None:
        """Why a large scenario CVaR stays on the RU LP here, located in window 0's model
        (compiler/backends/cvar_fallback.py); None without a `cvar` call (no window is built)."""
        from compiler.backends.cvar_fallback import ROLLING, lp_line, writes_cvar

        if not writes_cvar(self.model):
            return None

        return lp_line(self.compiled(0), ROLLING)

    def emit(self) -> str:
        """The problem of the first window (all windows share its form)."""
        how = ("one vectorized problem over all windows" if self.vectorized is not None
               else "one problem per window")
        return (f"rolling model {self.model.name}: {len(self)} windows, solved as {how}; "
                f"the window ending {self.window(0).end}:\n" + self.compiled(0).emit())

    def window(self, k: int) -> _Window:
        """Window k, lowered and checked."""
        if k not in self._built:
            window = window_bindings(self.bindings, self.time_set, self.positions[k])
            exact = find_exact_forms(self.model, self.shapes, Evaluator(self.shapes, window))
            lowered = lower(self.model, self.shapes, window, exact)
            check_discipline(self.model, lowered)
            problem = lowered.problem(self.model.objective.sense)
            end = str(window.labels_of(self.time_set)[-1])
            self._built[k] = _Window(end, window, lowered, problem)
        return self._built[k]

    @property
    def windows(self) -> list[_Window]:
        out = []
        for k in range(len(self)):
            out.append(self.window(k))
            self._tick("building", k + 1)
        return out

    def _tick(self, what: str, done: int) -> None:
        if not self.progress:
            return
        total = len(self)
        filled = int(30 * done / total)
        sys.stderr.write(f"\r{what} {'#' * filled}{'.' * (30 - filled)} {done}/{total} windows")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def compiled(self, k: int) -> CompiledModel:
        """Window k as a single compiled model (for its full report)."""
        w = self.window(k)
        return CompiledModel(self.model, self.shapes, w.bindings, w.lowered, w.problem,
                             list(w.lowered.notes))

    def solve(self, solver: str | None = None, strategy: str = "auto",
              engine: Engine | None = None, **options: Any) -> TableResult:
        """Solve every window.

        Args:
            solver: a cvxpy solver name (default as for a single model).
            strategy: "auto" (vectorized when the model allows it, else stacked),
                "vectorized" (one problem with a window axis on every decision), "stack"
                (the windows' own problems side by side, solved once) or "loop" (one solve
                per window; across `engine`'s workers when it has several).
            engine: where the loop runs (`engines.LocalPool`, `engines.DaskEngine`).
            **options: passed to the solver.
        """
        engine = engine or Engine()
        model_problem = (self.vectorized.problem if self.vectorized is not None
                         else self.window(0).problem)
        name = (solver or default_solver(model_problem)).upper()
        notes = [f"re-optimized every {self.every} over {len(self)} windows of "
                 f"'{self.time_set.name}'"]
        started = time.perf_counter()
        rows: list[dict[str, Any]] | None = None
        if strategy in ("auto", "vectorized"):
            rows = self._solve_vectorized(name, options)
            if rows is not None:
                notes.append("windows solved as one vectorized problem (a window axis on "
                             "every decision; one compile, one solver call)")
            elif strategy == "vectorized":
                notes.append("the model has no vectorized form (the time axis meets a "
                             "decision before it is reduced, or an atom has no batched "
                             "form); its windows were stacked instead")
            strategy = "stack" if rows is None else strategy
        if rows is None and strategy == "stack":
            rows = self._solve_stacked(name, options)
            notes.append("windows stacked into one problem and solved once (one compile, "
                         "one solver call)" if rows is not None else
                         "the stacked problem was not optimal; each window was solved on "
                         "its own to find which")
        if rows is None:
            if engine.parallel and self.job is not None:
                rows = self._solve_distributed(engine, name)
                notes.append(f"windows solved one by one {engine.description}")
            else:
                rows = self.solve_rows(range(len(self)), name, options)
                if strategy == "loop":
                    notes.append("each window solved on its own")
        elapsed = time.perf_counter() - started
        table = pd.DataFrame(rows).set_index("period")
        self._mark_windows(table, notes)
        cvar = self.cvar_line()
        if cvar is not None:
            notes.append(cvar)
        return TableResult(self.model.name, table, notes, name, elapsed)

    def _mark_windows(self, table: pd.DataFrame, notes: list[str]) -> None:
        """Each window's first label and whether it is a partial period (in the notes), and
        the decisions' units: what the allocation plot draws (compiler/report/plot_data.py)."""
        labels = self.bindings.labels_of(self.time_set)
        periods = window_periods(labels, self.positions, self.every,
                                 self.bindings.date_columns.get(self.time_set.root))
        table.attrs["window_start"] = [p.first for p in periods]
        table.attrs["partial"] = [p.partial for p in periods]
        table.attrs["units"] = {d.symbol.name: d.unit for d in self.model.variables if d.unit}
        every = str(self.every)
        for p in periods:
            if p.partial:
                notes.append(f"the window ending {p.last} covers only {p.first} to {p.last}, "
                             f"part of a full {every} (the data end or begin there): not "
                             "comparable with full windows")

    def backtest(self, lookback: int | None = None, pnl: str | None = None,
                 costs: str | None = None, initial: dict[str, Any] | None = None,
                 solver: str | None = None, **options: Any) -> Any:
        """Decide at each window's end, hold over the next window, realize the P&L there,
        carrying `previous(w)`: a `BacktestResult` (compiler/rolling/backtest.py)."""
        from compiler.rolling.backtest import Backtest

        return Backtest(self, lookback, pnl, costs, initial).run(solver=solver, **options)

    def _vectorize(self) -> _Vectorized | None:
        """The windows as one problem with a window axis, or None
        (compiler/rolling/vectorized.py)."""
        lifted = lift(self.model, self.shapes, self.time_set, len(self))
        if lifted is None:
            return None
        lets = {d.symbol: d for d in self.model.lets}
        per_window = [Evaluator(self.shapes, window_bindings(self.bindings, self.time_set, p),
                                lets=lets) for p in self.positions]
        values = stack_aggregates(lifted, per_window)
        ends = [str(self.bindings.labels_of(self.time_set)[p[-1]]) for p in self.positions]
        bindings = Bindings(self.bindings.sandbox, {**self.bindings.labels,
                                                    lifted.window: ends},
                            dict(self.bindings.values))
        variables = {d.symbol: make_variable(d, bindings, (lifted.window,))
                     for d in self.model.variables}
        ev = LiftedEvaluator(lifted, bindings, values, variables, lets)
        problem, objective = _vectorized_problem(self.model, ev, variables)
        if problem is None or not problem.is_dcp():
            return None  # the per-window path reports the located convexity error
        return _Vectorized(problem, objective, variables, bindings, ends)

    def _solve_vectorized(self, solver: str, options: dict[str, Any]
                          ) -> list[dict[str, Any]] | None:
        if self.vectorized is None:
            return None
        problem, objective = self.vectorized.problem, self.vectorized.objective
        variables, bindings = self.vectorized.variables, self.vectorized.bindings
        ends = self.vectorized.ends
        if not _solved(problem, solver, options):
            return None
        by_window = np.asarray(objective.value, dtype=float).reshape(-1)
        rows = []
        for k, end in enumerate(ends):
            row: dict[str, Any] = {"period": end}
            for symbol, variable in variables.items():
                row.update(_columns(symbol, np.asarray(variable.value)[k], bindings))
            row["objective"] = float(by_window[k]) + 0.0
            row["status"] = "optimal"
            rows.append(row)
        return rows

    def _solve_stacked(self, solver: str, options: dict[str, Any]
                       ) -> list[dict[str, Any]] | None:
        built = self.windows
        problem = cp.Problem(goal(self.model.objective.sense,
                                  cp.sum([w.lowered.objective for w in built])),
                             [c for w in built for c in w.problem.constraints])
        if not _solved(problem, solver, options):
            return None
        return [_row(w, "optimal") for w in built]

    def solve_rows(self, indices: Any, solver: str, options: dict[str, Any]
                   ) -> list[dict[str, Any]]:
        """Solve the given windows one by one; a row each."""
        rows = []
        for done, k in enumerate(indices, start=1):
            w = self.window(k)
            try:
                solve_problem(w.problem, solver, **options)
                status = str(w.problem.status)
            except cp.error.SolverError:
                status = "solver_error"
            rows.append(_row(w, status))
            self._tick("solving", done)
        return rows

    def _solve_distributed(self, engine: Engine, solver: str) -> list[dict[str, Any]]:
        if self.job is None:  # checked by the caller
            raise RuntimeError("no job to distribute")
        workers = getattr(engine, "workers", len(self))
        chunks = [list(c) for c in np.array_split(np.arange(len(self)), max(1, workers))
                  if len(c)]
        parts = engine.map(_solve_chunk, [(self.job, chunk, solver) for chunk in chunks])
        return [row for part in parts for row in part]


def _solved(problem: cp.Problem, solver: str, options: dict[str, Any]) -> bool:
    """Solve one problem for all windows; False (fall back) unless it is optimal."""
    try:
        solve_problem(problem, solver, **options)
    except cp.error.SolverError:
        return False
    return bool(problem.status == "optimal")


def _vectorized_problem(model: ir.Model, ev: LiftedEvaluator,
                        variables: dict[Symbol, cp.Variable]
                        ) -> tuple[cp.Problem | None, Any]:
    """The lifted objective (one value per window) and constraints (a row per window)."""
    objective = ev(model.objective.expr)
    if ev.index(model.objective.expr) != (ev.batch,):
        return None, None
    rows = []
    for definition in model.variables:
        x = variables[definition.symbol]
        for node, op in ((definition.lower, ir.Relation.GE),
                         (definition.upper, ir.Relation.LE)):
            if node is not None:
                bound = lifted_bound(ev, node, definition.symbol, x.shape)
                rows.append(x >= bound if op is ir.Relation.GE else x <= bound)
    for con in model.constraints:
        index = ev.shapes.constraints[con.name]
        shape = ev.sizes(index)
        condition = con.condition
        if not isinstance(condition, ir.Comparison):
            return None, None
        terms = [tensor.broadcast(ev(t), ev.index(t), index, shape) for t in condition.terms]
        for k, op in enumerate(condition.ops):
            lhs, rhs = terms[k], terms[k + 1]
            rows.append(lhs <= rhs if op is ir.Relation.LE else
                        lhs >= rhs if op is ir.Relation.GE else lhs == rhs)
    return cp.Problem(goal(model.objective.sense, cp.sum(objective)), rows), objective


def _solve_chunk(task: tuple[Job, list[int], str]) -> list[dict[str, Any]]:
    """A worker's share of a rolling run: compile the model, solve some of its windows."""
    job, indices, solver = task
    rolling = job.compile()
    rolling.progress = False
    return rolling.solve_rows([int(k) for k in indices], solver, {})


def _row(window: _Window, status: str) -> dict[str, Any]:
    row: dict[str, Any] = {"period": window.end}
    solved = status in ("optimal", "optimal_inaccurate")
    for symbol, variable in window.lowered.variables.items():
        row.update(_columns(symbol, variable.value if solved else None, window.bindings))
    objective = np.asarray(window.lowered.objective.value, dtype=float)
    row["objective"] = float(objective) + 0.0 if solved else np.nan
    row["status"] = status
    return row


def _columns(symbol: Symbol, value: Any, bindings: Bindings) -> dict[str, float]:
    if not symbol.index:
        return {symbol.name: np.nan if value is None else float(value) + 0.0}
    labels = [bindings.labels_of(s) for s in symbol.index]
    flat = (np.full([len(x) for x in labels], np.nan) if value is None
            else np.asarray(value, dtype=float))
    out = {}
    for position in np.ndindex(*flat.shape):
        key = ", ".join(str(labels[a][i]) for a, i in enumerate(position))
        out[f"{symbol.name}[{key}]"] = float(flat[position]) + 0.0  # no "-0" in reports
    return out


def rolling_model(model: ir.Model, shapes: Shapes, bindings: Bindings,
                  every: Every | None, job: Job | None = None) -> RollingModel:
    """The rolling form of a model with `rebalance` (or an `every` given from outside)."""
    rebalance = model.rebalance
    chosen = every or (Every(singular(rebalance.every), rebalance.count) if rebalance
                       else None)
    if chosen is None:  # callers only come here with one of the two
        raise ValueError("no rebalancing frequency")
    span = rebalance.span if rebalance else model.span
    time_set = rebalance.on if rebalance and rebalance.on else _guess_time_set(model, span)
    return RollingModel(model, shapes, bindings, chosen, time_set, span, job)


def _guess_time_set(model: ir.Model, span: Span) -> Symbol:
    """The time set when `on` is not given: the first index set of the first series."""
    series = [p.symbol for p in model.params if p.symbol.kind.value == "series"]
    if series and series[0].index:
        return series[0].index[0]
    raise error("E211", "rebalancing needs a time set", span,
                "say which set is time: `rebalance every month on day`, or declare a "
                "`series` indexed by it first")
