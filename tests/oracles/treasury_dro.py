"""Independent plain-CVXPY oracle for models/treasury_dro.saddle.

The treasury book (tests/oracles/treasury.py's data) with its CVaR limit held over every
distribution within type-1 Wasserstein distance `radius` of the 1000 scenarios, ground
metric the inf-norm. Written from Mohajerin Esfahani & Kuhn (2018), Cor. 5.1, without
Saddle and without `cp.cvar`: the loss L(xi) = a'xi, a = -(notional * vol * w), and
CVaR_a(L) = min_t t + E(L - t)+ / (1 - a) = min_t E max_k (a_k'xi + b_k) with the pieces
a_1 = a / (1 - a), b_1 = t - t / (1 - a) and a_2 = 0, b_2 = t. The corollary's program
(no support) is, with one s_i per scenario:

    min lam * radius + (1/N) sum_i s_i
    s.t. s_i >= b_k + a_k' xi_i  (k = 1, 2),   ||a_k||_1 <= lam  (the inf-norm's dual)

The haircut |w_i| >= min_weight is the same big-M MIP as the plain oracle's.
"""

import cvxpy as cp
import numpy as np

from oracles.treasury import CVAR_LEVEL, MIP_OPTIONS, cvar_by_sorting, scenario_losses

RADIUS = 0.05
CVAR_LIMIT = 0.8


def wasserstein_cvar_rows(shock: np.ndarray, a, level: float, radius: float, limit: float,
                          dual_norm=cp.norm1) -> list:
    """The rows of `worst-case CVaR_level(a'xi) <= limit` (Cor. 5.1, no support)."""
    count = shock.shape[0]
    lam, tau, s = cp.Variable(nonneg=True), cp.Variable(), cp.Variable(count)
    a1, b1 = a / (1 - level), tau - tau / (1 - level)
    return [
        s >= b1 + shock @ a1,  # piece 1 at every scenario
        s >= tau,  # piece 2 (a_2 = 0)
        dual_norm(a1) <= lam,  # ||a_2||_* = 0 <= lam holds as lam >= 0
        lam * radius + cp.sum(s) / count <= limit,
    ]


def solve_treasury_dro(data: dict, radius: float = RADIUS, limit: float = CVAR_LIMIT) -> dict:
    n = data["yield"].size
    long, short = cp.Variable(n, nonneg=True), cp.Variable(n, nonneg=True)
    is_long = cp.Variable(n, boolean=True)
    w, abs_w = long - short, long + short
    big_m = data["liquidity"] / data["notional"]
    exposure = -cp.multiply(data["notional"] * data["vol"], w)  # the loss's gradient in the shock
    constraints = [
        data["notional"] * cp.sum(abs_w) <= data["capital"],
        data["notional"] * abs_w <= data["liquidity"],
        *wasserstein_cvar_rows(data["shock"], exposure, CVAR_LEVEL, radius, limit),
        long <= cp.multiply(big_m, is_long),
        short <= cp.multiply(big_m, 1 - is_long),
        abs_w >= data["min_weight"],
    ]
    carry = data["yield"] - data["repo"]
    objective = data["notional"] * (carry @ w - data["cost"] @ abs_w)
    problem = cp.Problem(cp.Maximize(objective), constraints)
    problem.solve(solver=cp.HIGHS, **MIP_OPTIONS)
    weights = np.asarray(w.value, dtype=float)
    gradient = -(data["notional"] * data["vol"]) * weights
    empirical = cvar_by_sorting(scenario_losses(data, weights))
    # the worst case at the decision: the empirical CVaR plus the transport budget spent
    # on the tail, radius / (1 - level) along the inf-norm unit vector sign(gradient)
    worst = empirical + radius / (1 - CVAR_LEVEL) * float(np.abs(gradient).sum())
    return {"weights": weights, "objective": float(problem.value), "status": problem.status,
            "cvar": empirical, "worst_cvar": worst}
