"""Independent plain-CVXPY oracle for the treasury relative-value model.

Written without Saddle, to check what the compiler produces for ``models/treasury_rv``
(the model of ``../shared/seeds/treasury_trading_notebook.txt``; money in $M):

    maximize   notional * sum(w * (yield - repo) - cost * |w|)
    subject to notional * sum(|w|) <= capital               (capital)
               notional * |w_i| <= liquidity_i              (liquidity)
               CVaR_0.95(-(shock @ (notional * vol * w))) <= cvar_limit   (tail_risk)
               |w_i| >= min_weight                          (haircut; nonconvex)

CVaR is written by hand in Rockafellar-Uryasev form, never with ``cp.cvar`` (which the
compiler uses), and reported at the optimum by sorting the realized losses. The haircut
makes the problem mixed-integer; ``brute_force_treasury`` checks that MIP a second way,
by enumerating every sign pattern and solving the convex problem for each.
"""

from itertools import product
from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd

TENOR_COLUMNS = ["5 YR", "7 YR", "10 YR", "20 YR", "30 YR"]
CVAR_LEVEL = 0.95
N_SCENARIOS = 1000
SCENARIO_SEED = 7
# HiGHS stops a MIP at a 1e-4 relative gap by default; the oracle must be exact.
MIP_OPTIONS = {"mip_rel_gap": 1e-10, "mip_abs_gap": 1e-12}


def treasury_data(csv_path: str | Path) -> dict:
    """Read the yields and assemble every parameter of the treasury model.

    Args:
        csv_path: a Treasury "daily treasury real yield curve" CSV, newest date first.

    Returns:
        Arrays over the five tenors (yield, repo, cost, vol, liquidity), floats (notional,
        capital, cvar_limit, min_weight) and ``shock``, the (1000, 5) standard-normal
        scenarios, one row per scenario.
    """
    frame = pd.read_csv(csv_path)
    # The last row is the oldest date, as the notebook reads it (rates.iloc[-1]).
    yields = frame[TENOR_COLUMNS].iloc[-1].to_numpy(dtype=float) / 100
    return {
        "yield": yields,
        "repo": np.array([0.0195, 0.0200, 0.0205, 0.0215, 0.0220]),
        "cost": np.array([0.0010, 0.0015, 0.0020, 0.0025, 0.0030]),
        "vol": np.array([0.15, 0.17, 0.19, 0.22, 0.25]) / 100,
        "notional": 50.0,
        "liquidity": np.array([100.0, 90.0, 80.0, 60.0, 50.0]),
        "capital": 250.0,
        "cvar_limit": 3.0,
        "min_weight": 0.02,
        "shock": np.random.default_rng(SCENARIO_SEED).normal(0.0, 1.0, size=(N_SCENARIOS, 5)),
    }


def scenario_losses(data: dict, w):
    """Loss per scenario, -(shock @ (notional * vol * w)), for a numpy or a cvxpy ``w``."""
    # Scaling the shock columns first keeps this one expression valid for both kinds of w.
    exposure = data["shock"] * (data["notional"] * data["vol"])
    return -(exposure @ w)


def cvar_by_sorting(losses: np.ndarray, level: float = CVAR_LEVEL) -> float:
    """Mean of the worst (1 - level) share of the losses (50 of 1000 at 0.95).

    With equally likely scenarios and an integer tail count this equals the
    Rockafellar-Uryasev minimum, so it checks the constraint without any solver.
    """
    tail = round((1 - level) * losses.size)
    return float(np.sort(losses)[-tail:].mean())


def _net_spread(data: dict, w, abs_w):
    """The objective; ``abs_w`` is |w| or a linear stand-in for it."""
    carry = data["yield"] - data["repo"]
    return data["notional"] * (carry @ w - data["cost"] @ abs_w)


def _convex_constraints(data: dict, w, abs_w) -> list:
    """Capital, liquidity and the hand-written Rockafellar-Uryasev CVaR constraint."""
    alpha = cp.Variable()  # the value-at-risk level at the optimum
    losses = scenario_losses(data, w)
    tail_mean = cp.sum(cp.pos(losses - alpha)) / ((1 - CVAR_LEVEL) * len(data["shock"]))
    return [
        data["notional"] * cp.sum(abs_w) <= data["capital"],
        data["notional"] * abs_w <= data["liquidity"],
        alpha + tail_mean <= data["cvar_limit"],
    ]


def _report(data: dict, problem: cp.Problem, w) -> dict:
    """Weights, objective, sorted-loss CVaR and status of a solved problem."""
    weights = np.asarray(w.value, dtype=float)
    return {
        "weights": weights,
        "objective": float(problem.value),
        "cvar": cvar_by_sorting(scenario_losses(data, weights)),
        "status": problem.status,
    }


def _solve_relaxation(data: dict) -> dict:
    """The LP without the haircut: |w| enters only where it is penalised or bounded above."""
    w = cp.Variable(data["yield"].size)
    abs_w = cp.abs(w)
    problem = cp.Problem(cp.Maximize(_net_spread(data, w, abs_w)),
                         _convex_constraints(data, w, abs_w))
    problem.solve(solver=cp.HIGHS)
    return _report(data, problem, w)


def _solve_mip(data: dict) -> dict:
    """The exact haircut model: w = wp - wn, one binary direction per tenor, big-M bounds."""
    n = data["yield"].size
    long, short = cp.Variable(n, nonneg=True), cp.Variable(n, nonneg=True)
    is_long = cp.Variable(n, boolean=True)
    w, abs_w = long - short, long + short
    # Liquidity already caps |w_i| at liquidity_i / notional, so that is the tightest valid M.
    big_m = data["liquidity"] / data["notional"]
    constraints = _convex_constraints(data, w, abs_w) + [
        long <= cp.multiply(big_m, is_long),
        short <= cp.multiply(big_m, 1 - is_long),
        abs_w >= data["min_weight"],
    ]
    problem = cp.Problem(cp.Maximize(_net_spread(data, w, abs_w)), constraints)
    problem.solve(solver=cp.HIGHS, **MIP_OPTIONS)
    return _report(data, problem, w)


def solve_treasury(data: dict, haircut: bool) -> dict:
    """Solve the treasury model exactly (``haircut=True``, a MIP) or its LP relaxation.

    Returns:
        ``weights`` (np.ndarray), ``objective`` (float, $M), ``cvar`` (float: the mean of
        the worst 5% of the realized scenario losses at the optimum) and ``status``.
    """
    return _solve_mip(data) if haircut else _solve_relaxation(data)


def _solve_sign_pattern(data: dict, signs: np.ndarray) -> dict:
    """The convex problem with each w_i pinned to one side: signs_i * w_i >= min_weight."""
    w = cp.Variable(data["yield"].size)
    abs_w = cp.abs(w)
    constraints = _convex_constraints(data, w, abs_w) + [
        cp.multiply(signs, w) >= data["min_weight"],
    ]
    problem = cp.Problem(cp.Maximize(_net_spread(data, w, abs_w)), constraints)
    # A different solver from the MIP's, so a solver bug cannot make both checks agree.
    problem.solve(solver=cp.CLARABEL)
    if problem.status != cp.OPTIMAL:
        return {"weights": None, "objective": -np.inf, "cvar": np.nan, "status": problem.status}
    return _report(data, problem, w)


def brute_force_treasury(data: dict) -> dict:
    """Best of the 2^n sign patterns (32 here), each a convex solve: a second check of the MIP.

    Returns:
        The same keys as ``solve_treasury`` plus ``signs``, the winning pattern.
    """
    best = {"objective": -np.inf}
    for pattern in product((1.0, -1.0), repeat=data["yield"].size):
        signs = np.array(pattern)
        result = _solve_sign_pattern(data, signs)
        if result["objective"] > best["objective"]:
            best = {**result, "signs": signs}
    return best
