r"""Independent plain-CVXPY oracle for the robust bond portfolio (Luxenberg, Schiele, Boyd 2024).

Written without Saddle, to check what the compiler produces for the robust bond models. The
data are read in place from ``../shared/data/robust_bond`` (relative to the repository root;
``SADDLE_SHARED=/path/to/shared`` overrides the shared folder). Nothing is copied.

Data conventions
----------------
* Periods are half-years t = 1..60; every rate is **per period** (annualized = x2).
* Cash flows: ``c[i, t]`` (20 x 60) as given in ``cashflows.csv``. Price
  ``P_i(y, s) = sum_t c[i,t] exp(-t (y_t + s_i))``. The market prices in ``bonds.csv`` are
  exactly these prices at the nominal curve plus the nominal rating spread (checked to 1e-10),
  so the log return Delta = log(V / p'h) is 0 at today's curve.
* Factors x (13): the 9 key yields at periods 1, 2, 4, 6, 10, 14, 20, 40, 60 (0.5 ... 30 y),
  then the 4 rating spreads AAA, AA, A, BBB. ``F`` (80 x 13) maps x to (y_1..y_60, s_1..s_20):
  rows 1..60 interpolate the key yields linearly in the period index (period 3 = 1/2 key 2 +
  1/2 key 4, ...). The first key point *is* period 1 and the last is period 60, so no period
  lies outside the key range and no extrapolation convention is needed (``np.interp`` would
  hold the end values flat). Rows 61..80 are one-hot: bond i takes its rating's spread. This is
  the F.csv of the DSP package's tests, row for row.
* Target weights sum to 1. Objective form: budget p'h = 1 and ``h_b = w / p`` (so
  p'h_b = 1). Constraint form: budget B = 100, target holdings ``100 w / p`` and
  phi(h) = 1/2 || h o p - 100 w ||_1 (the DSP test's ``h_mkt = w * 100 / p``).
* The yield-only constraint-form set prices bonds with the **treasury curve only**
  (spreads fixed at zero, as in the DSP test that produced 15.32, whose price is
  sum_t c_it exp(-t y_t) with no spread). Fixing the spreads at their nominal values instead
  gives a different number (see ``constraint_form``'s ``spreads`` argument and the tests).

Ellipsoid, whitened
-------------------
E = {x : (x - mu)' P (x - mu) <= r^2},  r^2 = chi2_13^{-1}(1 - alpha),  P the precision.
With P = R R' (Cholesky, R lower) and L = R^{-T}: L L' = P^{-1} and E = {mu + L z : ||z||_2 <= r}.
Never form the 1e7-scale quadratic form: it is what makes the open solvers fail.

Exponents
---------
Stack the K nonzero cash flows k = (i, t). With x the factors, the exponent of k is
``log c_k + (G x)_k``, ``G_k = -t (F_{y,t} + F_{s,i})`` (K x 13), and with the weights
``u_k(h) = c_k h_i`` (linear in h, >= 0)

    log V(h, x) = log sum_k u_k exp((G x)_k).

Worst case (primal): min_{||z|| <= r} logsumexp(log u + G (mu + L z)) - log(p'h).

Dual of the worst case over the ellipsoid (derivation)
------------------------------------------------------
Log-sum-exp is its own biconjugate with conjugate the negative entropy on the simplex,
``lse(a) = max_{nu >= 0, 1'nu = 1} nu'a - sum nu_k log nu_k``. With a = log u + G x:

    log V(h, x) = max_{nu in simplex} sum_k nu_k log u_k - sum_k nu_k log nu_k + nu' G x
                = max_{nu in simplex} -sum_k rel_entr(nu_k, u_k) + nu' G x,

(rel_entr(a, b) = a log(a/b); terms with u_k = 0 force nu_k = 0, the usual 0 log 0 = 0). The
function is convex in x, concave in nu, the simplex and the ellipsoid are compact, so by Sion
min_x max_nu = max_nu min_x, and the inner min of the linear function nu'G x over
E = {mu + L z : ||z|| <= r} is the negative support function
``nu' G mu - r || L' G' nu ||_2``. Hence

    Delta_wc(h) = max_{nu in simplex}  -sum_k rel_entr(nu_k, c_k h_i(k)) + nu'G mu
                                        - r ||L' G' nu||_2  - log(p'h).

This is the ellipsoidal analogue of the paper's appendix (polyhedral set: the support
function term becomes -mu'b with A'mu = F'nu). rel_entr(nu, u) is jointly convex in (nu, u)
and u is linear in h, so the objective is jointly concave in (h, nu).

Robust construction, objective form (alpha = 0.5, p'h = 1 so log(p'h) = 0):

    min_h max_{x in E} phi(h) - lam Delta(h, x) = min_h phi(h) - lam Delta_wc(h)
      = min_{h, nu} phi(h) + lam [ sum_k rel_entr(nu_k, c_k h_i(k)) - nu'G mu + r ||L'G'nu|| ]
        s.t. h >= 0, p'h = 1, nu >= 0, 1'nu = 1,

one jointly convex exponential-cone + SOC problem (solved with CLARABEL).

Constraint form, yield-only set (derivation)
--------------------------------------------
y = y_nom + delta, D = {||delta||_inf <= a, ||delta||_1 <= kappa, ||Ddelta||_2 <= sqrt(omega)}
(Ddelta the 59 first differences), spreads fixed (s = 0 or s = s_nom). Exponents
``log u_k + (-t_k) delta_{t_k}`` with u_k = c_k h_i exp(-t (y_nom,t + s_i)). As above,

    log V_wc(h) = min_{delta in D} lse(log u + E delta)
                = max_{nu in simplex} -sum rel_entr(nu_k, u_k) - sigma_D(-E'nu),

where E (K x 60) has E_{k, t_k} = -t_k and sigma_D(w) = max_{delta in D} w'delta. D is an
intersection of three closed convex sets with 0 in the interior of the first two and in the
third, so sigma_D is the infimal convolution of the three support functions:
sigma_{||.||inf <= a} = a ||.||_1, sigma_{||.||1 <= kappa} = kappa ||.||_inf and
sigma_{||D.|| <= sqrt(omega)}(w) = min {sqrt(omega) ||v||_2 : D'v = w} (+inf unless 1'w = 0):

    sigma_D(w) = min_{w1, w2, v : w1 + w2 + D'v = w} a ||w1||_1 + kappa ||w2||_inf
                                                    + sqrt(omega) ||v||_2.

So V_wc(h) >= floor  <=>  exists (nu, w1, w2, v) with nu in the simplex,
w1 + w2 + D'v = -E'nu and
``-sum rel_entr(nu_k, u_k(h)) - a||w1||_1 - kappa||w2||_inf - sqrt(omega)||v||_2 >= log(floor)``,
all jointly convex in (h, nu, w1, w2, v): min phi(h) subject to that is one convex problem.

First-order (duration) estimate
-------------------------------
Delta is convex in x, so any tangent plane lies below it: with g = grad_x Delta(x0) =
G' pi (pi the softmax weights of the exponents at x0),
``Delta(x) >= Delta(x0) + g'(x - x0)`` and minimizing the plane over E in closed form,

    Delta_hat_wc = Delta(x0) + g'(mu - x0) - r ||L' g||_2  <=  Delta_wc.

The paper (and its code) linearize at today's curve x0 = x_nom (Delta(x_nom) = 0; the
nominal curve is outside the alpha = 0.5 and 0.01 ellipsoids). Note the public code's
``get_Delta_lin`` discounts with the 0-based period in ``exp(-t (y + s))`` while multiplying
by t + 1, a slip; here the gradient is exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd
import scipy.sparse as sp
from saddle_testing import shared_folder
from scipy.linalg import solve_triangular
from scipy.special import logsumexp, softmax
from scipy.stats import chi2

RATINGS = ["AAA", "AA", "A", "BBB"]
KEY_PERIODS = np.array([1, 2, 4, 6, 10, 14, 20, 40, 60])
# Published values (DSP package tests, MOSEK).
PAPER_PHI = {1.0: 0.0, 10.5: 0.69223, 20.0: 0.81587}
PAPER_CONSTRAINT_PHI = 15.32


def data_dir() -> Path:
    """The shared robust bond data folder: $SADDLE_SHARED/data/robust_bond, else ../shared."""
    return shared_folder() / "data" / "robust_bond"


def interpolation_matrix(key_periods: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """(len(periods), len(key_periods)) linear interpolation in the period index.

    Column j is np.interp of the j-th unit vector, so rows are convex combinations of the two
    neighbouring key points (periods outside the key range would be held flat; none are here).
    """
    eye = np.eye(len(key_periods))
    return np.column_stack([np.interp(periods, key_periods, eye[j]) for j in range(len(eye))])


@dataclass
class RobustBondData:
    bonds: pd.DataFrame
    p: np.ndarray  # (20,) market prices
    w: np.ndarray  # (20,) target weights, sum 1
    C: np.ndarray  # (20, 60) cash flows
    periods: np.ndarray  # (60,) 1..60
    y_nom: np.ndarray  # (60,) nominal curve, interpolated
    s_nom: np.ndarray  # (20,) nominal spread of each bond (its rating's)
    rating_index: np.ndarray  # (20,) 0..3 into RATINGS
    F: np.ndarray  # (80, 13) factors -> (y, s)
    x_nom: np.ndarray  # (13,) nominal key yields and rating spreads
    mu: np.ndarray  # (13,) factor mean
    precision: np.ndarray  # (13, 13), symmetrized
    factor_names: list[str]

    @property
    def n(self) -> int:
        return self.C.shape[0]

    @property
    def T(self) -> int:
        return self.C.shape[1]

    def benchmark_holdings(self, budget: float = 1.0) -> np.ndarray:
        """Target weights as holdings: h = budget * w / p (so p'h = budget)."""
        return budget * self.w / self.p


def load_robust_bond(path: str | Path | None = None) -> RobustBondData:
    folder = Path(path) if path is not None else data_dir()
    bonds = pd.read_csv(folder / "bonds.csv")
    cash = pd.read_csv(folder / "cashflows.csv", index_col=0)
    assert list(cash.index) == list(bonds["bond"]), "cash-flow rows must follow bonds.csv"
    C = cash.to_numpy(dtype=float)
    periods = np.array([int(c) for c in cash.columns])
    assert np.array_equal(periods, np.arange(1, C.shape[1] + 1))

    curve = pd.read_csv(folder / "nominal_curve.csv")
    key_periods = curve["key_period"].to_numpy(dtype=int)
    assert key_periods[0] <= periods[0] and key_periods[-1] >= periods[-1]
    spreads = pd.read_csv(folder / "nominal_spreads.csv").set_index("rating")["spread_per_period"]
    ratings = list(spreads.index)  # the paper's: AAA, AA, A, BBB (RATINGS)

    rating_index = bonds["rating"].map({r: j for j, r in enumerate(ratings)}).to_numpy()
    Fy = interpolation_matrix(key_periods, periods)
    Fs = np.zeros((len(bonds), len(ratings)))
    Fs[np.arange(len(bonds)), rating_index] = 1.0
    F = np.block([[Fy, np.zeros((len(periods), len(ratings)))],
                  [np.zeros((len(bonds), len(key_periods))), Fs]])
    x_nom = np.concatenate([curve["yield_per_period"].to_numpy(float), spreads.to_numpy(float)])

    mean = pd.read_csv(folder / "factor_mean.csv")
    prec = pd.read_csv(folder / "factor_precision.csv", index_col=0)
    names = list(mean["factor"])
    assert list(prec.index) == names and list(prec.columns) == names
    expected = [f"y_{k}" for k in key_periods] + [f"s_{r}" for r in ratings]
    assert names == expected, names
    P = prec.to_numpy(dtype=float)
    return RobustBondData(
        bonds=bonds,
        p=bonds["price"].to_numpy(float),
        w=bonds["target_weight"].to_numpy(float),
        C=C,
        periods=periods,
        y_nom=Fy @ x_nom[: len(key_periods)],
        s_nom=Fs @ x_nom[len(key_periods):],
        rating_index=rating_index,
        F=F,
        x_nom=x_nom,
        mu=mean["mean_per_period"].to_numpy(float),
        precision=(P + P.T) / 2,
        factor_names=names,
    )


# ----------------------------------------------------------------------------- building blocks


def chi2_radius(alpha: float, dim: int = 13) -> float:
    """r with r^2 = chi2_dim^{-1}(1 - alpha)."""
    return float(np.sqrt(chi2.ppf(1 - alpha, df=dim)))


def whitening(data: RobustBondData) -> np.ndarray:
    """L with L L' = precision^{-1}: x = mu + L z maps the unit ball onto the unit ellipsoid."""
    R = np.linalg.cholesky(data.precision)  # precision = R R'
    return solve_triangular(R.T, np.eye(len(R)), lower=False)  # R^{-T}


@dataclass
class Exponents:
    """The K nonzero cash flows k = (bond[k], period[k]) with log c_k and the rows G_k."""

    bond: np.ndarray
    period: np.ndarray  # 1-based
    log_c: np.ndarray
    G: np.ndarray  # (K, 13): exponent = log c_k + log h_i + G_k x
    E: sp.csr_matrix  # (K, T): E[k, t_k - 1] = -t_k (yield-only exponents)


def exponents(data: RobustBondData) -> Exponents:
    bond, col = np.nonzero(data.C)
    period = col + 1
    K = len(bond)
    Fy, Fs = data.F[: data.T], data.F[data.T:]
    G = -period[:, None] * (Fy[col] + Fs[bond])
    E = sp.csr_matrix((-period.astype(float), (np.arange(K), col)), shape=(K, data.T))
    return Exponents(bond, period, np.log(data.C[bond, col]), G, E)


def log_value(data: RobustBondData, h: np.ndarray, x: np.ndarray) -> float:
    """log V(h, x) = log sum_i h_i sum_t c_it exp(-t (y_t + s_i)), (y, s) = F x."""
    ys = data.F @ x
    y, s = ys[: data.T], ys[data.T:]
    disc = -np.outer(s, data.periods) - data.periods * y
    with np.errstate(divide="ignore"):
        terms = np.log(h)[:, None] + np.log(data.C) + disc
    return float(logsumexp(terms[np.isfinite(terms)]))


def log_return(data: RobustBondData, h: np.ndarray, x: np.ndarray) -> float:
    return log_value(data, h, x) - float(np.log(data.p @ h))


def _solve(problem: cp.Problem, solver: str, **options: Any) -> dict:
    start = time.perf_counter()
    try:
        problem.solve(solver=solver, **options)
    except cp.SolverError as err:
        return {"status": f"solver_error: {err}", "value": np.nan,
                "seconds": time.perf_counter() - start, "solver": solver}
    # problem.value is the objective re-evaluated at the returned point (cvxpy does this), so a
    # first-order solver's slightly negative h makes rel_entr(nu, c h) = inf there; the
    # solver's own optimal value is kept beside it.
    solution = getattr(problem, "solution", None)
    return {"status": problem.status, "value": problem.value,
            "solver_value": getattr(solution, "opt_val", np.nan),
            "seconds": time.perf_counter() - start, "solver": solver}


# ----------------------------------------------------------------------------- worst case


def worst_case(data: RobustBondData, h: np.ndarray, alpha: float, drop_below: float = 1e-7,
               solver: str = cp.CLARABEL, **options: Any) -> dict:
    """Primal: min over the whitened ellipsoid of log V(h, mu + L z) - log(p'h).

    Holdings worth less than ``drop_below`` of the budget are left out of the log-sum-exp:
    optimizers leave ~1e-9 "zeros" whose log-weights (~ -20) stall Clarabel
    (InsufficientProgress). Leaving terms out only lowers V, so the solve returns a certified
    bracket: ``lower`` (the optimum without them) <= Delta_wc <= ``value`` (the full Delta at
    the minimizer found); both are reported.
    """
    ex = exponents(data)
    budget = float(data.p @ h)
    keep = h[ex.bond] * data.p[ex.bond] > drop_below * budget
    r, L = chi2_radius(alpha, len(data.mu)), whitening(data)
    z = cp.Variable(len(data.mu))
    x = data.mu + L @ z
    offset = ex.log_c[keep] + np.log(h[ex.bond[keep]])
    obj = cp.log_sum_exp(offset + ex.G[keep] @ x) - np.log(budget)
    prob = cp.Problem(cp.Minimize(obj), [cp.norm(z, 2) <= r])
    out = _solve(prob, solver, **options)
    out["lower"] = out["value"]
    if z.value is not None:
        xv = data.mu + L @ z.value
        out.update(x=xv, ys=data.F @ xv, value=log_return(data, h, xv))
    return out


def worst_case_dual(data: RobustBondData, h: np.ndarray, alpha: float,
                    solver: str = cp.CLARABEL, **options: Any) -> dict:
    """Dual: max over the simplex of -sum rel_entr(nu, c h) + nu'G mu - r||L'G'nu|| - log p'h."""
    ex = exponents(data)
    r, L = chi2_radius(alpha, len(data.mu)), whitening(data)
    u = np.exp(ex.log_c) * h[ex.bond]
    nu = cp.Variable(len(u), nonneg=True)
    obj = (-cp.sum(cp.rel_entr(nu, u)) + (ex.G @ data.mu) @ nu
           - r * cp.norm(L.T @ ex.G.T @ nu, 2) - np.log(data.p @ h))
    prob = cp.Problem(cp.Maximize(obj), [cp.sum(nu) == 1])
    return _solve(prob, solver, **options)


def first_order_worst_case(data: RobustBondData, h: np.ndarray, alpha: float,
                           x0: np.ndarray | None = None) -> dict:
    """Closed-form min over the ellipsoid of the tangent plane of Delta at x0 (default x_nom).

    Returns the estimate, Delta(x0), the gradient g (key-rate and spread sensitivities of the
    log value, per unit of per-period rate) and the minimizing x = mu - r L L'g / ||L'g||.
    """
    x0 = data.x_nom if x0 is None else x0
    ex = exponents(data)
    keep = h[ex.bond] > 0
    a = ex.log_c[keep] + np.log(h[ex.bond[keep]]) + ex.G[keep] @ x0
    g = ex.G[keep].T @ softmax(a)
    r, L = chi2_radius(alpha, len(data.mu)), whitening(data)
    Lg = L.T @ g
    delta0 = log_return(data, h, x0)
    return {
        "value": float(delta0 + g @ (data.mu - x0) - r * np.linalg.norm(Lg)),
        "delta_x0": delta0,
        "gradient": g,
        "x": data.mu - r * (L @ Lg) / np.linalg.norm(Lg),
    }


# ----------------------------------------------------------------------------- construction


def turnover(data: RobustBondData, h: Any, budget: float = 1.0) -> Any:
    """phi(h) = 1/2 ||budget * w - h o p||_1 (numpy or cvxpy h)."""
    if isinstance(h, cp.Expression):
        return 0.5 * cp.norm1(budget * data.w - cp.multiply(h, data.p))
    return 0.5 * float(np.abs(budget * data.w - h * data.p).sum())


def robust_objective_form(data: RobustBondData, lam: float, alpha: float = 0.5,
                          solver: str = cp.CLARABEL, krd_tolerance: float | None = None,
                          **options: Any) -> dict:
    """min_h max_{x in E} phi(h) - lam Delta(h, x), p'h = 1, as one convex problem (dual).

    With `krd_tolerance`, also |sum_i (h_i p_i - w_i) KRD_ij| <= krd_tolerance for each key
    (`key_rate_durations`); the output then has ``krd`` and ``match``.
    """
    ex = exponents(data)
    r, L = chi2_radius(alpha, len(data.mu)), whitening(data)
    h = cp.Variable(data.n, nonneg=True)
    nu = cp.Variable(len(ex.bond), nonneg=True)
    u = cp.multiply(np.exp(ex.log_c), h[ex.bond])
    # minus the dual objective of Delta_wc(h) (log p'h = 0 by the budget)
    neg_delta = (cp.sum(cp.rel_entr(nu, u)) - (ex.G @ data.mu) @ nu
                 + r * cp.norm(L.T @ ex.G.T @ nu, 2))
    phi = turnover(data, h)
    rows = [data.p @ h == 1, cp.sum(nu) == 1]
    krd = key_rate_durations(data) if krd_tolerance is not None else None
    if krd is not None:
        rows.append(cp.abs(krd.T @ (cp.multiply(h, data.p) - data.w)) <= krd_tolerance)
    prob = cp.Problem(cp.Minimize(phi + lam * neg_delta), rows)
    out = _solve(prob, solver, **options)
    if h.value is not None:
        hv = np.maximum(h.value, 0)
        out.update(h=hv, phi=turnover(data, hv), delta_wc_dual=-float(neg_delta.value))
        if krd is not None:
            out.update(krd=krd, match=krd.T @ (hv * data.p - data.w))
    return out


def robust_objective_form_dsp(data: RobustBondData, lam: float, alpha: float = 0.5,
                              solver: str = cp.CLARABEL, **options: Any) -> dict:
    """The same saddle problem through dsp-cvxpy: weighted_log_sum_exp, max over z."""
    import dsp

    ex = exponents(data)
    r, L = chi2_radius(alpha, len(data.mu)), whitening(data)
    h = cp.Variable(data.n, nonneg=True)
    z = cp.Variable(len(data.mu))
    weights = cp.multiply(np.exp(ex.log_c), h[ex.bond])
    expo = ex.G @ (data.mu + L @ z)
    delta = dsp.weighted_log_sum_exp(expo, weights)
    phi = turnover(data, h)
    prob = dsp.SaddlePointProblem(
        dsp.MinimizeMaximize(phi - lam * delta),
        [data.p @ h == 1, cp.norm(z, 2) <= r],
        minimization_vars=[h],
        maximization_vars=[z],
    )
    start = time.perf_counter()
    prob.solve(solver=solver, **options)
    out = {"status": prob.status, "value": prob.value, "seconds": time.perf_counter() - start,
           "solver": solver}
    if h.value is not None:
        hv = np.maximum(h.value, 0)
        out.update(h=hv, phi=turnover(data, hv))
    return out


# ----------------------------------------------------------------------------- constraint form


def _yield_only_prices_matrix(data: RobustBondData, spreads: str) -> np.ndarray:
    """c_it exp(-t (y_nom,t + s_i)), (n, T): V(h, delta) = h' M exp(-t o delta).

    ``spreads="zero"`` prices on the treasury curve alone (the DSP test behind 15.32);
    ``"nominal"`` adds each bond's nominal rating spread (then M 1 = p exactly).
    """
    if spreads == "zero":
        s = np.zeros(data.n)
    elif spreads == "nominal":
        s = data.s_nom
    else:
        raise ValueError(f"spreads must be 'zero' or 'nominal', not {spreads!r}")
    return data.C * np.exp(-np.outer(s, data.periods) - data.periods * data.y_nom)


def _yield_only_weights(data: RobustBondData, ex: Exponents, spreads: str) -> np.ndarray:
    """c_k exp(-t (y_nom,t + s_i)) per exponent k: the coefficient of h_i(k)."""
    return _yield_only_prices_matrix(data, spreads)[ex.bond, ex.period - 1]


def constraint_form(data: RobustBondData, floor: float = 90.0, budget: float = 100.0,
                    delta_max: float = 0.02, kappa: float = 0.9, omega: float = 1e-6,
                    spreads: str = "zero", solver: str = cp.CLARABEL, **options: Any) -> dict:
    """min phi(h) s.t. p'h = budget, min_{delta in D} V(h, y_nom + delta) >= floor (dual form)."""
    ex = exponents(data)
    base = _yield_only_weights(data, ex, spreads)
    T = data.T
    Dm = sp.diags([-np.ones(T - 1), np.ones(T - 1)], [0, 1], shape=(T - 1, T))
    h = cp.Variable(data.n, nonneg=True)
    nu = cp.Variable(len(base), nonneg=True)
    w1, w2, v = cp.Variable(T), cp.Variable(T), cp.Variable(T - 1)
    u = cp.multiply(base, h[ex.bond])
    log_vwc_lower = (-cp.sum(cp.rel_entr(nu, u)) - delta_max * cp.norm1(w1)
                     - kappa * cp.norm_inf(w2) - np.sqrt(omega) * cp.norm(v, 2))
    phi = turnover(data, h, budget)
    cons = [data.p @ h == budget, cp.sum(nu) == 1,
            w1 + w2 + Dm.T @ v == -(ex.E.T @ nu),
            log_vwc_lower >= np.log(floor)]
    prob = cp.Problem(cp.Minimize(phi), cons)
    out = _solve(prob, solver, **options)
    if h.value is not None:
        hv = np.maximum(h.value, 0)
        out.update(h=hv, phi=turnover(data, hv, budget))
    return out


def yield_only_worst_value(data: RobustBondData, h: np.ndarray, delta_max: float = 0.02,
                           kappa: float = 0.9, omega: float = 1e-6, spreads: str = "zero",
                           drop_below: float = 1e-7, solver: str = cp.CLARABEL,
                           **options: Any) -> dict:
    """Primal check: min over delta in D of V(h, y_nom + delta) (log-sum-exp form).

    As in ``worst_case``, holdings below ``drop_below`` of p'h are left out of the solve and
    the result is a bracket: ``lower`` <= min V <= ``value`` (full V at the delta found).
    """
    ex = exponents(data)
    base = _yield_only_weights(data, ex, spreads)
    keep = h[ex.bond] * data.p[ex.bond] > drop_below * float(data.p @ h)
    delta = cp.Variable(data.T)
    offset = np.log(base[keep] * h[ex.bond[keep]])
    obj = cp.log_sum_exp(offset + ex.E[keep] @ delta)
    cons = [cp.norm_inf(delta) <= delta_max, cp.norm1(delta) <= kappa,
            cp.sum_squares(cp.diff(delta)) <= omega]
    out = _solve(cp.Problem(cp.Minimize(obj), cons), solver, **options)
    out["lower"] = float(np.exp(out["value"])) if np.isfinite(out["value"]) else np.nan
    out["delta"] = delta.value
    if delta.value is not None:
        disc = np.exp(-data.periods * delta.value)
        out["value"] = float(h @ (_yield_only_prices_matrix(data, spreads) @ disc))
    else:
        out["value"] = np.nan
    return out



def constraint_form_dsp(data: RobustBondData, floor: float = 90.0, budget: float = 100.0,
                        delta_max: float = 0.02, kappa: float = 0.9, omega: float = 1e-6,
                        spreads: str = "zero", solver: str = cp.CLARABEL, **options: Any) -> dict:
    """The same through dsp's saddle_min with a LocalVariable (log-sum-exp form)."""
    import dsp

    ex = exponents(data)
    base = _yield_only_weights(data, ex, spreads)
    h = cp.Variable(data.n, nonneg=True)
    delta = dsp.LocalVariable(data.T)
    weights = cp.multiply(base, h[ex.bond])
    lse = dsp.weighted_log_sum_exp(ex.E @ delta, weights)
    Y = [cp.norm_inf(delta) <= delta_max, cp.norm1(delta) <= kappa,
         cp.sum_squares(cp.diff(delta)) <= omega]
    log_vwc = dsp.saddle_min(lse, Y)
    phi = turnover(data, h, budget)
    prob = cp.Problem(cp.Minimize(phi), [data.p @ h == budget, log_vwc >= np.log(floor)])
    out = _solve(prob, solver, **options)
    if h.value is not None:
        hv = np.maximum(h.value, 0)
        out.update(h=hv, phi=turnover(data, hv, budget))
    return out


def key_rate_durations(data: RobustBondData) -> np.ndarray:
    """(n, keys): -(1/P_i) dP_i/dx_j for the key yields, at today's curve and spreads.

    P_i = sum_t c_it exp(-t (y_t + s_i)) and y = F_y x, so dP_i/dx_j = -sum_t t c_it
    exp(-t (y_t + s_i)) F_y[t, j]: written out here, not taken from Saddle.
    """
    keys = data.F.shape[1] - len(np.unique(data.rating_index))
    Fy = data.F[: data.T, :keys]
    pv = data.C * np.exp(-np.outer(data.s_nom, data.periods) - data.periods * data.y_nom)
    return (pv * data.periods) @ Fy / pv.sum(axis=1, keepdims=True)
