"""Independent oracle for ``models/treasury_duration_neutral.saddle``, written without Saddle.

The treasury model of ``oracles.treasury`` (same data, scenarios and haircut MIP) plus

    |sum_i dv01_i w_i| <= tolerance        (duration_neutral, $M per bp)

with each tenor's DV01 computed here from scratch: tenor i is a par bond per $1 of face
paying y_i / 2 every half-year t = 1..n_i and the face at n_i (n = 10, 14, 20, 40, 60
half-years); the curve per half-year is the five yields interpolated linearly in maturity
(``np.interp``, flat before the 5-year), taken as semiannual rates and converted to
continuous rates per half-year, r_t = ln(1 + y(t) / 2); the price is sum_t c_t exp(-t r_t),
so dP/dr = -sum_t t c_t exp(-t r_t). A bp of the annual yield is half a bp of r, hence

    dv01_i = notional * 1e-4 * sum_t t c_t exp(-t r_t) / 2.
"""

import cvxpy as cp
import numpy as np

from oracles.treasury import CVAR_LEVEL, MIP_OPTIONS, cvar_by_sorting, scenario_losses

MATURITIES = np.array([10, 14, 20, 40, 60])  # half-years
TOLERANCE = 0.005  # $M per bp


def par_bond_dv01(yields: np.ndarray, notional: float) -> np.ndarray:
    """$M per bp of the annual yield, per unit of weight, for each tenor's par bond."""
    periods = np.arange(1, 61)
    rates = np.log(1 + np.interp(periods, MATURITIES, yields) / 2)
    out = []
    for coupon, maturity in zip(yields, MATURITIES, strict=True):
        total = 0.0
        for t in range(1, maturity + 1):
            cash = coupon / 2 + (1.0 if t == maturity else 0.0)
            total += t * cash * np.exp(-t * rates[t - 1])
        out.append(notional * 1e-4 * total / 2)
    return np.array(out)


def solve_duration_neutral(data: dict, tolerance: float = TOLERANCE) -> dict:
    """The haircut MIP (w = long - short, one binary side per tenor, big-M from liquidity)
    with the DV01 band; CVaR in Rockafellar-Uryasev form written by hand.

    Returns:
        ``weights``, ``objective`` ($M), ``cvar`` (sorted realized losses), ``dv01`` (the
        book's, $M per bp), ``tenor_dv01`` and ``status``.
    """
    n = data["yield"].size
    dv01 = par_bond_dv01(data["yield"], data["notional"])
    long, short = cp.Variable(n, nonneg=True), cp.Variable(n, nonneg=True)
    is_long = cp.Variable(n, boolean=True)
    w, abs_w = long - short, long + short
    alpha = cp.Variable()
    losses = scenario_losses(data, w)
    tail = alpha + cp.sum(cp.pos(losses - alpha)) / ((1 - CVAR_LEVEL) * len(data["shock"]))
    big_m = data["liquidity"] / data["notional"]
    constraints = [
        data["notional"] * cp.sum(abs_w) <= data["capital"],
        data["notional"] * abs_w <= data["liquidity"],
        tail <= data["cvar_limit"],
        long <= cp.multiply(big_m, is_long),
        short <= cp.multiply(big_m, 1 - is_long),
        abs_w >= data["min_weight"],
        cp.abs(dv01 @ w) <= tolerance,
    ]
    carry = data["yield"] - data["repo"]
    objective = data["notional"] * (carry @ w - data["cost"] @ abs_w)
    problem = cp.Problem(cp.Maximize(objective), constraints)
    problem.solve(solver=cp.HIGHS, **MIP_OPTIONS)
    weights = np.asarray(w.value, dtype=float)
    return {"weights": weights, "objective": float(problem.value),
            "cvar": cvar_by_sorting(scenario_losses(data, weights)),
            "dv01": float(dv01 @ weights), "tenor_dv01": dv01, "status": problem.status}
