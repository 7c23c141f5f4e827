"""The CDS hedge re-optimized over 49 monthly windows: Saddle against the seed's scipy loop
and hand-written CVXPY (issue 4).

    python benchmarks/bench_cds.py [--repeat 5]
    python benchmarks/bench_cds.py --profile 30     # plus a cProfile of one Saddle run

Not a test: a script run by hand. The issue's targets: Saddle end to end >= 50x faster
than the seed's scipy loop, and <= 1.2x the hand-written DPP loop.

The windows are the 49 calendar months Saddle's `rebalance every month on day` uses (every
day of each month, 2021-01 .. 2025-01; the last window is the single day 2025-01-01),
i.e. the rows of the oracle `calendar_rolling("M")`. Contenders, timed in one process:

* saddle        `compile_model(load("models/cds_hedge.saddle")).solve(solver="HIGHS")`:
                parse + check + read the CSVs + build the 49 windows + one stacked solve +
                the table. Also the wall clock of load / compile_model / solve() apart,
                and the time of each pass wherever it runs (the tree of issue 4 lowers
                the windows lazily, inside solve()): the pass functions are wrapped by
                name at run time, compiler/ is not touched; every `cp.Problem.solve` is
                logged (cvxpy's compilation_time, HiGHS' solve_time) for every contender.
* saddle        uses Saddle's default strategy: the windows as one vectorized problem.
* saddle-stack  the same with `solve(strategy="stack")`: the windows' problems side by side.
* saddle-loop   the same with `solve(strategy="loop")`: one HiGHS solve per window.
* scipy         the seed's loop: period ends by `resample`, a boolean mask per window,
                `desk[mask]`, `spreads.loc[mask]`, `seed_scipy_period` (the seed's
                `minimize` call, copied in tests/oracles/cds.py), rows stored with
                `frame.loc[end] = x` as the seed does. The seed's first window drops the
                first day and its 1-day window is skipped; here the mask is adapted to the
                calendar windows above, nothing else changes.
* cvxpy-rebuild hand-written CVXPY, a new `cp.Problem` per window (build + solve).
* cvxpy-dpp     hand-written DPP: one `cp.Problem` whose window data are `cp.Parameter`s
                (desk sum, summed spread changes, first spread x days, days), canonicalized
                on the first solve and re-solved with new values for the other windows.
* cvxpy-stacked hand-written stacked LP: all 49 windows in one problem (a 49 x 4
                variable), solved once: the fair comparison for Saddle's stacked strategy.

All CVXPY paths use HiGHS. The hand-written contenders and scipy read the same CSV files
with pandas (`oracles.cds.load_sample`) inside their timing, as Saddle does (its csv table
cache is cleared before every run); their loop alone (data already in memory) is timed
too, and the ratios are printed both ways. Each contender's result is checked against
`calendar_rolling("M")` (the per-period oracle LP): same periods, same allocations and the
same objectives to ATOL; scipy's distance from it is printed (it is not asserted).

Runs are interleaved (the order of the contenders rotates every repeat) after an untimed
warm-up of every contender (imports, the Lark parser, first-call caches); medians of
`--repeat` runs are reported. Saddle's progress bar (shown when stderr is a terminal) is
off during the timed runs: stderr is redirected.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import gc
import io
import os
import pstats
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # `oracles` (a site-packages `tests` may shadow it)

from oracles.cds import (  # noqa: E402
    calendar_rolling,
    load_sample,
    period_objective,
    seed_scipy_period,
)
from profiling import (  # noqa: E402
    ALL_CUMULATIVE,
    ALL_OWN,
    PASS_TIMES,
    SADDLE_CUMULATIVE,
    pass_timer,
    print_profile,
)
from profiling import instrument as instrument_backend  # noqa: E402

from compiler.api import compile_model, load  # noqa: E402
from compiler.data import sandbox as saddle_data  # noqa: E402
from compiler.rolling import rolling_model  # noqa: E402

SOLVER = "HIGHS"
MODEL = ROOT / "models" / "cds_hedge.saddle"
N_WINDOWS = 49
ATOL = 1e-8          # allocations ($M of CS01) and objectives ($M): the LP vertex is exact
TARGET_SCIPY = 50.0  # scipy / Saddle >= 50
TARGET_DPP = 1.2     # Saddle / DPP <= 1.2
YEAR_DAYS = 252
ROLL_SHARE = 0.2
BP = 1e-4


# ---- timing of Saddle's passes: the front through compile_model's hook, per-window work ----
# inside the rolling backend by name (a missing name stops the benchmark)

WINDOW_WORK = (
    (rolling_model, "windows", "windows (dates -> months)"),
    (rolling_model, "window_bindings", "49 x window_bindings (slice)"),
    (rolling_model, "find_exact_forms", "49 x find_exact_forms"),
    (rolling_model, "lower", "49 x lower"),
    (rolling_model, "check_discipline", "49 x check_discipline"),
    (rolling_model, "_row", "49 x _row (table row by name)"),
)


def instrument() -> None:
    instrument_backend(WINDOW_WORK)


class SolveLog:
    """Records every `cp.Problem.solve` while active: cvxpy's compilation time and the
    solver's own time (HiGHS' `solve_time`), summed. Used alike for every CVXPY path."""

    def __init__(self) -> None:
        self.calls = 0
        self.wall = 0.0
        self.compilation = 0.0
        self.solver = 0.0
        self._original: Callable | None = None

    def __enter__(self) -> SolveLog:
        original = self._original = cp.Problem.solve
        log = self

        @functools.wraps(original)
        def solve(problem: cp.Problem, *args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(problem, *args, **kwargs)
            finally:
                log.wall += time.perf_counter() - start
                log.calls += 1
                log.compilation += float(getattr(problem, "compilation_time", 0.0) or 0.0)
                stats = getattr(problem, "solver_stats", None)
                log.solver += float(getattr(stats, "solve_time", 0.0) or 0.0)

        cp.Problem.solve = solve  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        cp.Problem.solve = self._original  # type: ignore[method-assign,assignment]


def clear_csv_cache() -> None:
    cache = getattr(saddle_data, "_TABLES", None)
    if isinstance(cache, dict):
        cache.clear()


# ---- windows and window aggregates (hand-written side) ----

def month_windows(dates: pd.DatetimeIndex) -> list[np.ndarray]:
    """Positions of each calendar month's days, in order."""
    codes = dates.year.to_numpy() * 12 + dates.month.to_numpy()
    breaks = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    return np.split(np.arange(len(dates)), breaks)


def window_data(desk: np.ndarray, spreads: np.ndarray, positions: np.ndarray
                ) -> tuple[float, np.ndarray, np.ndarray, int]:
    """(sum of desk P&L, summed daily spread changes, first spread, days) of one window."""
    s = spreads[positions]
    changes = np.diff(s, axis=0).sum(axis=0) if len(s) > 1 else np.zeros(s.shape[1])
    return float(desk[positions].sum()), changes, s[0], len(positions)


Sample = tuple[pd.Series, pd.DataFrame, pd.Series, pd.Series]
Outcome = tuple[list[str], np.ndarray, np.ndarray | None]


def arrays(sample: Sample
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.DatetimeIndex]:
    desk, spreads, limits, coupons = sample
    return (desk.to_numpy(float), spreads.to_numpy(float), limits.to_numpy(float),
            coupons.to_numpy(float), desk.index)


# ---- the contenders: each returns its times and (periods, cs01 (49 x 4), objectives) ----

def run_saddle(strategy: str = "auto") -> dict:
    clear_csv_cache()
    PASS_TIMES.clear()
    gc.collect()
    with contextlib.redirect_stderr(io.StringIO()), SolveLog() as log:
        t0 = time.perf_counter()
        model = load(MODEL)
        t1 = time.perf_counter()
        compiled = compile_model(model, hook=pass_timer)
        t2 = time.perf_counter()
        result = compiled.solve(solver=SOLVER, strategy=strategy)
        t3 = time.perf_counter()
    assert result.status == "optimal", result.status
    table: pd.DataFrame = result.table  # type: ignore[assignment]
    names = [c for c in table.columns if c.startswith("cs01[")]
    passes = dict(PASS_TIMES)
    return {
        "parse": t1 - t0, "compile": t2 - t1, "solve": t3 - t2, "total": t3 - t0,
        "read": 0.0, "loop": t3 - t0,
        "cvxpy": log.compilation, "highs": log.solver, "solves": log.calls,
        "solve_calls": log.wall, "passes": passes,
        "periods": [str(p) for p in table.index],
        "columns": [c[len("cs01["):-1] for c in names],
        "cs01": table[names].to_numpy(float),
        "objective": table["objective"].to_numpy(float),
    }


def _hand(loop: Callable[[Sample], Outcome]) -> dict:
    """Time `load_sample` (pandas reads the CSVs) and then `loop(sample)`."""
    gc.collect()
    with SolveLog() as log:
        t0 = time.perf_counter()
        sample = load_sample()
        t1 = time.perf_counter()
        periods, cs01, objective = loop(sample)
        t2 = time.perf_counter()
    return {"read": t1 - t0, "loop": t2 - t1, "total": t2 - t0,
            "cvxpy": log.compilation, "highs": log.solver, "solves": log.calls,
            "periods": periods, "columns": list(sample[1].columns),
            "cs01": np.asarray(cs01, float),
            "objective": None if objective is None else np.asarray(objective, float)}


def scipy_loop(sample: Sample) -> Outcome:
    """The seed's loop (period ends by resample, a mask per window, .loc row storage)."""
    desk, spreads, limits, coupons = sample
    cs01_limits, coupon = dict(limits), dict(coupons)
    tickers = list(spreads.columns)
    cs01_optimized = pd.DataFrame(columns=tickers)
    period_ends = desk.resample("ME").apply(lambda x: x.index[-1])
    for end_date in period_ends:
        # the seed: (previous end, end]; the first window starts at the first day, included
        if (period_ends < end_date).any():
            start_date = period_ends[period_ends < end_date].max()
            mask = (desk.index > start_date) & (desk.index <= end_date)
        else:
            mask = desk.index <= end_date
        desk_period = desk[mask]
        cds_period = spreads.loc[mask]
        cs01_vec = seed_scipy_period(desk_period, cds_period, cs01_limits, coupon)
        cs01_optimized.loc[end_date] = cs01_vec
    cs01_optimized = cs01_optimized.astype(float)
    periods = [d.strftime("%Y-%m-%d") for d in cs01_optimized.index]
    return periods, cs01_optimized.to_numpy(float), None


def rebuild_loop(sample: Sample) -> Outcome:
    """A new CVXPY problem per window, window data as constants."""
    desk, spreads, limits, coupons, dates = arrays(sample)
    periods, rows, objectives = [], [], []
    for positions in month_windows(dates):
        desk_sum, changes, first, days = window_data(desk, spreads, positions)
        x = cp.Variable(len(limits), name="cs01")
        hedge = (0.01 * changes) @ x
        carry = (coupons * BP * days / YEAR_DAYS) @ x
        roll = (ROLL_SHARE * first * BP * days / YEAR_DAYS) @ x
        problem = cp.Problem(cp.Maximize(desk_sum + hedge - carry - roll),
                             [x >= 0, x <= limits])
        problem.solve(solver=SOLVER)
        assert problem.status == cp.OPTIMAL, problem.status
        periods.append(dates[positions[-1]].strftime("%Y-%m-%d"))
        rows.append(x.value)
        objectives.append(problem.value)
    return periods, np.array(rows), np.array(objectives)


def dpp_problem(limits: np.ndarray, coupons: np.ndarray
                ) -> tuple[cp.Problem, cp.Variable, tuple[cp.Parameter, ...]]:
    """One problem for every window; the window's data are parameters.

    `first spread x days` is one parameter: the product of two parameters is not DPP.
    """
    n = len(limits)
    desk_sum = cp.Parameter(name="desk_sum")
    changes = cp.Parameter(n, name="spread_changes")
    first_days = cp.Parameter(n, name="first_spread_x_days")
    days = cp.Parameter(nonneg=True, name="days")
    x = cp.Variable(n, name="cs01")
    hedge = (0.01 * changes) @ x
    carry = days * ((coupons * BP / YEAR_DAYS) @ x)
    roll = ((ROLL_SHARE * BP / YEAR_DAYS) * first_days) @ x
    problem = cp.Problem(cp.Maximize(desk_sum + hedge - carry - roll), [x >= 0, x <= limits])
    return problem, x, (desk_sum, changes, first_days, days)


def dpp_loop(sample: Sample) -> Outcome:
    desk, spreads, limits, coupons, dates = arrays(sample)
    problem, x, (desk_sum, changes, first_days, days) = dpp_problem(limits, coupons)
    periods, rows, objectives = [], [], []
    for positions in month_windows(dates):
        total, change, first, n_days = window_data(desk, spreads, positions)
        desk_sum.value, changes.value = total, change
        first_days.value, days.value = first * n_days, n_days
        problem.solve(solver=SOLVER)
        assert problem.status == cp.OPTIMAL, problem.status
        periods.append(dates[positions[-1]].strftime("%Y-%m-%d"))
        rows.append(x.value)
        objectives.append(problem.value)
    return periods, np.array(rows), np.array(objectives)


def stacked_lp(sample: Sample) -> Outcome:
    """All windows in one LP: a (windows x indices) variable, one solve."""
    desk, spreads, limits, coupons, dates = arrays(sample)
    parts = month_windows(dates)
    data = [window_data(desk, spreads, p) for p in parts]
    desk_sums = np.array([d[0] for d in data])
    changes = np.array([d[1] for d in data])
    first = np.array([d[2] for d in data])
    days = np.array([d[3] for d in data], float)[:, None]
    coef = 0.01 * changes - coupons * BP * days / YEAR_DAYS \
        - ROLL_SHARE * first * BP * days / YEAR_DAYS
    x = cp.Variable(coef.shape, name="cs01")
    problem = cp.Problem(cp.Maximize(desk_sums.sum() + cp.sum(cp.multiply(coef, x))),
                         [x >= 0, x <= np.broadcast_to(limits, coef.shape)])
    problem.solve(solver=SOLVER)
    assert problem.status == cp.OPTIMAL, problem.status
    periods = [dates[p[-1]].strftime("%Y-%m-%d") for p in parts]
    cs01 = np.asarray(x.value, float)
    return periods, cs01, desk_sums + (coef * cs01).sum(axis=1)


CONTENDERS: dict[str, Callable[[], dict]] = {
    "saddle": run_saddle,
    "saddle-stack": functools.partial(run_saddle, "stack"),
    "saddle-loop": functools.partial(run_saddle, "loop"),
    "scipy": functools.partial(_hand, scipy_loop),
    "cvxpy-rebuild": functools.partial(_hand, rebuild_loop),
    "cvxpy-dpp": functools.partial(_hand, dpp_loop),
    "cvxpy-stacked": functools.partial(_hand, stacked_lp),
}
LABELS = {
    "saddle": "Saddle, default: vectorized (end to end)",
    "saddle-stack": "Saddle, strategy=stack (end to end)",
    "saddle-loop": "Saddle, strategy=loop (end to end)",
    "scipy": "seed's scipy loop",
    "cvxpy-rebuild": "hand CVXPY, rebuild per window",
    "cvxpy-dpp": "hand CVXPY, DPP loop",
    "cvxpy-stacked": "hand CVXPY, stacked LP",
}


# ---- correctness ----

def reference() -> pd.DataFrame:
    ref = calendar_rolling("M")
    assert len(ref) == N_WINDOWS, f"{len(ref)} windows, expected {N_WINDOWS}"
    return ref


def scipy_objectives(cs01: np.ndarray) -> np.ndarray:
    """The period objective at scipy's cs01 (the seed's own formulas), untimed."""
    desk, spreads, limits, coupons = load_sample()
    parts = month_windows(desk.index)
    return np.array([period_objective(desk.iloc[p], spreads.iloc[p], limits, coupons, x)
                     for p, x in zip(parts, cs01, strict=True)])


def distance(run: dict, ref: pd.DataFrame) -> tuple[float, float]:
    """(max |cs01 - oracle|, max |objective - oracle|); asserts same periods and columns."""
    assert run["periods"] == list(ref.index), "periods differ from calendar_rolling('M')"
    columns = [c for c in ref.columns if c != "objective"]
    assert run["columns"] == columns, f"columns {run['columns']} != {columns}"
    dx = float(np.max(np.abs(run["cs01"] - ref[columns].to_numpy(float))))
    dobj = float(np.max(np.abs(run["objective"] - ref["objective"].to_numpy(float))))
    return dx, dobj


def check(name: str, run: dict, ref: pd.DataFrame) -> tuple[float, float]:
    if run["objective"] is None:  # scipy: evaluated here, untimed
        run["objective"] = scipy_objectives(run["cs01"])
    dx, dobj = distance(run, ref)
    if name != "scipy":
        assert dx <= ATOL and dobj <= ATOL, (
            f"{name}: differs from calendar_rolling('M'): max |dcs01| {dx:.2e}, "
            f"max |dobjective| {dobj:.2e} (> {ATOL:g})")
    return dx, dobj


# ---- the run ----

def warm_up(ref: pd.DataFrame) -> float:
    """Untimed: the first parse (builds the Lark parser), then one run of each contender."""
    start = time.perf_counter()
    load(MODEL)
    first_parse = time.perf_counter() - start
    for name, run in CONTENDERS.items():
        check(name, run(), ref)
    return first_parse


def bench(repeat: int, ref: pd.DataFrame, names: list[str]
          ) -> tuple[dict[str, list[dict]], dict[str, tuple[float, float]]]:
    runs: dict[str, list[dict]] = {n: [] for n in names}
    worst: dict[str, tuple[float, float]] = {n: (0.0, 0.0) for n in names}
    for k in range(repeat):
        order = names[k % len(names):] + names[:k % len(names)]
        for name in order:
            run = CONTENDERS[name]()
            dx, dobj = check(name, run, ref)
            worst[name] = (max(worst[name][0], dx), max(worst[name][1], dobj))
            runs[name].append(run)
        line = ", ".join(f"{n} {runs[n][-1]['total']:.4f}" for n in names)
        print(f"  repeat {k + 1}/{repeat} (first: {order[0]}): {line} s", flush=True)
    return runs, worst


def _med(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _row(label: str, values: list[float], total: float | None = None) -> str:
    med = statistics.median(values)
    share = f"{100 * med / total:5.1f}%" if total else "      "
    return f"  {label:<42} {med:9.4f} {min(values):9.4f} {max(values):9.4f}  {share}"


def saddle_split(label: str, s: list[dict]) -> None:
    """Wall clock of the three calls, then where the time goes, wherever it happens (in
    the current tree the windows are lowered lazily, inside solve())."""
    total = _med(s, "total")
    print(f"{label}: the split")
    print(_row("parse (load)", [r["parse"] for r in s], total))
    print(_row("compile_model", [r["compile"] for r in s], total))
    print(_row("solve()", [r["solve"] for r in s], total))
    print(_row("end to end", [r["total"] for r in s], total))
    print(f"{label}: by pass, wherever it runs")
    names = list(s[0]["passes"])
    for n in names:
        print(_row(n, [r["passes"].get(n, 0.0) for r in s], total))
    calls = s[0]["solves"]
    print(_row(f"cp.Problem.solve ({calls} call{'s' if calls != 1 else ''})",
               [r["solve_calls"] for r in s], total))
    print(_row("  of which cvxpy compilation_time", [r["cvxpy"] for r in s], total))
    print(_row("  of which HiGHS solve_time", [r["highs"] for r in s], total))
    print(_row("rest (cp.Problem objects, stacking, ...)",
               [r["total"] - r["parse"] - r["solve_calls"] - sum(r["passes"].values())
                for r in s], total))


def report(runs: dict[str, list[dict]], worst: dict[str, tuple[float, float]],
           first_parse: float) -> dict[str, float]:
    repeat = len(next(iter(runs.values())))
    print()
    print(f"CDS hedge, {N_WINDOWS} monthly windows, {SOLVER} for every CVXPY path, "
          f"{repeat} interleaved repeat(s); seconds")
    print(f"  {'':<42} {'median':>9} {'min':>9} {'max':>9}  share")
    for key in ("saddle", "saddle-stack", "saddle-loop"):
        if key in runs:
            saddle_split(LABELS[key], runs[key])
    print("every contender: total (CSV read included) and parts")
    print(f"  {'':<42} {'median':>9} {'min':>9} {'max':>9}")
    for name, rs in runs.items():
        print(_row(f"{LABELS[name]}: total", [r["total"] for r in rs]))
        if not name.startswith("saddle"):
            print(_row("  read CSVs (load_sample)", [r["read"] for r in rs]))
            print(_row("  loop (data in memory)", [r["loop"] for r in rs]))
        if rs[0]["solves"]:
            print(_row(f"  cvxpy compilation_time ({rs[0]['solves']} solves)",
                       [r["cvxpy"] for r in rs]))
            print(_row("  HiGHS solve_time", [r["highs"] for r in rs]))
            print(_row("  outside HiGHS", [r["total"] - r["highs"] for r in rs]))

    print("correctness against calendar_rolling('M') (max over all runs)")
    for name, (dx, dobj) in worst.items():
        verdict = f"asserted <= {ATOL:g}" if name != "scipy" else (
            "equal" if dx <= ATOL and dobj <= ATOL else "NOT equal (reported only)")
        print(f"  {LABELS[name]:<42} max |d cs01| {dx:.1e}  max |d objective| {dobj:.1e}  "
              f"({verdict})")
    print(f"  first parse in the process (builds the Lark parser, untimed warm-up): "
          f"{first_parse:.3f} s")

    ratios: dict[str, float] = {}
    if "saddle" not in runs:
        return ratios
    saddle = _med(runs["saddle"], "total")
    print("ratios of medians")

    def ratio(label: str, a: float, b: float, target: str = "", ok: bool | None = None
              ) -> float:
        value = a / b
        verdict = "" if ok is None else ("  meets" if ok else "  MISSES")
        print(f"  {label:<58} {value:8.2f}  {target}{verdict}")
        return value

    if "scipy" in runs:
        v = ratio("scipy / Saddle (both read the CSVs)", _med(runs["scipy"], "total"),
                  saddle, f"target >= {TARGET_SCIPY:g}",
                  _med(runs["scipy"], "total") / saddle >= TARGET_SCIPY)
        ratios["scipy/saddle"] = v
        ratio("scipy loop alone (data in memory) / Saddle", _med(runs["scipy"], "loop"),
              saddle)
        if "cvxpy-dpp" in runs:
            ratio("scipy / hand DPP (both totals)", _med(runs["scipy"], "total"),
                  _med(runs["cvxpy-dpp"], "total"))
    if "cvxpy-dpp" in runs:
        dpp = _med(runs["cvxpy-dpp"], "total")
        ratios["saddle/dpp"] = ratio("Saddle / hand DPP (both read the CSVs)", saddle, dpp,
                                     f"target <= {TARGET_DPP:g}", saddle / dpp <= TARGET_DPP)
        ratio("Saddle / hand DPP loop alone (data in memory)", saddle,
              _med(runs["cvxpy-dpp"], "loop"))
        if "saddle-loop" in runs:
            ratio("Saddle strategy=loop / hand DPP", _med(runs["saddle-loop"], "total"), dpp)
    if "cvxpy-rebuild" in runs:
        ratio("Saddle / hand rebuild loop", saddle, _med(runs["cvxpy-rebuild"], "total"))
    if "cvxpy-stacked" in runs:
        ratios["saddle/stacked"] = ratio("Saddle / hand stacked LP (both read the CSVs)",
                                         saddle, _med(runs["cvxpy-stacked"], "total"))
        ratio("Saddle / hand stacked LP alone (data in memory)", saddle,
              _med(runs["cvxpy-stacked"], "loop"))
    if "saddle-loop" in runs:
        ratio("Saddle strategy=loop / Saddle default", _med(runs["saddle-loop"], "total"),
              saddle)
    # On a busy machine the medians move; the ratio of the fastest runs and the ratios of
    # runs timed side by side (same repeat) are steadier.
    print("headline ratios, noise checks (totals, CSV read included)")
    for a, b in (("scipy", "saddle"), ("saddle", "cvxpy-dpp"), ("saddle", "cvxpy-stacked")):
        if a in runs and b in runs:
            ta, tb = [r["total"] for r in runs[a]], [r["total"] for r in runs[b]]
            paired = [x / y for x, y in zip(ta, tb, strict=True)]
            print(f"  {a} / {b}: ratio of minima {min(ta) / min(tb):.2f}; per repeat "
                  f"{', '.join(f'{v:.2f}' for v in paired)} (median "
                  f"{statistics.median(paired):.2f})")
    return ratios


def profile_saddle(top: int) -> None:
    """cProfile one Saddle run: own time by package, then the top functions."""
    clear_csv_cache()
    profiler = cProfile.Profile()
    with contextlib.redirect_stderr(io.StringIO()):
        profiler.enable()
        compile_model(load(MODEL)).solve(solver=SOLVER)
        profiler.disable()
    stats = pstats.Stats(profiler)
    buckets: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += tottime
        buckets[_bucket(filename)] += tottime
    print(f"\ncProfile of one Saddle run (default strategy): own time by package "
          f"(total {total:.3f} s under the profiler)")
    for name, seconds in sorted(buckets.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<28} {seconds:8.4f} s  {100 * seconds / total:5.1f}%")
    print_profile(profiler, "one Saddle run", top, (ALL_CUMULATIVE, SADDLE_CUMULATIVE, ALL_OWN,))


def _bucket(filename: str) -> str:
    if filename.startswith(str(ROOT / "benchmarks")):
        return "this script's timers"
    if filename.startswith(str(ROOT)):
        return Path(filename).relative_to(ROOT).parts[0] + "/ (Saddle)"
    match = re.search(r"site-packages/([^/]+)", filename)
    if match:
        return match.group(1).removesuffix(".py")
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C calls)"
    return "python stdlib"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each contender")
    parser.add_argument("--only", nargs="+", choices=list(CONTENDERS), default=None,
                        help="time only these contenders")
    parser.add_argument("--profile", type=int, nargs="?", const=30, default=None,
                        metavar="N", help="cProfile one Saddle run and print the top N "
                        "functions (default: done, top 30, when a target is missed)")
    parser.add_argument("--no-profile", action="store_true",
                        help="never profile, even when a target is missed")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if SOLVER not in cp.installed_solvers():
        parser.error(f"{SOLVER} is not installed")
    instrument()
    ref = reference()
    first_parse = warm_up(ref)
    assert dpp_problem(np.ones(4), np.ones(4))[0].is_dpp(), "the DPP problem is not DPP"
    names = args.only or list(CONTENDERS)
    load_avg = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"CDS benchmark: {len(names)} contenders, {args.repeat} repeat(s), cvxpy "
          f"{cp.__version__}, pandas {pd.__version__}, {os.cpu_count()} CPUs, load average "
          f"{'/'.join(f'{x:.2f}' for x in load_avg) if load_avg else 'n/a'} at start")
    runs, worst = bench(args.repeat, ref, names)
    ratios = report(runs, worst, first_parse)
    if load_avg is not None:
        print(f"  load average at the end: {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    missed = (ratios.get("scipy/saddle", TARGET_SCIPY) < TARGET_SCIPY
              or ratios.get("saddle/dpp", 0.0) > TARGET_DPP)
    if not args.no_profile and (args.profile or missed):
        profile_saddle(args.profile or 30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
