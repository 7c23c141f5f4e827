"""Per-period cost of a backtest: Saddle's compiled-once (DPP) loop against a hand-written
cvxpy DPP loop (issue 13; target <= 1.2x).

    python benchmarks/bench_backtest.py [--repeat 7]

Not a test: a script run by hand. Workloads, each solved with the same solver by both:

* cds        models/cds_hedge.saddle, 48 monthly rebalances (HiGHS). Hand loop:
             tests/oracles/cds_backtest.py (`HandLoop`: one problem, the desk sum and the
             coefficient vector as Parameters) with the realized P&L in numpy.
* mean-cvar  a 10-asset mean-CVaR book with L1 turnover costs against the carried book,
             120-day lookback, ~30 monthly rebalances on synthetic returns (Clarabel). Hand
             loop below: the scenario matrix and the book as Parameters.

Timed: everything from the compiled model (or the data in memory) to the per-period table,
i.e. Saddle's `Backtest(rolling).run()` (planning the windows, building the parametric
problem, the loop, realized P&L) and the hand loop's build + loop + P&L; the first solve's
canonicalization is inside both. Reported: median seconds per period over `--repeat` runs,
interleaved (the order alternates), after one untimed warm-up of each; also Saddle with
`rebuild=True` (a new problem per period) for scale. Results are checked equal first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # `oracles`

from oracles.cds_backtest import HandLoop, fast_realize  # noqa: E402

from compiler import compile_model, load, loads  # noqa: E402
from compiler.rolling.backtest import Backtest  # noqa: E402

MEAN_CVAR = """model book "10-asset mean-CVaR with turnover costs"
set day = csv("returns.csv").date
set asset = csv("assets.csv").asset
series r[day, asset] = csv("returns.csv")
param cost = 0.0005
param risk = 0.5
variable w[asset] >= 0 <= 0.3
rebalance every month on day
let costs = cost * sum(abs(w - previous(w)))
let pnl = sum(r @ w) - costs
maximize utility: mean(r @ w) - risk * cvar(0.95, -(r @ w)) - costs
subject to
    budget: sum(w) == 1
"""
LOOKBACK = 120


def cvar_data(folder: Path) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    dates = pd.bdate_range("2022-01-03", periods=780)
    data = rng.normal(0.0004, 0.0003, 10) + rng.standard_t(5, (780, 10)) * 0.01
    frame = pd.DataFrame(data, index=dates.strftime("%Y-%m-%d"),
                         columns=[f"A{k}" for k in range(10)])
    frame.index.name = "date"
    frame.to_csv(folder / "returns.csv")
    pd.DataFrame({"asset": frame.columns}).to_csv(folder / "assets.csv", index=False)
    return frame


def hand_cvar(frame: pd.DataFrame, solver: str) -> pd.DataFrame:
    """The mean-CVaR backtest by hand: one DPP problem, scenarios and book as Parameters."""
    data = frame.to_numpy()
    keys = pd.to_datetime(frame.index).to_period("M")
    months = [np.flatnonzero(keys == k) for k in keys.unique()]
    scenarios, book = cp.Parameter((LOOKBACK, 10)), cp.Parameter(10)
    w, eta = cp.Variable(10), cp.Variable()
    cvar = eta + cp.sum(cp.pos(-scenarios @ w - eta)) / (0.05 * LOOKBACK)
    costs = 0.0005 * cp.norm1(w - book)
    problem = cp.Problem(cp.Maximize(cp.sum(scenarios @ w) / LOOKBACK - 0.5 * cvar - costs),
                         [w >= 0, w <= 0.3, cp.sum(w) == 1])
    held, rows = np.zeros(10), {}
    for window, after in zip(months[:-1], months[1:], strict=True):
        end = int(window[-1])
        if end + 1 < LOOKBACK:
            continue
        scenarios.value = data[end + 1 - LOOKBACK:end + 1]
        book.value = held
        problem.solve(solver=solver)
        x = np.asarray(w.value)
        pnl = data[after].sum(axis=0) @ x - 0.0005 * np.abs(x - held).sum()
        rows[frame.index[end]] = {"pnl": pnl}
        held = x
    return pd.DataFrame.from_dict(rows, orient="index")


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    out = function()
    return time.perf_counter() - start, out


def compare(name: str, saddle, rebuild, hand, repeat: int) -> None:
    (_, mine), (_, theirs) = timed(saddle), timed(hand)  # warm-up, and the check
    gap = float(np.max(np.abs(mine.periods["pnl"].to_numpy() - theirs["pnl"].to_numpy())))
    if gap > 1e-6:
        raise SystemExit(f"{name}: Saddle and the hand loop disagree by {gap:.3g}")
    periods = len(mine.periods)
    times: dict[str, list[float]] = {"saddle": [], "hand": [], "rebuild": []}
    for k in range(repeat):
        order = [("saddle", saddle), ("hand", hand)]
        for label, function in (order if k % 2 == 0 else order[::-1]):
            times[label].append(timed(function)[0])
    for _ in range(max(1, repeat // 3)):
        times["rebuild"].append(timed(rebuild)[0])
    median = {k: statistics.median(v) / periods for k, v in times.items()}
    print(f"{name}: {periods} periods, |P&L gap| {gap:.1e}")
    for label in ("saddle", "hand", "rebuild"):
        print(f"  {label:8s} {median[label] * 1e3:7.2f} ms/period")
    print(f"  saddle / hand DPP loop = {median['saddle'] / median['hand']:.2f}x "
          "(target <= 1.2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    rolling = compile_model(load(ROOT / "models" / "cds_hedge.saddle"))
    cds = HandLoop()
    realize = fast_realize(cds.coupons)
    compare("cds", lambda: Backtest(rolling).run(solver="HIGHS", progress=False),
            lambda: Backtest(rolling).run(solver="HIGHS", progress=False, rebuild=True),
            lambda: (cds.build(), cds.run(realize))[1], args.repeat)

    with tempfile.TemporaryDirectory() as folder:
        frame = cvar_data(Path(folder))
        book = compile_model(loads(MEAN_CVAR, "book.saddle"), base_dir=folder)
        compare("mean-cvar", lambda: Backtest(book, LOOKBACK).run(solver="CLARABEL",
                                                                  progress=False),
                lambda: Backtest(book, LOOKBACK).run(solver="CLARABEL", progress=False,
                                                     rebuild=True),
                lambda: hand_cvar(frame, "CLARABEL"), args.repeat)


if __name__ == "__main__":
    main()
