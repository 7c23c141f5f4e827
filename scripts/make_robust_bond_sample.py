"""Write a small generated bond universe to ``models/data/robust_bond/``.

The robust bond models read the paper's 20-bond universe from ``../shared/data/robust_bond``
when run with ``--data ../shared``; without it they run on this sample, which has the same
file layout (see ``../shared/data/robust_bond/README.md``) and conventions: half-year periods
1..60, rates per period, continuous compounding, prices equal to the model price at today's
curve plus the bond's rating spread (so the log return is 0 at today's curve).

Eight bullet bonds, two per rating (AAA, AA, A, BBB), maturing between 2 and 30 years with
semiannual coupons near par; seven key periods 1, 2, 4, 10, 20, 40, 60 (0.5 to 30 years).
The factor covariance (7 key yields + 4 spreads) comes from a seeded model: a level, slope
and curvature factor for the yields, a common credit factor for the spreads (larger for
lower ratings), and idiosyncratic noise, so it is positive definite by construction; the
files hold its mean and its inverse (the precision), as the paper's files do. Not market
data. Run from anywhere: ``python scripts/make_robust_bond_sample.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "models" / "data" / "robust_bond"
SEED = 11
PERIODS = np.arange(1, 61)
KEYS = np.array([1, 2, 4, 10, 20, 40, 60])
RATINGS = ["AAA", "AA", "A", "BBB"]
SPREADS = np.array([0.0030, 0.0042, 0.0060, 0.0095])  # per period
MATURITIES = [4, 12, 8, 20, 10, 40, 14, 60]  # periods; two bonds per rating, in order


def _curve(keys: np.ndarray) -> np.ndarray:
    """Today's per-period yields at the keys: an upward-sloping curve, 1.9% to 2.3%."""
    return 0.019 + 0.004 * (1 - np.exp(-keys / 15.0))


def _covariance(rng: np.random.Generator) -> np.ndarray:
    """(7 + 4) x (7 + 4): yields from level/slope/curvature, spreads from a credit factor."""
    tenor = KEYS / KEYS.max()
    loads_y = np.column_stack([np.full(len(KEYS), 1.0), 1 - tenor, 4 * tenor * (1 - tenor)])
    loads_y *= np.array([1.2e-3, 0.8e-3, 0.4e-3])
    credit = np.array([0.4, 0.6, 0.9, 1.4]) * 0.6e-3
    loads = np.zeros((len(KEYS) + len(RATINGS), 4))
    loads[: len(KEYS), :3] = loads_y
    loads[len(KEYS):, 3] = credit
    noise = rng.uniform(1.0, 2.0, size=len(loads)) * 1.5e-4
    return loads @ loads.T + np.diag(noise**2)


def make_sample(seed: int = SEED) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = len(MATURITIES)
    names = [f"S{i:02d}" for i in range(n)]
    ratings = [RATINGS[i // 2] for i in range(n)]
    key_yield = _curve(KEYS.astype(float))
    curve = np.interp(PERIODS, KEYS, key_yield)
    spread = SPREADS[[RATINGS.index(r) for r in ratings]]
    coupons = np.round(100 * (curve[np.array(MATURITIES) - 1] + spread) * 4) / 4  # near par
    cash = np.zeros((n, len(PERIODS)))
    for i, (m, c) in enumerate(zip(MATURITIES, coupons, strict=True)):
        cash[i, :m] = c
        cash[i, m - 1] += 100.0
    price = (cash * np.exp(-np.outer(spread, PERIODS) - PERIODS * curve)).sum(axis=1)
    target = rng.dirichlet(np.full(n, 4.0))
    cov = _covariance(rng)
    factors = [f"y_{k}" for k in KEYS] + [f"s_{r}" for r in RATINGS]
    today = np.concatenate([key_yield, SPREADS])
    mean = today + rng.normal(0.0, 1.0, size=len(today)) * np.sqrt(np.diag(cov)) * 0.5
    precision = np.linalg.inv(cov)
    precision = (precision + precision.T) / 2
    return {
        "bonds.csv": pd.DataFrame({
            "bond": names, "rating": ratings, "coupon_per_payment": coupons,
            "first_payment_period": 1, "payment_step_periods": 1,
            "maturity_period": MATURITIES, "price": price, "target_weight": target}),
        "cashflows.csv": pd.DataFrame(cash, index=pd.Index(names, name="bond"),
                                      columns=[str(t) for t in PERIODS]).reset_index(),
        "nominal_curve.csv": pd.DataFrame({"key_period": KEYS, "years": KEYS / 2,
                                           "yield_per_period": key_yield}),
        "nominal_spreads.csv": pd.DataFrame({"rating": RATINGS, "spread_per_period": SPREADS}),
        "factor_mean.csv": pd.DataFrame({"factor": factors, "mean_per_period": mean}),
        "factor_precision.csv": pd.DataFrame(precision, index=pd.Index(factors, name="factor"),
                                             columns=factors).reset_index(),
    }


def write_sample(folder: Path = OUT, seed: int = SEED) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in make_sample(seed).items():
        frame.to_csv(folder / name, index=False)


if __name__ == "__main__":
    write_sample()
    print(f"wrote {OUT}")
