"""Fixed-income numerics for the builtins: plain numpy on numeric period labels.

Conventions (docs/language.md, "Fixed income"): periods are the numeric labels of the time
set (half-years in the robust bond data, years in the treasury model); rates are per period.
"""

from __future__ import annotations

import numpy as np


def interpolation_matrix(points: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The (len(points), len(keys)) matrix of linear interpolation weights from key points.

    Row p holds the weights that give the value at ``points[p]`` from values at the keys:
    the two neighbouring keys share it in proportion to distance, and a point outside the
    key range takes the nearest end key's value (held flat). Every row sums to 1, so a
    parallel shift of the keys is a parallel shift of the curve.
    """
    points = np.asarray(points, dtype=float)
    keys = np.asarray(keys, dtype=float)
    if keys.ndim != 1 or keys.size == 0 or np.any(np.diff(keys) <= 0):
        raise ValueError("the key points must be strictly increasing")
    weights = np.zeros((points.size, keys.size))
    clipped = np.clip(points, keys[0], keys[-1])
    right = np.clip(np.searchsorted(keys, clipped, side="right"), 1, max(keys.size - 1, 1))
    if keys.size == 1:
        weights[:, 0] = 1.0
        return weights
    left = right - 1
    span = keys[right] - keys[left]
    share = (clipped - keys[left]) / span
    rows = np.arange(points.size)
    weights[rows, left] = 1.0 - share
    weights[rows, right] += share
    return weights


# ---- bonds: price and sensitivities on a curve of per-period rates ----
#
# `times` are the numeric period labels t (shape (T,)); `rates` are r_t = y_t + s, the curve
# plus the bond's spread, per period, broadcastable to the cash flows (..., T). Compounding:
#   continuous: df_t = exp(-t r_t)          (the robust bond data's convention)
#   periodic:   df_t = (1 + r_t) ** -t      (one compounding per period)
# Sensitivities are to a parallel shift dy of the curve, in the curve's own units.

BASIS_POINT = 1e-4


def discount(times: np.ndarray, rates: np.ndarray, compounding: str = "continuous"
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """df_t and its first and second derivatives in a parallel shift of the rates."""
    t = np.asarray(times, dtype=float)
    r = np.asarray(rates, dtype=float)
    if compounding == "continuous":
        df = np.exp(-t * r)
        return df, -t * df, t * t * df
    if compounding == "periodic":
        gross = 1.0 + r
        df = gross ** -t
        return df, -t * df / gross, t * (t + 1) * df / gross ** 2
    raise ValueError(f"unknown compounding {compounding!r}")


def rates_from_discount(times: np.ndarray, factors: np.ndarray,
                        compounding: str = "continuous") -> np.ndarray:
    """The per-period rates implied by discount factors: the inverse of `discount`.

    At t = 0 a discount factor says nothing about a rate; the rate is taken as 0 there
    (the factor must be 1, which the caller checks).
    """
    t = np.asarray(times, dtype=float)
    df = np.asarray(factors, dtype=float)
    safe = np.where(t == 0, 1.0, t)
    if compounding == "continuous":
        rates = -np.log(df) / safe
    else:
        rates = df ** (-1.0 / safe) - 1.0
    return np.where(t == 0, 0.0, rates)


def bond_price(cashflow: np.ndarray, times: np.ndarray, rates: np.ndarray,
               compounding: str = "continuous") -> np.ndarray:
    """P = sum_t c_t df_t over the last axis."""
    df, _, _ = discount(times, rates, compounding)
    return np.sum(cashflow * df, axis=-1)


def dv01(cashflow: np.ndarray, times: np.ndarray, rates: np.ndarray,
         compounding: str = "continuous") -> np.ndarray:
    """-dP/dy * 1bp: the price fall for a 1bp (1e-4) parallel rise of the curve (first order)."""
    _, d1, _ = discount(times, rates, compounding)
    return -np.sum(cashflow * d1, axis=-1) * BASIS_POINT


def duration(cashflow: np.ndarray, times: np.ndarray, rates: np.ndarray,
             compounding: str = "continuous", kind: str = "modified") -> np.ndarray:
    """Modified -(1/P) dP/dy or Macaulay (1/P) sum t c_t df_t, in periods.

    Under continuous compounding the two coincide; under periodic compounding each term of
    the modified duration carries an extra 1 / (1 + r_t).
    """
    df, d1, _ = discount(times, rates, compounding)
    price = np.sum(cashflow * df, axis=-1)
    if kind == "macaulay":
        return np.sum(cashflow * np.asarray(times, dtype=float) * df, axis=-1) / price
    return -np.sum(cashflow * d1, axis=-1) / price


def convexity(cashflow: np.ndarray, times: np.ndarray, rates: np.ndarray,
              compounding: str = "continuous") -> np.ndarray:
    """(1/P) d2P/dy2 for a parallel shift, in periods squared."""
    df, _, d2 = discount(times, rates, compounding)
    return np.sum(cashflow * d2, axis=-1) / np.sum(cashflow * df, axis=-1)


def key_rate_durations(cashflow: np.ndarray, times: np.ndarray, rates: np.ndarray,
                       keys: np.ndarray, compounding: str = "continuous") -> np.ndarray:
    """KRD_j = -(1/P) dP/dy_j, shape (..., len(keys)), in periods.

    Moving key rate j by dy moves the rate at period t by W[t, j] dy, W the linear
    interpolation matrix (flat beyond the end keys). The rows of W sum to 1, so the key-rate
    durations add up to the modified duration.
    """
    df, d1, _ = discount(times, rates, compounding)
    price = np.sum(cashflow * df, axis=-1)
    weights = interpolation_matrix(np.asarray(times, dtype=float), keys)
    return -((cashflow * d1) @ weights) / price[..., None]


# ---- carry and roll-down over a horizon of k periods, the curve unchanged ----


def growth(rate: np.ndarray | float, periods: float, compounding: str = "continuous") -> np.ndarray:
    """What 1 grows to over `periods` at a per-period rate."""
    rate = np.asarray(rate, dtype=float)
    return np.exp(rate * periods) if compounding == "continuous" else (1.0 + rate) ** periods


def own_yield(cashflow: np.ndarray, times: np.ndarray, price: np.ndarray,
              compounding: str = "continuous", start: np.ndarray | float = 0.0) -> np.ndarray:
    """The flat per-period rate Y with sum_t c_t df_t(Y) = price (the bond's own yield).

    Newton's method from a rate `start` at which the cash flows are worth at least `price`:
    with c_t >= 0 the price is decreasing and convex in Y, so the iterates rise monotonically
    to the root.
    """
    t = np.asarray(times, dtype=float)
    target = np.asarray(price, dtype=float)
    y = np.broadcast_to(np.asarray(start, dtype=float), target.shape).copy()
    for _ in range(200):
        df, d1, _ = discount(t, y[..., None], compounding)
        slope = np.sum(cashflow * d1, axis=-1)
        gap = np.sum(cashflow * df, axis=-1) - target
        # no cash flow after time 0: any yield prices it, keep the start
        step = np.divide(gap, slope, out=np.zeros_like(gap), where=slope != 0)
        y = y - step
        if np.all(np.abs(step) <= 1e-15 * np.maximum(1.0, np.abs(y))):
            break
    return y


def _horizon_values(cashflow: np.ndarray, times: np.ndarray, rates: np.ndarray,
                    horizon: float, compounding: str) -> np.ndarray:
    """Cash flows due by the horizon (as received, not reinvested) plus the rest discounted
    from their own times at `rates` (..., T), which are read at t - k by the caller."""
    t = np.asarray(times, dtype=float)
    remaining = t > horizon
    df, _, _ = discount(np.where(remaining, t - horizon, 0.0), rates, compounding)
    return np.sum(cashflow * np.where(remaining, df, 1.0), axis=-1)


def _held_at_own_yield(cashflow: np.ndarray, times: np.ndarray, rates: np.ndarray,
                       horizon: float, compounding: str) -> tuple[np.ndarray, np.ndarray]:
    """(P, V_Y): today's price on the curve, and the horizon value at the own yield Y."""
    full = np.broadcast_to(rates, np.shape(cashflow))
    price = bond_price(cashflow, times, full, compounding)
    # every rate is above this start, so the cash flows are worth more there than P
    yields = own_yield(cashflow, times, price, compounding, np.min(full, axis=-1) - 0.01)
    return price, _horizon_values(cashflow, times, yields[..., None], horizon, compounding)


def carry(cashflow: np.ndarray, times: np.ndarray, rates: np.ndarray, horizon: float,
          repo: np.ndarray | float = 0.0, compounding: str = "continuous") -> np.ndarray:
    """The return of holding the bond k periods at its own yield, less financing at repo.

    carry = V_Y - P - P (g(repo, k) - 1): P today's price on the curve, Y its own yield,
    V_Y the horizon value (cash flows received by k plus the rest discounted at Y from
    t - k), g the growth of 1 at the repo rate over k periods.
    """
    price, held = _held_at_own_yield(cashflow, times, rates, horizon, compounding)
    return held - price - price * (growth(repo, horizon, compounding) - 1.0)


def rolldown(cashflow: np.ndarray, times: np.ndarray, rates: np.ndarray, horizon: float,
             compounding: str = "continuous") -> np.ndarray:
    """The extra return of rolling down the unchanged curve over holding at the own yield.

    rolldown = V_C - V_Y: V_C is the horizon value with each remaining cash flow discounted
    from t - k at the curve's rate for t - k (linear interpolation between periods, flat
    beyond the ends), V_Y as in `carry`. carry + rolldown = V_C - P - financing, the
    return if the curve is unchanged. Times must be increasing.
    """
    t = np.asarray(times, dtype=float)
    full = np.broadcast_to(rates, np.shape(cashflow))
    rolled = full @ interpolation_matrix(t - horizon, t).T
    _, held = _held_at_own_yield(cashflow, t, full, horizon, compounding)
    return _horizon_values(cashflow, t, rolled, horizon, compounding) - held


# ---- CDS: one name or index, flat hazard, per unit notional ----
#
# Flat hazard approximation (the credit triangle): lambda = s / (1 - R), so survival to t
# is exp(-lambda t); flat continuously compounded rate r, D(t) = exp(-r t). Premium leg: the
# standard quarterly schedule, paid at T, T - 1/4, ... > 0 (a short first period if T is
# not a whole number of quarters), with the accrued premium paid on default at the
# period's midpoint; protection leg: (1 - R) paid at the midpoint of the period of default.
# This is QuantLib's MidPointCdsEngine on a schedule of exact quarters. Times in years.

PAYMENTS_PER_YEAR = 4


def cds_schedule(maturity: float, per_year: int = PAYMENTS_PER_YEAR) -> np.ndarray:
    """0 and the premium dates T - i/per_year > 0, increasing, in years."""
    count = int(np.ceil(maturity * per_year - 1e-9))
    dates = maturity - np.arange(count)[::-1] / per_year
    return np.concatenate([[0.0], dates])


def cds_legs(times: np.ndarray, hazard: float, rate: float) -> tuple[float, float]:
    """(risky annuity, protection leg per unit loss) on the period boundaries `times`.

    annuity = sum_i a_i [S(t_i) D(t_i) + (S(t_i-1) - S(t_i)) D(m_i) / 2], a_i = t_i - t_i-1,
    protection = sum_i (S(t_i-1) - S(t_i)) D(m_i), m_i the period's midpoint.
    """
    survival = np.exp(-hazard * times)
    middle = (times[1:] + times[:-1]) / 2
    defaults = survival[:-1] - survival[1:]
    accrual = np.diff(times)
    annuity = np.sum(accrual * (survival[1:] * np.exp(-rate * times[1:])
                                + defaults * np.exp(-rate * middle) / 2))
    return float(annuity), float(np.sum(defaults * np.exp(-rate * middle)))


def cds_value(spread: float, coupon: float, maturity: float, recovery: float,
              rate: float = 0.0) -> float:
    """The mark-to-market of bought protection: (1 - R) protection - coupon * annuity."""
    annuity, protection = cds_legs(cds_schedule(maturity), spread / (1.0 - recovery), rate)
    return (1.0 - recovery) * protection - coupon * annuity


def _cs01_one(spread: float, coupon: float, maturity: float, recovery: float,
              rate: float) -> float:
    return (cds_value(spread + BASIS_POINT, coupon, maturity, recovery, rate)
            - cds_value(spread, coupon, maturity, recovery, rate))


def cs01(spread: np.ndarray, coupon: np.ndarray, maturity: np.ndarray,
         recovery: np.ndarray | float = 0.4, rate: np.ndarray | float = 0.0) -> np.ndarray:
    """V(s + 1bp) - V(s) per unit notional of bought protection, elementwise (broadcast).

    Spreads, coupons and rates are decimals per year (100bp = 0.01), maturity in years.
    """
    return np.asarray(np.vectorize(_cs01_one, otypes=[float])(
        spread, coupon, maturity, recovery, rate))


# ---- CDS carry and roll-down of bought protection over a horizon (years) ----


def _cds_carry_one(spread: float, coupon: float, maturity: float, horizon: float,
                   recovery: float, rate: float) -> float:
    return (cds_value(spread, coupon, maturity - horizon, recovery, rate)
            - cds_value(spread, coupon, maturity, recovery, rate) - coupon * horizon)


def cds_carry(spread: np.ndarray, coupon: np.ndarray, maturity: np.ndarray,
              horizon: np.ndarray, recovery: np.ndarray | float = 0.4,
              rate: np.ndarray | float = 0.0) -> np.ndarray:
    """Bought protection held `horizon` years with its spread unchanged, per unit notional:
    V(s, c, T - h) - V(s, c, T) - c h (the value's time decay less the premium paid).

    With `cds_rolldown`, the P&L if the spread curve does not move. Elementwise (broadcast).
    """
    return np.asarray(np.vectorize(_cds_carry_one, otypes=[float])(
        spread, coupon, maturity, horizon, recovery, rate))


def _cds_rolldown_one(spread: float, rolled: float, coupon: float, maturity: float,
                      horizon: float, recovery: float, rate: float) -> float:
    return (cds_value(rolled, coupon, maturity - horizon, recovery, rate)
            - cds_value(spread, coupon, maturity - horizon, recovery, rate))


def cds_rolldown(spread: np.ndarray, rolled: np.ndarray, coupon: np.ndarray,
                 maturity: np.ndarray, horizon: np.ndarray, recovery: np.ndarray | float = 0.4,
                 rate: np.ndarray | float = 0.0) -> np.ndarray:
    """The gain of bought protection from its spread rolling down the curve over `horizon`
    years, from `spread` (maturity T) to `rolled` (the spread of maturity T - h):
    V(s', c, T - h) - V(s, c, T - h), per unit notional. Elementwise (broadcast)."""
    return np.asarray(np.vectorize(_cds_rolldown_one, otypes=[float])(
        spread, rolled, coupon, maturity, horizon, recovery, rate))
