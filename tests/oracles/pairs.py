"""Independent oracle for models/pairs_hedge.saddle, written without Saddle: the hedge ratio of
KO on PEP (prices, with an intercept) by least squares and robust to a box of PEP price
errors, and the z-score bands of the spread at the fitted ratio. The data are the CSV of
``scripts/make_pairs_sample.py``.

Least squares: numpy's ``lstsq`` on [1, PEP] (no optimization at all).

Robust: each day's PEP price may be off by up to a fraction rho of itself, PEP_t (1 + e_t)
with |e_t| <= rho, each day its own error. For fixed (alpha, beta) the worst error of day t
maximizes (r_t - beta PEP_t e_t)^2, a convex function of e_t, so it sits at a vertex and is
(|r_t| + rho PEP_t |beta|)^2. Written out by hand as one plain CVXPY problem (no epigraph,
no adversary):

    minimize   sum_t (|KO_t - alpha - beta PEP_t| + rho PEP_t |beta|)^2 / T

The fit is flat along (alpha, beta) -> (alpha - mean(PEP) d, beta + d): a conic solver's
1e-8 gap pins beta only to ~1e-5. So the answer is then polished exactly: with the signs
s_t of the residuals fixed (and beta > 0), the objective is the quadratic
|| s o KO - alpha s - beta (s o PEP - rho PEP) ||^2 / T, minimized by ``lstsq``; when the
signs it gives are the signs it assumed, none zero, that point is a stationary point where
the convex objective is differentiable: the optimum, to machine precision. (A larger rho
can put the optimum on a kink, a residual exactly zero, as least absolute deviations do:
on the sample at rho = 1%; then the signs do not settle and `polish` says so.)
``worst_case_by_vertices`` evaluates the worst case by trying both vertices per day.

Bands: spread_t = KO_t - beta PEP_t, its mean, its sample std (ddof = 1), and
mean +- z std for the entry and exit z.
"""

from __future__ import annotations

from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd

PRICES = Path(__file__).resolve().parents[2] / "models" / "data" / "pairs" / "prices.csv"
RHO, ENTRY_Z, EXIT_Z = 0.002, 2.0, 0.5  # the model file's values


def load_prices(path: Path = PRICES) -> pd.DataFrame:
    """Columns KO and PEP ($ per share), indexed by date."""
    return pd.read_csv(path, index_col="date")


def ols(prices: pd.DataFrame) -> dict:
    x, y = prices["PEP"].to_numpy(float), prices["KO"].to_numpy(float)
    design = np.column_stack([np.ones_like(x), x])
    (alpha, beta), *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - alpha - beta * x
    return {"alpha": float(alpha), "beta": float(beta),
            "objective": float(np.mean(residual**2))}


def robust(prices: pd.DataFrame, rho: float = RHO) -> dict:
    x, y = prices["PEP"].to_numpy(float), prices["KO"].to_numpy(float)
    alpha, beta = cp.Variable(), cp.Variable()
    worst = cp.abs(y - alpha - beta * x) + rho * x * cp.abs(beta)
    problem = cp.Problem(cp.Minimize(cp.sum_squares(worst) / len(x)))
    problem.solve(solver="CLARABEL")
    start = float(np.asarray(alpha.value)), float(np.asarray(beta.value))
    exact = polish(prices, *start, rho)
    return {"status": problem.status, "conic_alpha": start[0], "conic_beta": start[1],
            "conic_objective": float(problem.value)} | exact


def polish(prices: pd.DataFrame, alpha: float, beta: float, rho: float) -> dict:
    """The exact optimum from a nearby point: least squares with the residual signs fixed."""
    x, y = prices["PEP"].to_numpy(float), prices["KO"].to_numpy(float)
    for _ in range(20):
        signs = np.sign(y - alpha - beta * x)
        design = np.column_stack([signs, signs * x - rho * x])
        (alpha, beta), *_ = np.linalg.lstsq(design, signs * y, rcond=None)
        residual = y - alpha - beta * x
        if beta > 0 and np.all(np.sign(residual) == signs) and np.all(residual != 0):
            return {"alpha": float(alpha), "beta": float(beta),
                    "objective": worst_case_by_vertices(prices, alpha, beta, rho),
                    "smallest_residual": float(np.min(np.abs(residual)))}
    raise RuntimeError("the residual signs did not settle: no smooth optimum to polish")


def worst_case_by_vertices(prices: pd.DataFrame, alpha: float, beta: float,
                           rho: float = RHO) -> float:
    """The mean squared residual at the worst PEP errors, each day trying e = -rho and +rho."""
    x, y = prices["PEP"].to_numpy(float), prices["KO"].to_numpy(float)
    squares = [(y - alpha - beta * x * (1 + e)) ** 2 for e in (-rho, rho)]
    return float(np.mean(np.maximum(*squares)))


def bands(prices: pd.DataFrame, beta: float, entry_z: float = ENTRY_Z,
          exit_z: float = EXIT_Z) -> dict:
    """The spread's mean and sample std at hedge ratio beta, and its entry/exit levels ($)."""
    spread = prices["KO"].to_numpy(float) - beta * prices["PEP"].to_numpy(float)
    mean, std = float(np.mean(spread)), float(np.std(spread, ddof=1))
    return {"spread": spread, "spread_mean": mean, "spread_std": std,
            "entry_short": mean + entry_z * std, "entry_long": mean - entry_z * std,
            "exit_upper": mean + exit_z * std, "exit_lower": mean - exit_z * std}


BAND_NAMES = ("spread_mean", "spread_std", "entry_short", "entry_long", "exit_upper",
              "exit_lower")


def solve_pairs(rho: float = RHO) -> dict:
    """The model's answer: the fit (least squares at rho = 0), each day's worst residual
    t (|r_t| + rho PEP_t |beta|, by date) and the bands."""
    prices = load_prices()
    fit = ols(prices) | {"status": "optimal"} if rho == 0 else robust(prices, rho)
    x, y = prices["PEP"].to_numpy(float), prices["KO"].to_numpy(float)
    worst = np.abs(y - fit["alpha"] - fit["beta"] * x) + rho * x * abs(fit["beta"])
    return fit | {"t": dict(zip(prices.index, worst.tolist(), strict=True))} | {
        k: v for k, v in bands(prices, fit["beta"]).items() if k in BAND_NAMES}
