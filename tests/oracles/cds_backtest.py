"""Independent oracle for the CDS hedge backtest (issue 13), written without Saddle.

For each calendar month but the last: choose CS01 on that month's data (or on the last
`lookback` days up to its last day) with the per-period LP of ``oracles.cds`` (maximize
desk.sum() + hedge - carry - roll, 0 <= cs01 <= limit), hold it over the next calendar
month and realize the same period P&L there, with the seed's own formulas
(``oracles.cds.period_objective``). One ``cp.Problem`` with ``cp.Parameter`` data (DPP):
the desk sum and the LP's coefficient vector per unit CS01.
"""

from __future__ import annotations

from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd

from oracles.cds import DATA, _coefficients, load_sample, period_objective


def calendar_months(index: pd.DatetimeIndex) -> list[np.ndarray]:
    keys = index.to_period("M")
    return [np.flatnonzero(keys == key) for key in keys.unique()]


class HandLoop:
    """The DPP problem, built once; `run()` solves the periods in order."""

    def __init__(self, folder: str | Path = DATA, lookback: int | None = None):
        self.desk, self.spreads, limits, self.coupons = load_sample(folder)
        self.limits = np.asarray(limits, float)
        self.lookback = lookback
        self.build()

    def build(self) -> None:
        """The DPP problem (a new one: its first solve canonicalizes it)."""
        self.x = cp.Variable(len(self.limits))
        self.desk_sum = cp.Parameter()
        self.coefficients = cp.Parameter(len(self.limits))
        self.problem = cp.Problem(cp.Maximize(self.desk_sum + self.coefficients @ self.x),
                                  [self.x >= 0, self.x <= self.limits])

    def periods(self) -> list[tuple[np.ndarray, np.ndarray]]:
        months = calendar_months(self.desk.index)
        out = []
        for window, after in zip(months[:-1], months[1:], strict=True):
            end = int(window[-1])
            if self.lookback is not None:
                if end + 1 < self.lookback:
                    continue
                window = np.arange(end + 1 - self.lookback, end + 1)
            out.append((window, after))
        return out

    def run(self, realize=None) -> pd.DataFrame:
        """Decisions and realized P&L per rebalance date (`realize(desk, spreads, x)`:
        default the seed's formulas)."""
        rows = {}
        for window, after in self.periods():
            desk, spreads = self.desk.iloc[window], self.spreads.iloc[window]
            self.desk_sum.value = float(desk.sum())
            self.coefficients.value = _coefficients(spreads, self.coupons, len(desk))
            self.problem.solve(solver=cp.HIGHS)
            x = np.asarray(self.x.value, float)
            held_desk, held_spreads = self.desk.iloc[after], self.spreads.iloc[after]
            pnl = (realize(held_desk, held_spreads, x) if realize is not None else
                   period_objective(held_desk, held_spreads, self.limits, self.coupons, x))
            rows[desk.index[-1].strftime("%Y-%m-%d")] = dict(
                zip(self.spreads.columns, x, strict=True)) | {"pnl": pnl}
        return pd.DataFrame.from_dict(rows, orient="index")


def fast_realize(coupons):
    """The period P&L in numpy (the telescoped form), for the benchmark's timing."""
    def realize(desk: pd.Series, spreads: pd.DataFrame, x: np.ndarray) -> float:
        return float(desk.to_numpy().sum() + _coefficients(spreads, coupons, len(desk)) @ x)
    return realize
