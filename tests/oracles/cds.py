"""Independent oracle for the CDS hedge model (issue 4), written without Saddle.

The model is the seed script ``../shared/seeds/cds_hedge_script.txt``: for each period
(month, quarter or year) choose the CS01 ($M) held in four CDS indices, 0 <= cs01 <= limit,
to maximize

    desk.sum() + sum_i cs01_i * 0.01 * sum(diff(spread_i))      (hedge P&L)
               - sum_i cs01_i * coupon_i / 1e4 * days / 252       (coupon carry)
               - sum_i cs01_i * first_spread_i * 0.2 * days / 252 * 1e-4   (roll cost)

where ``diff`` is taken inside the window with the first day's change set to 0
(``spread.diff().fillna(0)``), so sum(diff) = last spread - first spread, and ``days`` is
the number of days in the window. The objective is linear in cs01 and the feasible set is
a box, so the optimum is a vertex: ``period_lp`` solves it as an LP in CVXPY (HiGHS) and
in closed form, and the tests check both agree. ``seed_scipy_period`` is the seed's own
scipy.optimize.minimize approach, copied faithfully, for comparison.
"""

import time
from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd
from scipy.optimize import minimize

DATA = Path(__file__).resolve().parents[2] / "models" / "data" / "cds"
# The seed's horizon codes; pandas >= 2.2 renamed them (and pandas 3 rejects the old ones).
HORIZONS = {"M": "ME", "Q": "QE", "A": "YE"}


def load_sample(folder: str | Path = DATA):
    """Read the CSVs written by ``scripts/make_cds_sample.py``.

    Returns:
        (desk, spreads, limits, coupons): the daily desk P&L Series ($M), the daily spreads
        DataFrame (bp, one column per index), and the CS01 limits ($M) and coupons (bp/year)
        as Series indexed by index name, in the spreads' column order.
    """
    folder = Path(folder)
    read = dict(index_col="date", parse_dates=["date"])
    desk = pd.read_csv(folder / "desk_pnl.csv", **read)["pnl"]
    spreads = pd.read_csv(folder / "spreads.csv", **read)
    indices = pd.read_csv(folder / "indices.csv", index_col="index").loc[spreads.columns]
    return desk, spreads, indices["cs01_limit"].astype(float), indices["coupon_bp"].astype(float)


def periods(dates: pd.DatetimeIndex, horizon: str) -> list[tuple[pd.Timestamp, pd.DatetimeIndex]]:
    """The seed's windows: (period end, dates of the window), windows of < 2 days skipped.

    Period ends are the last date of each resample bin (``resample(H).apply(lambda x:
    x.index[-1])``); a window is (previous end, end]. Quirk of the seed, reproduced on
    purpose: the first window has no previous end, so it starts at ``dates.min()``
    *exclusive* -- the very first day (2021-01-01) belongs to no window. The last bin of
    the sample (2025-01-01 alone) has 1 day and is skipped, as in the seed.
    """
    frame = pd.Series(0.0, index=dates)
    period_ends = frame.resample(HORIZONS.get(horizon, horizon)).apply(lambda x: x.index[-1])
    out = []
    for end_date in period_ends:
        earlier = period_ends[period_ends < end_date]
        start_date = earlier.max() if len(earlier) else dates.min()
        mask = (dates > start_date) & (dates <= end_date)
        if mask.sum() < 2:
            continue
        out.append((end_date, dates[mask]))
    return out


def _coefficients(spreads: pd.DataFrame, coupons, days: int) -> np.ndarray:
    """Closed-form objective gradient per unit CS01 (the diffs telescope to last - first)."""
    first = spreads.iloc[0].to_numpy(float)
    last = spreads.iloc[-1].to_numpy(float)
    coupons = np.asarray(coupons, float)
    return 0.01 * (last - first) - coupons / 1e4 * days / 252 - first * 0.2 * days / 252 * 1e-4


def period_lp_closed_form(desk: pd.Series, spreads: pd.DataFrame, limits, coupons) -> dict:
    """The optimum without a solver: each cs01 at its limit if its coefficient is > 0."""
    coef = _coefficients(spreads, coupons, len(desk))
    cs01 = np.where(coef > 0, np.asarray(limits, float), 0.0)
    return {"cs01": cs01, "objective": float(desk.sum() + coef @ cs01)}


def period_lp(desk: pd.Series, spreads: pd.DataFrame, limits, coupons) -> dict:
    """The exact per-period optimum as an LP in CVXPY (HiGHS).

    Built from the daily spread changes (a (days, 4) matrix, first row 0), not from the
    telescoped coefficients of ``period_lp_closed_form``, so the two are independent.
    """
    days = len(desk)
    changes = spreads.diff().fillna(0).to_numpy(float)
    first = spreads.iloc[0].to_numpy(float)
    limits = np.asarray(limits, float)
    coupons = np.asarray(coupons, float)
    x = cp.Variable(len(limits))
    hedge = cp.sum(changes @ x) * 0.01
    carry = (coupons / 1e4 * days / 252) @ x
    roll = (first * 0.2 * days / 252 * 1e-4) @ x
    problem = cp.Problem(cp.Maximize(desk.sum() + hedge - carry - roll), [x >= 0, x <= limits])
    problem.solve(solver=cp.HIGHS)
    assert problem.status == cp.OPTIMAL, problem.status
    return {"cs01": np.asarray(x.value, float), "objective": float(problem.value)}


def period_objective(desk: pd.Series, spreads: pd.DataFrame, limits, coupons, cs01) -> float:
    """The period objective at a given cs01, evaluated with the seed's own formulas."""
    return -_seed_objective(desk, spreads, dict(zip(spreads.columns, coupons, strict=True)), cs01)


# ---------------------------------------------------------------------------------------
# The seed's approach, copied faithfully (TICKERS / COUPON are its globals).
# ---------------------------------------------------------------------------------------

TICKERS = ["CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover"]
CS01_LIMITS = {"CDX IG": 0.25, "CDX HY": 0.10, "iTraxx Main": 0.25, "iTraxx Xover": 0.10}
COUPON = {"CDX IG": 100, "CDX HY": 500, "iTraxx Main": 100, "iTraxx Xover": 500}


def hedge_pnl(cds_df, cs01_vec):
    daily_pnl = pd.Series(0.0, index=cds_df.index)
    for i, t in enumerate(TICKERS):
        spread_change = cds_df[t].diff().fillna(0)
        daily_pnl += spread_change * cs01_vec[i] * 0.01  # in millions
    return daily_pnl


def hedge_cost(cs01_vec, days, coupon=COUPON):
    return sum(cs01_vec[i] * coupon[TICKERS[i]] / 10000 * days / 252 for i in range(len(cs01_vec)))


def roll_cost(cs01_vec, current_spread, days):
    return sum(
        cs01_vec[i] * current_spread[TICKERS[i]] * 0.2 * days / 252 * 0.0001
        for i in range(len(cs01_vec))
    )


def _seed_objective(desk, cds, coupon, cs01_vec):
    """The seed's ``objective`` closure (minimized, so the negated P&L)."""
    current_spread = cds.iloc[0]
    days = len(desk)
    pnl = hedge_pnl(cds, cs01_vec)
    pnl_sum = desk.sum() + pnl.sum()
    cost = hedge_cost(cs01_vec, days, coupon)
    roll = roll_cost(cs01_vec, current_spread, days)
    return -(pnl_sum - cost - roll)


def seed_scipy_result(desk, cds, cs01_limits, coupon=COUPON):
    """The seed's ``minimize`` call; returns the full OptimizeResult."""
    bounds = [(0, cs01_limits[t]) for t in TICKERS]

    def objective(cs01_vec):
        return _seed_objective(desk, cds, coupon, cs01_vec)

    return minimize(objective, x0=np.zeros(len(TICKERS)), bounds=bounds)


def seed_scipy_period(desk, cds, cs01_limits, coupon=COUPON):
    """The seed's ``optimize_period``: zeros if scipy reports failure."""
    result = seed_scipy_result(desk, cds, cs01_limits, coupon)
    return result.x if result.success else np.zeros(len(TICKERS))


# ---------------------------------------------------------------------------------------
# Rolling over the periods of a horizon.
# ---------------------------------------------------------------------------------------


def rolling(horizon: str, folder: str | Path = DATA, solve=period_lp) -> pd.DataFrame:
    """Optimal CS01 per period (rows indexed by period end, columns the four indices)."""
    desk, spreads, limits, coupons = load_sample(folder)
    rows = {
        end: solve(desk.loc[window], spreads.loc[window], limits, coupons)["cs01"]
        for end, window in periods(desk.index, horizon)
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(spreads.columns))


def seed_rolling(horizon: str, folder: str | Path = DATA) -> pd.DataFrame:
    """The seed's scipy CS01 per period, same layout as ``rolling``."""
    desk, spreads, limits, coupons = load_sample(folder)
    assert list(spreads.columns) == TICKERS
    coupon = dict(coupons)
    rows = {
        end: seed_scipy_period(desk.loc[window], spreads.loc[window], dict(limits), coupon)
        for end, window in periods(desk.index, horizon)
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=TICKERS)


def compare(horizon: str, folder: str | Path = DATA) -> pd.DataFrame:
    """Per period: LP optimum, the seed's scipy objective, the gap and scipy's status."""
    desk, spreads, limits, coupons = load_sample(folder)
    coupon = dict(coupons)
    records = []
    for end, window in periods(desk.index, horizon):
        d, s = desk.loc[window], spreads.loc[window]
        best = period_lp_closed_form(d, s, limits, coupons)
        result = seed_scipy_result(d, s, dict(limits), coupon)
        x = result.x if result.success else np.zeros(len(TICKERS))
        value = period_objective(d, s, limits, coupons, x)
        records.append(
            {
                "end": end,
                "days": len(window),
                "optimum": best["objective"],
                "scipy": value,
                "gap": best["objective"] - value,
                "success": bool(result.success),
                "message": str(result.message),
                "nit": int(result.nit),
                "max_cs01_diff": float(np.max(np.abs(x - best["cs01"]))),
            }
        )
    return pd.DataFrame.from_records(records, index="end")


def timings(horizon: str = "M", folder: str | Path = DATA) -> dict:
    """Wall-clock seconds of the seed's scipy loop and of the LP loop."""
    start = time.perf_counter()
    seed_rolling(horizon, folder)
    scipy_seconds = time.perf_counter() - start
    start = time.perf_counter()
    rolling(horizon, folder)
    lp_seconds = time.perf_counter() - start
    return {"scipy": scipy_seconds, "lp": lp_seconds}


def calendar_rolling(horizon: str, folder: str | Path = DATA) -> pd.DataFrame:
    """Per-period optima over calendar windows (every day of each month/quarter/year,
    including the first day of the sample, unlike the seed), indexed by each window's last
    date as 'YYYY-MM-DD': the windows Saddle's `rebalance every ...` uses."""
    desk, spreads, limits, coupons = load_sample(folder)
    keys = desk.index.to_period({"M": "M", "Q": "Q", "A": "Y", "Y": "Y"}[horizon])
    rows = {}
    for key in keys.unique():
        window = keys == key
        best = period_lp(desk[window], spreads[window], limits, coupons)
        end = desk.index[window][-1].strftime("%Y-%m-%d")
        rows[end] = dict(zip(spreads.columns, best["cs01"], strict=True)) | {
            "objective": best["objective"]}
    return pd.DataFrame.from_dict(rows, orient="index")
