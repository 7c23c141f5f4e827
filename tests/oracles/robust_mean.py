"""Independent oracle for models/robust_mean.saddle, written without Saddle: the robust
mean allocation's closed form (Goldfarb & Iyengar 2003), a plain CVXPY SOCP.

    maximize   mu'w - kappa ||L'w||_2 - gamma w' cov w,   L L' = cov
    subject to sum(w) == 1, 0 <= w <= cap
"""

from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd
from scipy import stats

DATA = Path(__file__).resolve().parents[2] / "models" / "data" / "robust_mean"


def solve_robust_mean(years: float = 20, gamma: float = 2, cap: float = 0.4,
                      folder: Path = DATA) -> dict:
    assets = pd.read_csv(folder / "assets.csv")
    cov = pd.read_csv(folder / "covariance.csv", index_col=0).loc[assets["asset"],
                                                                  assets["asset"]]
    mu, sigma = assets["mean"].to_numpy(float), cov.to_numpy(float)
    kappa = np.sqrt(stats.chi2.ppf(0.9, len(mu)) / years)
    factor = np.linalg.cholesky(sigma)
    w = cp.Variable(len(mu))
    objective = mu @ w - kappa * cp.norm(factor.T @ w, 2) - gamma * cp.quad_form(w, sigma)
    problem = cp.Problem(cp.Maximize(objective), [cp.sum(w) == 1, w >= 0, w <= cap])
    problem.solve(solver="CLARABEL")
    worst = mu - kappa * sigma @ w.value / np.linalg.norm(factor.T @ w.value)
    return {"status": problem.status, "objective": float(problem.value),
            "weights": dict(zip(assets["asset"], w.value, strict=True)),
            "worst_mean": dict(zip(assets["asset"], worst, strict=True))}
