"""Independent oracle for ``models/robust_lots.saddle``: robust allocation in whole lots.

Written without Saddle. The worst expected return over the ellipsoid
{mu + L z : ||z|| <= kappa} (L L' = cov) is, in closed form, mu'x - kappa sqrt(x' cov x), so

    maximize   mu'x - kappa ||L'x|| - gamma x' cov x,   x = lot * n
    subject to sum(x) <= budget,  n integer in [0, max_lots]

is solved as the oracle's own MISOCP with SCIP, and, for a small grid of lots, by evaluating
the closed form at every integer point (no solver at all).
"""

from itertools import product
from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd
from scipy.stats import chi2

DATA = Path(__file__).resolve().parents[2] / "models" / "data" / "robust_mean"
DEFAULTS = {"years": 20.0, "lot": 0.5, "budget": 10.0, "max_lots": 6, "gamma": 0.01}


def lots_data(**overrides) -> dict:
    assets = pd.read_csv(DATA / "assets.csv")
    cov = pd.read_csv(DATA / "covariance.csv", index_col=0).loc[assets.asset, assets.asset]
    data = {**DEFAULTS, **overrides, "asset": list(assets.asset),
            "mu": assets["mean"].to_numpy(float), "cov": cov.to_numpy(float)}
    data["kappa"] = float(np.sqrt(chi2.ppf(0.9, len(assets)) / data["years"]))
    return data


def worst_return(data: dict, x: np.ndarray) -> float:
    """The objective at x in closed form: mu'x - kappa sqrt(x'Σx) - gamma x'Σx."""
    variance = float(x @ data["cov"] @ x)
    return float(data["mu"] @ x - data["kappa"] * np.sqrt(variance) - data["gamma"] * variance)


def solve_misocp(data: dict) -> dict:
    n = cp.Variable(len(data["mu"]), integer=True)
    x = data["lot"] * n
    factor = np.linalg.cholesky(data["cov"])
    objective = (data["mu"] @ x - data["kappa"] * cp.norm2(factor.T @ x)
                 - data["gamma"] * cp.quad_form(x, data["cov"]))
    problem = cp.Problem(cp.Maximize(objective),
                         [cp.sum(x) <= data["budget"], n >= 0, n <= data["max_lots"]])
    problem.solve(solver=cp.SCIP)
    return {"lots": np.asarray(n.value, float), "objective": float(problem.value),
            "status": problem.status}


def brute_force(data: dict) -> dict:
    """Every integer point of the box, the budget checked, the closed form evaluated."""
    best: dict = {"objective": -np.inf}
    for point in product(range(int(data["max_lots"]) + 1), repeat=len(data["mu"])):
        lots = np.array(point, float)
        x = data["lot"] * lots
        if x.sum() > data["budget"] + 1e-12:
            continue
        value = worst_return(data, x)
        if value > best["objective"]:
            best = {"lots": lots, "objective": value}
    return best
