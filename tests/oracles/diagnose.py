"""Independent formulations of the diagnosis golden models (tests/golden/diagnose/), written
without Saddle: each model's constraints by hand in plain CVXPY, one entry per element under
the name the diagnosis prints (`budget`, `floor[c]`, `bounds of x[c]`), so a reported
conflict can be checked for infeasibility and irreducibility, and the elastic problem
re-solved. The mixed-integer model's haircut |w| >= a is checked by enumerating the sign of
each position (an LP per sign pattern), not by a big-M form. The data repeat the model files'.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import cvxpy as cp
import numpy as np

Rows = dict[str, list[cp.Constraint]]
ASSETS = ["a", "b", "c"]


def is_feasible(rows: list[cp.Constraint]) -> bool:
    problem = cp.Problem(cp.Minimize(0), rows)
    problem.solve(solver="CLARABEL")
    return problem.status == "optimal"


def infeasible_lp() -> Rows:
    price, x = np.array([2.0, 3.0, 5.0]), cp.Variable(3, nonneg=True)
    rows: Rows = {"budget": [price @ x <= 100], "minimum": [cp.sum(x) >= 150]}
    rows.update({f"per_asset[{a}]": [x[i] <= 80] for i, a in enumerate(ASSETS)})
    return rows


def infeasible_labels() -> Rows:
    price, x = np.array([2.0, 3.0, 5.0]), cp.Variable(3)
    minimum, cap = [50.0, 90.0, 600.0], 100.0
    rows: Rows = {f"floor[{a}]": [price[i] * x[i] >= minimum[i]] for i, a in enumerate(ASSETS)}
    rows["budget"] = [price @ x <= 1000]
    rows.update({f"bounds of x[{a}]": [x[i] >= 0, x[i] <= cap] for i, a in enumerate(ASSETS)})
    return rows


ROBUST_MU = np.array([0.05, 0.08, 0.06])
ROBUST_COV = np.diag([0.01, 0.04, 0.02])


def infeasible_robust(radius: float = 0.5) -> Rows:
    """min over r in {mu + L z : ||z|| <= radius} of r'x = mu'x - radius ||L'x|| (L L' = cov)."""
    factor = np.linalg.cholesky(ROBUST_COV)
    x = cp.Variable(3)
    worst = ROBUST_MU @ x - radius * cp.norm(factor.T @ x, 2)
    rows: Rows = {"budget": [cp.sum(x) == 1], "floor": [worst >= 0.07], "spread": [x[0] <= 0.9]}
    rows.update({f"bounds of x[{a}]": [x[i] >= 0] for i, a in enumerate(ASSETS)})
    return rows


def robust_floor_shortfall() -> float:
    """0.07 minus the best worst-case return of a fully invested long book with x[a] <= 0.9."""
    factor = np.linalg.cholesky(ROBUST_COV)
    x = cp.Variable(3, nonneg=True)
    problem = cp.Problem(cp.Maximize(ROBUST_MU @ x - 0.5 * cp.norm(factor.T @ x, 2)),
                         [cp.sum(x) == 1, x[0] <= 0.9])
    problem.solve(solver="CLARABEL")
    return 0.07 - float(problem.value)


TENORS = ["5Y", "10Y", "30Y"]
DV01 = np.array([50.0, 100.0, 200.0])


def mip_is_feasible(names: set[str]) -> bool:
    """The haircut model with only `names` kept: feasible if some sign pattern of the kept
    haircut elements (w_k >= a or w_k <= -a) admits a point: one LP per pattern."""
    kept = [k for k, t in enumerate(TENORS) if f"haircut[{t}]" in names]
    for signs in itertools.product((1.0, -1.0), repeat=len(kept)):
        w = cp.Variable(3)
        rows = [signs[j] * w[k] >= 0.02 for j, k in enumerate(kept)]
        if "capital" in names:
            rows.append(DV01 @ cp.abs(w) <= 5)
        rows += [cp.abs(w[k]) <= 1 for k, t in enumerate(TENORS) if f"liquidity[{t}]" in names]
        if is_feasible(rows):
            return True
    return False


MIP_ELEMENTS = ["capital"] + [f"{c}[{t}]" for c in ("liquidity", "haircut") for t in TENORS]


def check_conflict(conflict: set[str], everything: set[str],
                   feasible: Callable[[set[str]], bool]) -> None:
    """The conflict is infeasible, and dropping any one element of it makes it feasible."""
    if not conflict <= everything:
        raise AssertionError(f"unknown elements: {conflict - everything}")
    if feasible(conflict):
        raise AssertionError(f"{sorted(conflict)} is feasible")
    for name in conflict:
        if not feasible(conflict - {name}):
            raise AssertionError(f"{sorted(conflict)} less {name} is still infeasible")


def rows_feasible(rows: Rows) -> Callable[[set[str]], bool]:
    return lambda names: is_feasible([c for n in names for c in rows[n]])


def elastic(rows: Rows) -> dict[str, float]:
    """Every row g(x) <= 0 moved to g(x) <= s with one slack s >= 0 per element (both sides
    for an equality); the slacks' sum minimized. Returns the nonzero slacks."""
    slacks = {name: cp.Variable(nonneg=True) for name in rows}
    relaxed = []
    for name, constraints in rows.items():
        for c in constraints:
            relaxed.append(c.expr <= slacks[name])
            if isinstance(c, cp.constraints.Equality):
                relaxed.append(-c.expr <= slacks[name])
    problem = cp.Problem(cp.Minimize(sum(slacks.values())), relaxed)
    problem.solve(solver="CLARABEL")
    return {n: float(s.value) for n, s in slacks.items() if s.value > 1e-6}


ARBITRAGE_MU = np.array([0.07, 0.12, 0.09])
ARBITRAGE_BETA = np.array([0.02, 0.05, 0.25])
ARBITRAGE_COV = np.array([[0.0016, 0.0003, 0.0004],
                          [0.0003, 0.0064, 0.0010],
                          [0.0004, 0.0010, 0.0081]])


def arbitrage_rate(direction: np.ndarray, kappa: float = 0.3, cost: float = 0.001) -> float:
    """The worst-case objective's recession function: its gain per unit step along d, for
    the positively homogeneous mu'd - kappa ||L'd|| - cost ||d||_1."""
    factor = np.linalg.cholesky(ARBITRAGE_COV)
    return float(ARBITRAGE_MU @ direction - kappa * np.linalg.norm(factor.T @ direction)
                 - cost * np.abs(direction).sum())


def arbitrage_recession_line() -> np.ndarray:
    """The recession cone of sum(x) == 0 and |beta'x| <= tol is the null space of
    [1'; beta']: a line. Its direction, scaled to largest entry 1, signed to earn."""
    _, _, vt = np.linalg.svd(np.vstack([np.ones(3), ARBITRAGE_BETA]))
    line = vt[-1] / np.max(np.abs(vt[-1]))
    return line if arbitrage_rate(line) > 0 else -line
