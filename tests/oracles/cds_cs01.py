"""Independent oracle for ``models/cds_hedge_cs01.saddle``, written without Saddle.

Per calendar month (every day of it, as Saddle's `rebalance every month`), choose the
protection notional n_i >= 0 ($M) bought in each CDS index to maximize

    desk.sum() + sum_i n_i cs01_i (last_i - first_i)          (hedge P&L, spreads in bp)
               - sum_i n_i coupon_i days / 252                  (coupon carry)
               - sum_i n_i 0.2 first_i 1e-4 days / 252           (roll cost)

subject to n_i cs01_i <= cs01_limit_i, where cs01_i is the mark-to-market change of $1 of
bought protection for +1bp at the month's first spread. Here it comes from QuantLib: a
5-year CDS on 20 quarters of 90 days under Actual/360 (exact quarters), a flat hazard rate
s / (1 - R), a flat continuously compounded 2% curve and the MidPointCdsEngine, repriced
with the spread bumped by 1bp. The LP is built from the daily spread changes.
"""

from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd
import QuantLib as ql

from oracles.cds import DATA, load_sample

MATURITY_QUARTERS = 20
RECOVERY = 0.4
RATE = 0.02
TODAY = ql.Date(20, 3, 2024)


def quantlib_cds(spread: float, coupon: float, first_days: int, quarters: int,
                 recovery: float, rate: float) -> float:
    """NPV of $1 of bought protection (decimals per year): MidPointCdsEngine on a first
    period of `first_days` then whole quarters of 90 days, Actual/360, flat hazard."""
    ql.Settings.instance().evaluationDate = TODAY
    day_count = ql.Actual360()
    dates = [TODAY, TODAY + first_days] + [TODAY + first_days + 90 * q
                                          for q in range(1, quarters)]
    schedule = ql.Schedule(dates, ql.NullCalendar(), ql.Unadjusted)
    hazard = ql.FlatHazardRate(TODAY, ql.QuoteHandle(ql.SimpleQuote(spread / (1 - recovery))),
                               day_count)
    curve = ql.FlatForward(TODAY, rate, day_count, ql.Continuous)
    swap = ql.CreditDefaultSwap(ql.Protection.Buyer, 1.0, coupon, schedule, ql.Unadjusted,
                                day_count)
    swap.setPricingEngine(ql.MidPointCdsEngine(
        ql.DefaultProbabilityTermStructureHandle(hazard), recovery,
        ql.YieldTermStructureHandle(curve)))
    return swap.NPV()


def quantlib_cds_value(spread: float, coupon: float, quarters: int = MATURITY_QUARTERS,
                       recovery: float = RECOVERY, rate: float = RATE) -> float:
    """NPV of $1 of bought protection on whole quarters (decimals per year)."""
    return quantlib_cds(spread, coupon, 90, quarters, recovery, rate)


def quantlib_cs01(spread: float, coupon: float) -> float:
    return quantlib_cds_value(spread + 1e-4, coupon) - quantlib_cds_value(spread, coupon)


def month_lp(desk: pd.Series, spreads: pd.DataFrame, limits: np.ndarray,
             coupons_bp: np.ndarray) -> dict:
    days = len(desk)
    first = spreads.iloc[0].to_numpy(float)
    coupons = coupons_bp / 1e4
    cs01 = np.array([quantlib_cs01(s * 1e-4, c) for s, c in zip(first, coupons, strict=True)])
    changes = spreads.diff().fillna(0).to_numpy(float)  # bp per day, 0 on the first day
    n = cp.Variable(len(limits), nonneg=True)
    hedge = cp.sum(changes @ cp.multiply(cs01, n))
    carry = (coupons * days / 252) @ n
    roll = (0.2 * first * 1e-4 * days / 252) @ n
    problem = cp.Problem(cp.Maximize(desk.sum() + hedge - carry - roll),
                         [cp.multiply(cs01, n) <= limits])
    problem.solve(solver=cp.HIGHS)
    return {"notional": np.asarray(n.value, float), "objective": float(problem.value),
            "cs01": cs01, "status": problem.status}


def monthly(folder: str | Path = DATA) -> pd.DataFrame:
    """One row per calendar month, indexed by its last date ('YYYY-MM-DD'): the notionals
    by index name, the objective and each index's CS01 (`cs01[...]` columns)."""
    desk, spreads, limits, coupons = load_sample(folder)
    keys = desk.index.to_period("M")
    rows = {}
    for key in keys.unique():
        window = keys == key
        best = month_lp(desk[window], spreads[window], limits.to_numpy(float),
                        coupons.to_numpy(float))
        end = desk.index[window][-1].strftime("%Y-%m-%d")
        rows[end] = dict(zip(spreads.columns, best["notional"], strict=True)) | {
            "objective": best["objective"], "status": best["status"]} | {
            f"cs01[{name}]": value for name, value in zip(spreads.columns, best["cs01"],
                                                          strict=True)}
    return pd.DataFrame.from_dict(rows, orient="index")
