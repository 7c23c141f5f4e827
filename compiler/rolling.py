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
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd

from compiler import ir
from compiler.bind import Bindings
from compiler.discipline import check_discipline
from compiler.evaluate import Evaluator
from compiler.exact import find_exact_forms
from compiler.lower import Lowered, lower
from compiler.problem import CompiledModel, default_solver
from compiler.shapes import Shapes
from compiler.symbols import Symbol
from dsl.errors import error
from dsl.source import Span

FREQUENCIES = {"month": "M", "quarter": "Q", "year": "Y", "week": "W"}
UNITS = {*FREQUENCIES, "day"}


@dataclass(frozen=True)
class Every:
    """A rebalancing frequency: a calendar unit, or a count of days."""

    unit: str  # month, quarter, year, week, day
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Every:
        """`month`, `quarter`, `year`, `week`, `5 days`, `5days` (for --every)."""
        words = text.replace("days", " days").split()
        if len(words) == 2 and words[0].isdigit() and int(words[0]) > 0:
            every = cls(_singular(words[1]), int(words[0]))
        elif len(words) == 1:
            every = cls(_singular(words[0]))
        else:
            raise ValueError(text)
        if every.unit not in UNITS or (every.count != 1 and every.unit != "day"):
            raise ValueError(text)
        return every

    def __str__(self) -> str:
        return f"{self.count} days" if self.unit == "day" else self.unit


def _singular(word: str) -> str:
    word = word.lower()
    return word[:-1] if word.endswith("s") else word


def windows(labels: list[Any], every: Every, span: Span, time_set: str) -> list[np.ndarray]:
    """Positions of the time set's labels in each window, in time order."""
    try:
        dates = pd.to_datetime(pd.Series([str(x) for x in labels]), format="mixed")
    except (ValueError, TypeError):
        raise error("E505", f"the labels of '{time_set}' are not dates", span,
                    f"rebalancing needs a time set whose labels are dates, e.g. "
                    f"`set {time_set} = csv(\"prices.csv\").date`") from None
    if not dates.is_monotonic_increasing:
        raise error("E504", f"the dates of '{time_set}' are not in increasing order", span,
                    "sort the data file by date, oldest first")
    if every.unit == "day":
        keys = ((dates - dates.iloc[0]).dt.days // every.count).to_numpy()
    elif every.unit in FREQUENCIES:
        keys = dates.dt.to_period(FREQUENCIES[every.unit]).astype(str).to_numpy()
    else:
        raise error("E211", f"cannot rebalance every '{every.unit}'", span,
                    "use month, quarter, year, week, or N days")
    breaks = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    return np.split(np.arange(len(labels)), breaks)


def window_bindings(bindings: Bindings, time_set: Symbol, positions: np.ndarray) -> Bindings:
    """The bindings of one window: the time set and everything indexed by it, sliced."""
    root = time_set.root
    labels = dict(bindings.labels)
    labels[root] = [bindings.labels[root][i] for i in positions]
    values = {}
    for symbol, value in bindings.values.items():
        axes = [k for k, s in enumerate(symbol.index) if s.root is root]
        for axis in axes:
            value = np.take(value, positions, axis=axis)
        values[symbol] = value
    return Bindings(bindings.sandbox, labels, values)


@dataclass
class RollingResult:
    """One row per window: `period` (its last date), one column per decision value named
    `NAME[label]`, `objective` and `status`."""

    model: str
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    solver: str = ""
    solve_time: float = 0.0

    @property
    def status(self) -> str:
        statuses = set(self.table["status"])
        return "optimal" if statuses == {"optimal"} else ", ".join(sorted(statuses))

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    def to_frame(self) -> pd.DataFrame:
        return self.table.reset_index()

    def to_dict(self) -> dict[str, Any]:
        rows = self.to_frame().replace({np.nan: None}).to_dict(orient="records")
        return {"model": self.model, "status": self.status, "periods": rows,
                "notes": self.notes, "solver": self.solver, "solve_time": self.solve_time}

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict(), indent=2, default=str)

    def table_text(self) -> str:
        text = self.table.to_string(float_format=lambda v: f"{v:.6g}")
        lines = [f"model {self.model}: {len(self.table)} periods, status {self.status} "
                 f"({self.solver}, {self.solve_time:.3f} s)", "", text]
        if self.notes:
            lines += ["", "notes:"] + [f"  - {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass
class _Window:
    end: str
    bindings: Bindings
    lowered: Lowered
    problem: cp.Problem


class RollingModel:
    """A model re-optimized per window. `solve()` returns a `RollingResult`."""

    def __init__(self, model: ir.Model, shapes: Shapes, bindings: Bindings, every: Every,
                 time_set: Symbol, span: Span, progress: bool | None = None):
        self.model, self.shapes, self.bindings = model, shapes, bindings
        self.every, self.time_set = every, time_set
        labels = bindings.labels_of(time_set)
        self.positions = windows(labels, every, span, time_set.name)
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.windows = self._build()

    def _build(self) -> list[_Window]:
        built = []
        for k, positions in enumerate(self.positions):
            window = window_bindings(self.bindings, self.time_set, positions)
            exact = find_exact_forms(self.model, self.shapes, Evaluator(self.shapes, window))
            lowered = lower(self.model, self.shapes, window, exact)
            check_discipline(self.model, lowered)
            objective = (cp.Maximize if self.model.objective.sense is ir.Sense.MAXIMIZE
                         else cp.Minimize)(lowered.objective)
            problem = cp.Problem(objective, lowered.constraints())
            end = str(window.labels_of(self.time_set)[-1])
            built.append(_Window(end, window, lowered, problem))
            self._tick("building", k + 1)
        return built

    def _tick(self, what: str, done: int) -> None:
        if not self.progress:
            return
        total = len(self.positions)
        filled = int(30 * done / total)
        sys.stderr.write(f"\r{what} {'#' * filled}{'.' * (30 - filled)} {done}/{total} windows")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def compiled(self, k: int) -> CompiledModel:
        """Window k as a single compiled model (for its full report)."""
        w = self.windows[k]
        return CompiledModel(self.model, self.shapes, w.bindings, w.lowered, w.problem,
                             list(w.lowered.notes))

    def solve(self, solver: str | None = None, strategy: str = "stack",
              **options: Any) -> RollingResult:
        """Solve every window.

        Args:
            solver: a cvxpy solver name (default as for a single model).
            strategy: "stack" (one problem for all windows, solved once) or "loop" (one
                solve per window).
            **options: passed to the solver.
        """
        name = (solver or default_solver(self.windows[0].problem)).upper()
        notes = [f"re-optimized every {self.every} over {len(self.windows)} windows of "
                 f"'{self.time_set.name}'"]
        started = time.perf_counter()
        statuses: list[str] | None = None
        if strategy == "stack":
            statuses = self._solve_stacked(name, options)
            if statuses is None:
                notes.append("the stacked problem was not optimal; each window was solved "
                             "on its own to find which")
            else:
                notes.append("windows stacked into one problem and solved once (one "
                             "compile, one solver call)")
        if statuses is None:
            statuses = self._solve_each(name, options)
            if strategy == "loop":
                notes.append("each window solved on its own")
        elapsed = time.perf_counter() - started
        return RollingResult(self.model.name, self._table(statuses), notes, name, elapsed)

    def _solve_stacked(self, solver: str, options: dict[str, Any]) -> list[str] | None:
        total = cp.sum([w.lowered.objective for w in self.windows])
        sense = cp.Maximize if self.model.objective.sense is ir.Sense.MAXIMIZE else cp.Minimize
        rows = [c for w in self.windows for c in w.problem.constraints]
        problem = cp.Problem(sense(total), rows)
        try:
            problem.solve(solver=solver, **options)
        except cp.error.SolverError:
            return None
        if problem.status != "optimal":
            return None
        return ["optimal"] * len(self.windows)

    def _solve_each(self, solver: str, options: dict[str, Any]) -> list[str]:
        statuses = []
        for k, w in enumerate(self.windows):
            try:
                w.problem.solve(solver=solver, **options)
                statuses.append(str(w.problem.status))
            except cp.error.SolverError:
                statuses.append("solver_error")
            self._tick("solving", k + 1)
        return statuses

    def _table(self, statuses: list[str]) -> pd.DataFrame:
        rows = []
        for w, status in zip(self.windows, statuses, strict=True):
            row: dict[str, Any] = {"period": w.end}
            solved = status in ("optimal", "optimal_inaccurate")
            for symbol, variable in w.lowered.variables.items():
                row.update(_columns(symbol, variable.value if solved else None,
                                    w.bindings))
            row["objective"] = float(w.lowered.objective.value) if solved else np.nan
            row["status"] = status
            rows.append(row)
        return pd.DataFrame(rows).set_index("period")


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
                  every: Every | None) -> RollingModel:
    """The rolling form of a model with `rebalance` (or an `every` given from outside)."""
    rebalance = model.rebalance
    chosen = every or (Every(_singular(rebalance.every), rebalance.count) if rebalance
                       else None)
    if chosen is None:  # callers only come here with one of the two
        raise ValueError("no rebalancing frequency")
    span = rebalance.span if rebalance else model.span
    time_set = rebalance.on if rebalance and rebalance.on else _guess_time_set(model, span)
    return RollingModel(model, shapes, bindings, chosen, time_set, span)


def _guess_time_set(model: ir.Model, span: Span) -> Symbol:
    """The time set when `on` is not given: the first index set of the first series."""
    series = [p.symbol for p in model.params if p.symbol.kind.value == "series"]
    if series and series[0].index:
        return series[0].index[0]
    raise error("E211", "rebalancing needs a time set", span,
                "say which set is time: `rebalance every month on day`, or declare a "
                "`series` indexed by it first")
