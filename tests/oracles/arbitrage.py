"""Independent plain-CVXPY oracles for the arbitrage models (issue 5), written without Saddle:
``models/arbitrage_allocation.saddle``, ``arbitrage_robust.saddle``, ``basis_trade.saddle``
and ``merger_arb.saddle``. The data are the CSVs of ``scripts/make_arbitrage_sample.py``.

Allocation (x = long leg per strategy, short leg h o x, all per $1 of capital, annual):

    costs(x)   = sum(tc * trades * (1 + h) o x + borrow o h o x) + margin * pos(1'(1+h)o x - 1)
    maximize   mu'x - costs(x) - gamma x' S x
    subject to 1'((1 - h) o x) == 0, |beta'x| <= beta_tol, 1'((1+h) o x) <= max_gross,
               0 <= x <= cap, CVaR_0.95(-(T L' x + mu'x - costs(x))) <= cvar_limit

with T (2000 x 5) the Student-t(4) draws of ``numpy.random.default_rng(11)`` scaled by
sqrt(1/2) (the documented sampler: ``scale * rng.standard_t(df, size)``), L = chol(S) computed
here (not read from factor.csv), and CVaR in the Rockafellar-Uryasev form.

Robust: the same without the CVaR row, with mu'x replaced by its worst case over the
ellipsoid {mu + L z : ||z|| <= kappa}, i.e. mu'x - kappa ||L'x||, kappa = sqrt(chi2_0.9(5)/10).

Basis trade (c = signed contracts, integer; N = multiplier * ratio * etf, d the dislocation):

    maximize   sum(c o N o d) - threshold * sum(N o |c|)
    subject to sum(|c| o (margin + reg_t N)) <= margin_limit, |c| <= max_contracts

Merger arbitrage (x = $ in each target per $1 of capital; R the scenario returns):

    maximize   e'x - margin * pos(1'x - 1),  e = (p s + (1 - p) b) * 12 / months
    subject to -b'x <= break_limit, CVaR_0.95(-R x) <= cvar_limit, 1'x <= max_gross,
               0 <= x <= cap
"""

from __future__ import annotations

from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd
from scipy import stats

DATA = Path(__file__).resolve().parents[2] / "models" / "data" / "arbitrage"

ALLOCATION = dict(trade_cost=7.5e-4, margin_rate=0.08, max_gross=2.0, beta_tol=0.02,
                  gamma=2.0, cvar_limit=1.0)
BASIS = dict(threshold=0.005, reg_t=0.5, margin_limit=2.5e6)
MERGER = dict(margin_rate=0.08, max_gross=2.0, break_limit=0.15, cvar_limit=0.10)


def strategy_data(folder: Path = DATA) -> dict:
    frame = pd.read_csv(folder / "strategies.csv")
    labels = list(frame["strategy"])
    cov = pd.read_csv(folder / "covariance.csv", index_col=0).loc[labels, labels]
    out = {"labels": labels, "cov": cov.to_numpy(float)}
    for column in ("mean", "beta", "hedge", "cap", "trades", "borrow"):
        out[column] = frame[column].to_numpy(float)
    return out


def student_t_draws(draws: int = 2000, n: int = 5, df: float = 4, seed: int = 11) -> np.ndarray:
    return np.sqrt(0.5) * np.random.default_rng(seed).standard_t(df, size=(draws, n))


def _cvar(losses, level: float, count: int):
    """Rockafellar-Uryasev: min_t t + E[(loss - t)+] / (1 - level), equally likely losses."""
    t = cp.Variable()
    return t + cp.sum(cp.pos(losses - t)) / ((1 - level) * count)


def cvar_of(losses: np.ndarray, level: float = 0.95) -> float:
    """CVaR of equally likely losses by sorting (the mean of the worst (1-level) share)."""
    losses = np.sort(np.asarray(losses, float))[::-1]
    k = (1 - level) * losses.size
    whole = int(np.floor(k + 1e-9))
    value = losses[:whole].sum() + (k - whole) * (losses[whole] if whole < losses.size else 0)
    return float(value / k)


def _allocation_parts(d: dict, p: dict, x: cp.Variable):
    short = cp.multiply(d["hedge"], x)
    gross = cp.sum(x + short)
    costs = (cp.sum(cp.multiply(p["trade_cost"] * d["trades"], x + short)
                    + cp.multiply(d["borrow"], short))
             + p["margin_rate"] * cp.pos(gross - 1))
    constraints = [cp.sum(x - short) == 0, cp.abs(d["beta"] @ x) <= p["beta_tol"],
                   gross <= p["max_gross"], x >= 0, x <= d["cap"]]
    return costs, gross, constraints


def solve_allocation(folder: Path = DATA, **overrides) -> dict:
    p = ALLOCATION | overrides
    d = strategy_data(folder)
    factor = np.linalg.cholesky(d["cov"])
    draws = student_t_draws(n=len(d["labels"]))
    x = cp.Variable(len(d["labels"]))
    costs, gross, constraints = _allocation_parts(d, p, x)
    pnl = draws @ (factor.T @ x) + d["mean"] @ x - costs
    constraints.append(_cvar(-pnl, 0.95, draws.shape[0]) <= p["cvar_limit"])
    objective = d["mean"] @ x - costs - p["gamma"] * cp.quad_form(x, d["cov"])
    problem = cp.Problem(cp.Maximize(objective), constraints)
    problem.solve(solver="CLARABEL")
    w = np.asarray(x.value, float)
    realized = draws @ (factor.T @ w) + d["mean"] @ w - float(costs.value)
    return {"status": problem.status, "objective": float(problem.value),
            "weights": dict(zip(d["labels"], w, strict=True)), "x": w,
            "hedge": d["hedge"], "beta": d["beta"], "cvar": cvar_of(-realized),
            "gross": float(gross.value)}


def solve_robust(folder: Path = DATA, years: float = 10, **overrides) -> dict:
    p = ALLOCATION | overrides
    d = strategy_data(folder)
    kappa = np.sqrt(stats.chi2.ppf(0.9, len(d["labels"])) / years)
    factor = np.linalg.cholesky(d["cov"])
    x = cp.Variable(len(d["labels"]))
    costs, gross, constraints = _allocation_parts(d, p, x)
    objective = (d["mean"] @ x - kappa * cp.norm(factor.T @ x, 2) - costs
                 - p["gamma"] * cp.quad_form(x, d["cov"]))
    problem = cp.Problem(cp.Maximize(objective), constraints)
    problem.solve(solver="CLARABEL")
    w = np.asarray(x.value, float)
    worst = d["mean"] - kappa * d["cov"] @ w / np.linalg.norm(factor.T @ w)
    return {"status": problem.status, "objective": float(problem.value),
            "weights": dict(zip(d["labels"], w, strict=True)), "x": w, "kappa": kappa,
            "worst_mean": dict(zip(d["labels"], worst, strict=True)),
            "gross": float(gross.value)}


def basis_data(folder: Path = DATA) -> pd.DataFrame:
    pairs = pd.read_csv(folder / "basis_pairs.csv")
    fair = pairs["etf"] * (pairs["rate"] - pairs["dividend"]) * pairs["days"] / 365
    pairs["dislocation"] = (pairs["futures"] / pairs["ratio"] - pairs["etf"] - fair) / pairs["etf"]
    pairs["etf_notional"] = pairs["multiplier"] * pairs["ratio"] * pairs["etf"]
    return pairs


def solve_basis(folder: Path = DATA, **overrides) -> dict:
    p = BASIS | overrides
    pairs = basis_data(folder)
    notional = pairs["etf_notional"].to_numpy(float)
    dislocation = pairs["dislocation"].to_numpy(float)
    per_contract = pairs["margin"].to_numpy(float) + p["reg_t"] * notional
    limit = pairs["max_contracts"].to_numpy(float)
    c = cp.Variable(len(pairs), integer=True)
    profit = cp.sum(cp.multiply(c, notional * dislocation))
    objective = profit - p["threshold"] * notional @ cp.abs(c)
    margin_used = per_contract @ cp.abs(c)
    problem = cp.Problem(cp.Maximize(objective),
                         [margin_used <= p["margin_limit"], cp.abs(c) <= limit])
    problem.solve(solver="HIGHS")
    contracts = np.round(np.asarray(c.value, float))
    return {"status": problem.status, "objective": float(problem.value),
            "contracts": dict(zip(pairs["pair"], contracts, strict=True)),
            "profit": float(contracts @ (notional * dislocation)),
            "margin_used": float(per_contract @ np.abs(contracts)),
            "dislocation": dict(zip(pairs["pair"], dislocation, strict=True))}


def merger_data(folder: Path = DATA) -> tuple[pd.DataFrame, np.ndarray]:
    deals = pd.read_csv(folder / "deals.csv")
    scenarios = pd.read_csv(folder / "merger_scenarios.csv", index_col="draw")
    return deals, scenarios[list(deals["deal"])].to_numpy(float)


def solve_merger(folder: Path = DATA, **overrides) -> dict:
    p = MERGER | overrides
    deals, returns = merger_data(folder)
    spread = (deals["offer"] / deals["price"] - 1).to_numpy(float)
    downside = (deals["break_price"] / deals["price"] - 1).to_numpy(float)
    prob = deals["p_close"].to_numpy(float)
    expected = (prob * spread + (1 - prob) * downside) * 12 / deals["months"].to_numpy(float)
    x = cp.Variable(len(deals))
    gross = cp.sum(x)
    objective = expected @ x - p["margin_rate"] * cp.pos(gross - 1)
    constraints = [-(downside @ x) <= p["break_limit"],
                   _cvar(-(returns @ x), 0.95, returns.shape[0]) <= p["cvar_limit"],
                   gross <= p["max_gross"], x >= 0, x <= deals["cap"].to_numpy(float)]
    problem = cp.Problem(cp.Maximize(objective), constraints)
    problem.solve(solver="CLARABEL")
    w = np.asarray(x.value, float)
    return {"status": problem.status, "objective": float(problem.value),
            "weights": dict(zip(deals["deal"], w, strict=True)), "x": w,
            "cvar": cvar_of(-(returns @ w)), "all_break": float(-(downside @ w))}
