"""A 50-point sweep of `cvar_limit` on models/treasury.saddle against a hand-written DPP loop.

    python benchmarks/bench_sweep_dpp.py [--points 50] [--repeat 5]

Not a test: a script run by hand. Issue 12 item 4: "a sweep of 50 points over `cvar_limit`
on the treasury LP costs <= 1.2x a hand-written DPP loop".

Timed in one process, interleaved (the order alternates every repeat), HiGHS everywhere:

* Saddle: `compiler.sweep(load(model), "cvar_limit", grid)`: parse, check, bind, compile
  once with cvar_limit as a cvxpy Parameter (compiler/lowering/parametric.py), then per point set
  the value, solve, and build the row (values by label, objective, status).
* Saddle, re-compiled: the same sweep with the Parameter path switched off
  (`compile_parametric` answering "no"): the cost of compiling every point, as before.
* Hand DPP: the model in plain cvxpy (the treasury oracle's MIP: w = long - short, one
  binary direction per tenor, big-M from liquidity, Rockafellar-Uryasev CVaR) with
  `cvar_limit` a `cp.Parameter`, built once, solved 50 times: the ratios' denominator.
  Its data are read with pandas and the scenarios drawn with numpy, inside the timing.

Every point of both Saddle sweeps must match the hand loop's objective to 1e-6 relative.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from compiler import load, sweep  # noqa: E402
from compiler.lowering import parametric  # noqa: E402
from compiler.rolling import sweeps as sweeps_module  # noqa: E402

MODEL = ROOT / "models" / "treasury.saddle"
CSV = ROOT / "models" / "data" / "real_yields_2024.csv"
MIP = {"mip_rel_gap": 1e-9}  # what Saddle passes HiGHS for a MIP


def hand_loop(grid: list[float]) -> list[float]:
    """The treasury MIP in plain cvxpy, cvar_limit a Parameter: one build, len(grid) solves."""
    yields = pd.read_csv(CSV)[["5 YR", "7 YR", "10 YR", "20 YR", "30 YR"]].iloc[-1]
    yields = yields.to_numpy(dtype=float) / 100
    repo = np.array([1.95, 2.00, 2.05, 2.15, 2.20]) / 100
    cost = np.array([10, 15, 20, 25, 30]) / 1e4
    vol = np.array([0.15, 0.17, 0.19, 0.22, 0.25]) / 100
    notional, capital, min_weight = 50.0, 250.0, 0.02
    liquidity = np.array([100.0, 90.0, 80.0, 60.0, 50.0])
    shock = np.random.default_rng(7).normal(0.0, 1.0, size=(1000, 5))
    limit = cp.Parameter(nonneg=True)
    long, short = cp.Variable(5, nonneg=True), cp.Variable(5, nonneg=True)
    is_long = cp.Variable(5, boolean=True)
    w, abs_w = long - short, long + short
    alpha = cp.Variable()
    losses = -(shock @ cp.multiply(notional * vol, w))
    big_m = liquidity / notional
    problem = cp.Problem(
        cp.Maximize(notional * ((yields - repo) @ w - cost @ abs_w)),
        [notional * cp.sum(abs_w) <= capital, notional * abs_w <= liquidity,
         alpha + cp.sum(cp.pos(losses - alpha)) / (0.05 * 1000) <= limit,
         long <= cp.multiply(big_m, is_long), short <= cp.multiply(big_m, 1 - is_long),
         abs_w >= min_weight])
    objectives = []
    for value in grid:
        limit.value = value
        problem.solve(solver=cp.HIGHS, **MIP)
        objectives.append(float(problem.value))
    return objectives


def saddle_sweep(grid: list[float]) -> list[float]:
    result = sweep(load(MODEL), "cvar_limit", grid, solver="HIGHS")
    if not any(n.startswith("compiled once") for n in result.notes):
        raise SystemExit(f"the sweep was not compiled once: {result.notes}")
    return [float(result.table.loc[v]["objective"]) for v in grid]


def saddle_recompiled(grid: list[float]) -> list[float]:
    original = sweeps_module.compile_parametric
    sweeps_module.compile_parametric = lambda *args: "switched off by the benchmark"
    try:
        result = sweep(load(MODEL), "cvar_limit", grid, solver="HIGHS")
    finally:
        sweeps_module.compile_parametric = original
    return [float(result.table.loc[v]["objective"]) for v in grid]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    grid = [float(f"{v:.12g}") for v in np.linspace(0.2, 1.2, args.points)]
    sides = {"hand DPP": hand_loop, "Saddle": saddle_sweep,
             "Saddle re-compiled": saddle_recompiled}
    reference = hand_loop(grid)  # warm-up (imports, the parser), and the answers
    for name, run in sides.items():
        got = run(grid)
        np.testing.assert_allclose(got, reference, rtol=1e-6, atol=1e-9, err_msg=name)
    times: dict[str, list[float]] = {name: [] for name in sides}
    ratios: dict[str, list[float]] = {name: [] for name in sides}
    for k in range(args.repeat):
        order = list(sides) if k % 2 == 0 else list(reversed(sides))
        row = {}
        for name in order:
            started = time.perf_counter()
            sides[name](grid)
            row[name] = time.perf_counter() - started
            times[name].append(row[name])
        for name in sides:
            ratios[name].append(row[name] / row["hand DPP"])
    print(f"treasury, {args.points} points of cvar_limit in [0.2, 1.2], HiGHS, "
          f"{args.repeat} interleaved repeats (parametric module: {parametric.__name__})")
    for name in sides:
        t, r = times[name], ratios[name]
        print(f"  {name:20s} {statistics.median(t):7.3f} s [{min(t):.3f}-{max(t):.3f}]   "
              f"ratio {statistics.median(r):.2f} [{min(r):.2f}-{max(r):.2f}]")


if __name__ == "__main__":
    main()
