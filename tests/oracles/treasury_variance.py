"""Independent plain-CVXPY oracle for ``models/treasury_variance.saddle`` (a MIQP).

Written without Saddle. The treasury book's data (``oracles.treasury.treasury_data``) with a
variance penalty and no CVaR limit:

    maximize   notional * (carry'w - cost'|w|) - risk_aversion * r' C r,  r = notional * vol o w
    subject to notional * sum(|w|) <= capital, notional * |w_i| <= liquidity_i,
               |w_i| >= min_weight                                  (haircut; nonconvex)

Checked two ways: a mixed-integer form of the oracle's own (long/short split, one binary per
tenor, big-M from the liquidity bound) solved by SCIP, and a brute force over the 2^5 sign
patterns, each a concave QP solved by Clarabel.
"""

from itertools import product

import cvxpy as cp
import numpy as np

CORRELATION = np.array([[1.00, 0.97, 0.93, 0.85, 0.80],
                        [0.97, 1.00, 0.98, 0.92, 0.88],
                        [0.93, 0.98, 1.00, 0.96, 0.93],
                        [0.85, 0.92, 0.96, 1.00, 0.98],
                        [0.80, 0.88, 0.93, 0.98, 1.00]])
RISK_AVERSION = 2.0


def variance_data(treasury: dict, risk_aversion: float = RISK_AVERSION) -> dict:
    """The treasury data plus the correlation and the risk aversion."""
    return {**treasury, "corr": CORRELATION, "risk_aversion": risk_aversion}


def _objective(data: dict, w, abs_w):
    carry = data["yield"] - data["repo"]
    # covariance of the daily $M P&L: diag(n vol) C diag(n vol), built here by broadcasting
    scale = data["notional"] * data["vol"]
    covariance = scale[:, None] * data["corr"] * scale[None, :]
    return (data["notional"] * (carry @ w - data["cost"] @ abs_w)
            - data["risk_aversion"] * cp.quad_form(w, covariance))


def _limits(data: dict, abs_w) -> list:
    return [data["notional"] * cp.sum(abs_w) <= data["capital"],
            data["notional"] * abs_w <= data["liquidity"]]


def objective_at(data: dict, w: np.ndarray) -> float:
    """The objective evaluated at given weights (numpy, no solver)."""
    return float(_objective(data, w, np.abs(w)).value)


def feasible(data: dict, w: np.ndarray, tolerance: float = 1e-7) -> bool:
    """Capital, liquidity and the haircut hold at w (numpy, no solver)."""
    size = np.abs(w)
    return bool(data["notional"] * size.sum() <= data["capital"] + tolerance
                and np.all(data["notional"] * size <= data["liquidity"] + tolerance)
                and np.all(size >= data["min_weight"] - tolerance))


def solve_miqp(data: dict) -> dict:
    """The exact haircut model as the oracle's own MIQP, solved by SCIP."""
    n = data["yield"].size
    long, short = cp.Variable(n, nonneg=True), cp.Variable(n, nonneg=True)
    is_long = cp.Variable(n, boolean=True)
    w, abs_w = long - short, long + short
    big_m = data["liquidity"] / data["notional"]
    constraints = _limits(data, abs_w) + [long <= cp.multiply(big_m, is_long),
                                          short <= cp.multiply(big_m, 1 - is_long),
                                          abs_w >= data["min_weight"]]
    problem = cp.Problem(cp.Maximize(_objective(data, w, abs_w)), constraints)
    problem.solve(solver=cp.SCIP)
    return {"weights": np.asarray(w.value, float), "objective": float(problem.value),
            "status": problem.status}


def brute_force(data: dict) -> dict:
    """Best of the 2^n sign patterns, each a concave QP with signs_i * w_i >= min_weight."""
    best: dict = {"objective": -np.inf}
    for pattern in product((1.0, -1.0), repeat=data["yield"].size):
        signs = np.array(pattern)
        w = cp.Variable(signs.size)
        abs_w = cp.multiply(signs, w)  # |w| on this pattern
        problem = cp.Problem(cp.Maximize(_objective(data, w, abs_w)),
                             _limits(data, abs_w) + [abs_w >= data["min_weight"]])
        problem.solve(solver=cp.CLARABEL)
        if problem.status == cp.OPTIMAL and problem.value > best["objective"]:
            best = {"weights": np.asarray(w.value, float), "objective": float(problem.value),
                    "status": problem.status, "signs": signs}
    return best
