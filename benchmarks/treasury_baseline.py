"""Hand-written CVXPY baseline for the treasury CVaR model, at benchmark size.

The benchmark compares Saddle against what a user would write by hand. This module is that
hand-written side: synthetic data shaped like the treasury model of
``../shared/seeds/treasury_trading_notebook.txt`` (tenors x scenarios, money in $M), the most
direct CVXPY formulation of the convex model (no haircut; CVaR via ``cp.cvar``), and CSV
files so Saddle can solve the very same numbers.

Run ``python benchmarks/treasury_baseline.py [n_tenors n_scenarios]`` to print the time.
"""

import sys
import time
from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd

CVAR_LEVEL = 0.95
NOTIONAL = 50.0
VECTOR_PARAMS = ("yield", "repo", "cost", "vol", "liquidity")
SCALAR_PARAMS = ("notional", "capital", "cvar_limit")


def make_data(n_tenors: int = 50, n_scenarios: int = 10_000, seed: int = 0) -> dict:
    """Deterministic synthetic treasury data of the given size.

    Args:
        n_tenors: number of instruments.
        n_scenarios: number of equally likely shock scenarios.
        seed: seed of ``np.random.default_rng``; the same seed gives the same arrays.

    Returns:
        ``tenor`` labels; arrays ``yield``, ``repo``, ``cost``, ``vol``, ``liquidity`` over
        the tenors; floats ``notional``, ``capital``, ``cvar_limit``; and ``shock``, an
        (n_scenarios, n_tenors) standard-normal matrix, one row per scenario.
    """
    rng = np.random.default_rng(seed)
    width = len(str(n_tenors))
    yields = rng.uniform(0.015, 0.025, n_tenors)
    return {
        "tenor": [f"T{i:0{width}d}" for i in range(1, n_tenors + 1)],
        "yield": yields,
        # Repo near the yield, so carry has both signs and the book goes long and short.
        "repo": yields + rng.normal(0.0, 0.002, n_tenors),
        "cost": rng.uniform(0.0005, 0.0030, n_tenors),
        "vol": rng.uniform(0.10, 0.30, n_tenors) / 100,
        "notional": NOTIONAL,
        "liquidity": rng.uniform(50.0, 100.0, n_tenors),
        "capital": 250.0 * n_tenors / 5,
        # Portfolio loss spread grows like sqrt(n) for independent shocks; this limit keeps
        # the tail-risk constraint binding at every size, so the solver does real CVaR work.
        "cvar_limit": 0.3 * np.sqrt(n_tenors / 5),
        "shock": rng.normal(0.0, 1.0, size=(n_scenarios, n_tenors)),
    }


def write_csvs(data: dict, folder: str | Path) -> Path:
    """Write ``data`` as CSV files that a Saddle model can read back unchanged.

    One file per vector param (``yield.csv``: columns ``tenor,yield``), ``shock.csv`` as a
    matrix (first column ``scenario`` = 1..m, header row = tenor labels, as in
    ``cashflows.csv`` of the robust bond data) and ``scalars.csv`` (columns ``param,value``).
    Floats are written at full precision, so the round trip is exact.

    Returns:
        The folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tenor = pd.Index(data["tenor"], name="tenor")
    for name in VECTOR_PARAMS:
        pd.Series(data[name], index=tenor, name=name).to_csv(folder / f"{name}.csv")
    scenario = pd.RangeIndex(1, len(data["shock"]) + 1, name="scenario")
    pd.DataFrame(data["shock"], index=scenario, columns=tenor).to_csv(folder / "shock.csv")
    scalars = pd.Series({name: float(data[name]) for name in SCALAR_PARAMS}, name="value")
    scalars.rename_axis("param").to_csv(folder / "scalars.csv")
    return folder


def read_csvs(folder: str | Path) -> dict:
    """Read back what ``write_csvs`` wrote, with pandas, as a user of plain CVXPY would.

    Every file is aligned to the tenor order of ``yield.csv`` by label (as Saddle aligns
    csv data to a set's labels), so the files may list the tenors in any order.

    Returns:
        The same keys as ``make_data``; arrays in the tenor order of ``yield.csv``.
    """
    folder = Path(folder)
    tenor = pd.read_csv(folder / "yield.csv", index_col=0).index
    data: dict = {"tenor": list(tenor)}
    for name in VECTOR_PARAMS:
        table = pd.read_csv(folder / f"{name}.csv", index_col=0)
        data[name] = table[name].loc[tenor].to_numpy(dtype=float)
    shock = pd.read_csv(folder / "shock.csv", index_col=0)
    data["shock"] = shock[[str(t) for t in tenor]].to_numpy(dtype=float)
    scalars = pd.read_csv(folder / "scalars.csv", index_col=0)["value"]
    for name in SCALAR_PARAMS:
        data[name] = float(scalars[name])
    return data


def build_problem(data: dict) -> tuple[cp.Problem, cp.Variable]:
    """The convex treasury model as a user would write it in CVXPY."""
    w = cp.Variable(len(data["tenor"]))
    notional = data["notional"]
    loss = -(data["shock"] @ cp.multiply(notional * data["vol"], w))
    net_spread = notional * ((data["yield"] - data["repo"]) @ w - data["cost"] @ cp.abs(w))
    constraints = [
        notional * cp.sum(cp.abs(w)) <= data["capital"],
        notional * cp.abs(w) <= data["liquidity"],
        cp.cvar(loss, CVAR_LEVEL) <= data["cvar_limit"],
    ]
    return cp.Problem(cp.Maximize(net_spread), constraints), w


def build_and_solve_by_hand(n_tenors: int = 50, n_scenarios: int = 10_000,
                            seed: int = 0) -> dict:
    """Generate data, then build and solve the baseline with CLARABEL, timing the second part.

    Returns:
        ``objective`` ($M), ``weights``, ``status``, ``seconds`` (wall time of building,
        compiling and solving; data generation excluded) and ``solve_seconds`` (the solver's
        own time).
    """
    data = make_data(n_tenors, n_scenarios, seed)
    start = time.perf_counter()
    problem, w = build_problem(data)
    problem.solve(solver=cp.CLARABEL)
    seconds = time.perf_counter() - start
    return {
        "objective": float(problem.value),
        "weights": np.asarray(w.value),
        "status": problem.status,
        "seconds": seconds,
        "solve_seconds": problem.solver_stats.solve_time,
    }


if __name__ == "__main__":
    args = [int(arg) for arg in sys.argv[1:]]
    n_tenors, n_scenarios = args if len(args) == 2 else (50, 10_000)
    result = build_and_solve_by_hand(n_tenors, n_scenarios)
    print(f"treasury baseline {n_tenors} tenors x {n_scenarios} scenarios: "
          f"{result['status']}, objective {result['objective']:.6f} $M, "
          f"{result['seconds']:.2f} s wall ({result['solve_seconds']:.2f} s in CLARABEL)")
