"""Out-of-sample backtests of a rolling model: decide, hold, evaluate, carry.

For each rebalance date (the end of a window of `rebalance every ...`): solve on the
estimation window (the calendar window, or the last `lookback` labels of the time set up to
that date), hold the decision over the next window, and evaluate it there with the model's
own P&L expression. `previous(w)` is the book held going in (compiler/builtins/positions.py),
so periods depend on each other and are solved in order.

One compile (cvxpy DPP): every maximal sub-expression that is data and depends on the time
set (`sum(desk)`, `first(spread, over = day)`, a scenario matrix `r[day, asset]`) becomes a
`cp.Parameter`, as does each `previous(w)`; the problem is built once and each period only
sets parameter values and re-solves. A model whose parameters cannot keep one shape (a
scenario matrix over calendar windows of different lengths), or that is not DPP, is rebuilt
per period instead (said in the notes). The parametric form is compiler/rolling/backtest_params.py,
the calendar compiler/rolling/backtest_periods.py, the report compiler/rolling/backtest_report.py.
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np

from compiler.backends.solver_choice import default_solver
from compiler.backends.solver_output import SolveFailed, captured_output, solve_problem, verbose
from compiler.builtins.positions import CARRIED, held_variable, initial_book
from compiler.data.bindings import Bindings
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.lowering.lower import _Lowerer
from compiler.passes import ir
from compiler.passes.discipline import check_discipline
from compiler.passes.exact import find_exact_forms
from compiler.passes.symbols import Symbol
from compiler.rolling.backtest_params import (
    NotParametric,
    WindowParameters,
    hoisted,
    previous_calls,
    roots,
)
from compiler.rolling.backtest_periods import (
    BacktestError,
    Period,
    Progress,
    book_from,
    held_shares,
    plan_periods,
)
from compiler.rolling.backtest_report import BacktestResult, book_columns
from compiler.rolling.windows import window_bindings
from dsl.depth import deep_stack

SOLVED = ("optimal", "optimal_inaccurate")


class Backtest:
    """A rolling model's backtest; `run()` returns a `BacktestResult`.

    Args:
        rolling: a `RollingModel` (its windows and time set give the rebalance dates).
        lookback: estimate on this many labels of the time set up to each rebalance date
            (default: the rebalancing window itself).
        pnl: the let (or the objective's name) whose value over the holding period is the
            realized P&L; default the let `pnl` if the model has one, else the objective.
        costs: a let reported as the period's costs; default the let `costs` if any.
        initial: the book held before the first period, by variable name (a number, a
            list, or a pandas Series by label); default `previous(w, initial = ...)`, else 0.
    """

    def __init__(self, rolling: Any, lookback: int | None = None, pnl: str | None = None,
                 costs: str | None = None, initial: dict[str, Any] | None = None):
        self.rolling = rolling
        self.model: ir.Model = rolling.model
        self.shapes, self.bindings = rolling.shapes, rolling.bindings
        self.time: Symbol = rolling.time_set
        self.lets = {d.symbol: d for d in self.model.lets}
        self.periods = plan_periods(self.bindings.labels_of(self.time), rolling.positions,
                                    lookback)
        self.lookback = lookback
        pnl_name, pnl_node = self._scalar(pnl, "pnl", required=True)
        if pnl_name is None or pnl_node is None:  # required: _scalar found one or raised
            raise BacktestError("no P&L expression")
        self.pnl_name, self.pnl = pnl_name, pnl_node
        self.costs_name, self.costs = self._scalar(costs, "costs", required=False)
        calls = previous_calls(self.model)
        self.carried: list[Symbol] = list(dict.fromkeys(held_variable(c).symbol
                                                         for c in calls))
        self.book0 = self._initial_books(calls, initial or {})
        self.book_symbols = self.carried or [v.symbol for v in self.model.variables]

    def _scalar(self, name: str | None, default: str, required: bool
                ) -> tuple[str | None, ir.Expr | None]:
        lets = {d.symbol.name: d.value for d in self.model.lets}
        objective = self.model.objective
        if name is None:
            if default in lets:
                name = default
            elif not required:
                return None, None
            else:
                name = objective.name
        node = lets.get(name) if name != objective.name else objective.expr
        if node is None:
            raise BacktestError(f"the model has no let or objective named '{name}' "
                                f"(lets: {', '.join(lets) or 'none'}; objective: "
                                f"{objective.name})")
        if self.shapes.of[node]:
            raise BacktestError(f"'{name}' is indexed by "
                                f"{', '.join(s.name for s in self.shapes.of[node])}: a "
                                f"backtest needs one number per period (sum it)")
        return name, node

    def _initial_books(self, calls: list[ir.Call], given: dict[str, Any]
                       ) -> dict[Symbol, np.ndarray]:
        variables = {v.symbol.name: v.symbol for v in self.model.variables}
        unknown = [n for n in given if n not in variables]
        if unknown:
            raise BacktestError(f"initial book for '{unknown[0]}', which is not a decision "
                                f"variable (variables: {', '.join(variables)})")
        ev = Evaluator(self.shapes, self.bindings, lets=self.lets)
        books = {}
        for symbol in variables.values():
            call = next((c for c in calls if held_variable(c).symbol is symbol), None)
            books[symbol] = (initial_book(ev, call) if call is not None
                             else np.zeros(ev.sizes(symbol.index)))
            if symbol.name in given:
                books[symbol] = book_from(given[symbol.name], symbol, self.bindings)
        return books

    # ---- solving ----

    @deep_stack  # cvxpy recurses per level; one deep thread for all periods (dsl/depth.py)
    def run(self, solver: str | None = None, progress: bool | None = None,
            rebuild: bool = False, **options: Any) -> BacktestResult:
        """Solve every period in order, carrying the book; evaluate each on its holding
        period. `rebuild=True` compiles each period on its own (for comparison)."""
        progress = sys.stderr.isatty() if progress is None else progress
        started = time.perf_counter()
        notes = [f"{len(self.periods)} rebalances every {self.rolling.every} on "
                 f"'{self.time.name}', each held until the next; estimated on "
                 + (f"the last {self.lookback} labels" if self.lookback else
                    "the rebalancing window") + f"; realized P&L is '{self.pnl_name}' over "
                 "the holding period"]
        built = None if rebuild else self._parametric(notes)
        if rebuild:
            notes.append("each period compiled on its own (as asked)")
        realized = None if rebuild else self._realized()
        name = (solver or default_solver(built.problem if built is not None
                                         else self._rebuilt(self.periods[0],
                                                            self.book0)[1])).upper()
        rows = self._loop(built, realized, name, options, progress)
        if built is not None and rows is None:  # the check at the second period failed
            notes.append("each period compiled on its own (the parametric form did not "
                         "reproduce the model)")
            rows = self._loop(None, realized, name, options, progress)
        if rows and any(r["status"] not in SOLVED for r in rows):
            notes.append("where a solve was not optimal the book held before was kept")
        cvar = self.rolling.cvar_line()  # a large scenario CVaR stays on the RU LP
        shares = held_shares(self.bindings.labels_of(self.time), self.periods,
                             self.rolling.positions, self.rolling.every,
                             self.bindings.date_columns.get(self.time.root))
        # after the calendar note (the last note stays how the periods were compiled)
        notes[1:1] = [f"the period from {p.date} held until {p.held_until} is "
                      f"{len(p.holding)} label(s), {share:.3g} of a full "
                      f"{self.rolling.every}: it counts as that share of a period in the "
                      "annualized figures"
                      for p, share in zip(self.periods, shares, strict=True) if share < 1.0
                      ] + ([cvar] if cvar is not None else [])
        return BacktestResult.from_rows(self.model.name, rows or [], notes, name,
                                        time.perf_counter() - started, self.pnl_name,
                                        self.costs_name, self.periods_per_year(), shares)

    def _loop(self, built: _Built | None, realized: _Realized | None, solver: str,
              options: dict[str, Any], progress: bool) -> list[dict[str, Any]] | None:
        book = dict(self.book0)
        rows = []
        bar = Progress(progress, len(self.periods))
        # one redirection for every solve (each would make its own); --verbose shows each
        with captured_output() if not verbose() else contextlib.nullcontext():
            for k, period in enumerate(self.periods):
                if built is not None:
                    built.window.set(k)
                    for symbol, parameter in built.books.items():
                        parameter.value = book[symbol]
                    status, decision, objective = _solve(built.problem, built.variables,
                                                         solver, options)
                    if k == 1 and status in SOLVED and not self._agrees(
                            period, decision, book, objective):
                        bar.close()
                        return None
                else:
                    variables, problem = self._rebuilt(period, book)
                    status, decision, objective = _solve(problem, variables, solver, options)
                held = decision if status in SOLVED else {s: book[s] for s in decision}
                rows.append(self._row(k, held, book, status, objective, realized))
                book = {**book, **held}
                bar.tick(k + 1)
        bar.close()
        return rows

    def _parametric(self, notes: list[str]) -> _Built | None:
        """The problem compiled once, or None (said in the notes) if it has no such form."""
        model, shapes = hoisted(self.model, self.shapes, self.time.root)
        def window(k: int) -> Bindings:
            return window_bindings(self.bindings, self.time, self.periods[k].estimation)

        first = window(0)
        books = {s: cp.Parameter(self.book0[s].shape) for s in self.carried}
        try:
            if find_exact_forms(self.model, self.shapes, Evaluator(self.shapes, first)):
                raise NotParametric("exact mixed-integer forms are built per window")
            form = WindowParameters(model, shapes, self.time.root, roots(model), window,
                                    len(self.periods))
            lowerer = _Lowerer(model, shapes, first, {})
            evaluator = form.evaluator(lowerer.evaluate)
            setattr(evaluator, CARRIED, books)
            lowerer.evaluate = evaluator
            lowered = lowerer.run()
            problem = cp.Problem(_sense(self.model)(lowered.objective), lowered.constraints())
            if not problem.is_dcp(dpp=True):
                raise NotParametric("the model is not DPP with its window data as "
                                    "parameters")
        except NotParametric as exc:
            notes.append(f"each period compiled on its own: {exc}" + (
                "; give a lookback for one compile" if "length" in str(exc) else ""))
            return None
        except Exception:  # an atom that needs its data as numbers: compiled per period
            notes.append("each period compiled on its own (an atom needs its window data "
                         "as numbers)")
            return None
        notes.append(f"compiled once with {len(form)} window parameters and {len(books)} "
                     "carried book(s) (cvxpy DPP); each period sets them and re-solves")
        return _Built(problem, lowered.variables, form, books)

    def _realized(self) -> _Realized | None:
        """The P&L (and costs) as cvxpy expressions of parameters: the holding window's
        data, the decision and the book before; None to evaluate each period directly."""
        model, shapes = hoisted(self.model, self.shapes, self.time.root)
        named = {d.symbol.name: d.value for d in model.lets}
        named[model.objective.name] = model.objective.expr
        starts = [named[n] for n in (self.pnl_name, self.costs_name) if n is not None]
        def holding(k: int) -> Bindings:
            return window_bindings(self.bindings, self.time, self.periods[k].holding)

        decisions = {v.symbol: cp.Parameter(self.book0[v.symbol].shape)
                     for v in model.variables}
        books = {s: cp.Parameter(self.book0[s].shape) for s in self.carried}
        try:
            form = WindowParameters(model, shapes, self.time.root, starts, holding,
                                    len(self.periods))
            base = Evaluator(shapes, holding(0), decisions, {d.symbol: d for d in model.lets})
            evaluator = form.evaluator(base)
            setattr(evaluator, CARRIED, books)
            values = [evaluator(n) for n in starts]
        except Exception:  # evaluated period by period instead
            return None
        return _Realized(form, decisions, books, values)

    def _rebuilt(self, period: Period, book: dict[Symbol, Any]
                 ) -> tuple[dict[Symbol, cp.Variable], cp.Problem]:
        window = window_bindings(self.bindings, self.time, period.estimation)
        exact = find_exact_forms(self.model, self.shapes, Evaluator(self.shapes, window))
        lowerer = _Lowerer(self.model, self.shapes, window, exact)
        setattr(lowerer.evaluate, CARRIED, {s: book[s] for s in self.carried})
        lowered = lowerer.run()
        check_discipline(self.model, lowered)
        return lowered.variables, cp.Problem(_sense(self.model)(lowered.objective),
                                             lowered.constraints())

    def _evaluate(self, node: ir.Expr, positions: np.ndarray,
                  decision: dict[Symbol, np.ndarray], book: dict[Symbol, Any]) -> float:
        window = window_bindings(self.bindings, self.time, positions)
        ev = Evaluator(self.shapes, window, dict(decision), self.lets)
        setattr(ev, CARRIED, {s: book[s] for s in self.carried})
        return float(np.asarray(ev(node), dtype=float)) + 0.0

    def _agrees(self, period: Period, decision: dict[Symbol, np.ndarray],
                book: dict[Symbol, Any], objective: float) -> bool:
        """The parametric objective equals the model's own evaluated at the decision (a
        guard against an atom that read a parameter's value as a constant)."""
        try:
            direct = self._evaluate(self.model.objective.expr, period.estimation, decision,
                                    book)
        except Exception:  # an atom with no numeric form: nothing to compare with
            return True
        return abs(direct - objective) <= 1e-6 * (1.0 + abs(direct))

    def _row(self, k: int, held: dict[Symbol, np.ndarray], book: dict[Symbol, Any],
             status: str, objective: float, realized: _Realized | None) -> dict[str, Any]:
        period = self.periods[k]
        row: dict[str, Any] = {"period": period.date, "held_until": period.held_until}
        for symbol, value in held.items():
            row.update(book_columns(symbol, value, self.bindings))
        fast = realized.evaluate(k, held, book) if realized and realized.trusted else None
        if fast is None or k == 1:  # period 1 checks the parametric form once
            direct = [self._evaluate(n, period.holding, held, book)
                      for n in (self.pnl, self.costs) if n is not None]
            if realized is not None and fast is not None and not np.allclose(
                    fast, direct, rtol=1e-9, atol=1e-12):
                realized.trusted = False  # an atom read a parameter as a constant
            fast = direct
        pnl, *costs = fast
        row["pnl"] = pnl
        row["turnover"] = float(sum(np.abs(np.asarray(held[s]) - np.asarray(book[s])).sum()
                                    for s in self.book_symbols)) + 0.0
        if costs:
            row["costs"] = costs[0]
        row["objective"] = objective
        row["status"] = status
        return row

    def periods_per_year(self) -> float:
        """12 for months, 4 for quarters, 1 for years, 52 for weeks; for N days, the time
        set's labels per year (from its first and last dates) over N."""
        every = self.rolling.every
        if every.unit != "day":
            return {"month": 12.0, "quarter": 4.0, "year": 1.0, "week": 52.0}[every.unit]
        import pandas as pd

        labels = self.bindings.labels_of(self.time)
        dates = pd.to_datetime([str(labels[0]), str(labels[-1])], errors="coerce")
        years = (dates[1] - dates[0]).days / 365.25 if not dates.isna().any() else 0.0
        return len(labels) / years / every.count if years > 0 else 252.0 / every.count


@dataclass
class _Built:
    problem: cp.Problem
    variables: dict[Symbol, cp.Variable]
    window: WindowParameters
    books: dict[Symbol, cp.Parameter]


@dataclass
class _Realized:
    window: WindowParameters
    decisions: dict[Symbol, cp.Parameter]
    books: dict[Symbol, cp.Parameter]
    values: list[Any]
    trusted: bool = True

    def evaluate(self, k: int, held: dict[Symbol, np.ndarray], book: dict[Symbol, Any]
                 ) -> list[float]:
        self.window.set(k)
        for symbol, parameter in self.decisions.items():
            parameter.value = held[symbol]
        for symbol, parameter in self.books.items():
            parameter.value = book[symbol]
        return [float(np.asarray(v.value if tensor.is_expr(v) else v, dtype=float)) + 0.0
                for v in self.values]


def _sense(model: ir.Model) -> Any:
    return cp.Maximize if model.objective.sense is ir.Sense.MAXIMIZE else cp.Minimize


def _solve(problem: cp.Problem, variables: dict[Symbol, cp.Variable], solver: str,
           options: dict[str, Any]) -> tuple[str, dict[Symbol, np.ndarray], float]:
    try:
        solve_problem(problem, solver, **options)
        status = str(problem.status)
    except SolveFailed:
        status = "solver_error"
    decision = {s: np.asarray(v.value, dtype=float) if v.value is not None
                else np.full(v.shape, np.nan) for s, v in variables.items()}
    objective = float(problem.value) if status in SOLVED else float("nan")
    return status, decision, objective
