"""Write the sample data of the pairs-trading hedge model to ``models/data/pairs/``.

A cointegrated pair of daily closing prices shaped on the seed article's Coca-Cola vs. Pepsi
example (``../shared/seeds/multi_asset_arbitrage_article.txt``, "Statistical Arbitrage &
Pairs Trading"): "Hedge ratio: 1.15", "Mean spread: $2.50 (KO - 1.15xPEP)", "Std dev of
spread: $1.20", "PEP flat at $53", "Correlation: 0.85", and "Reversion typically occurs
within 2-4 weeks". Simulated, not market data:

* PEP is a random walk in dollars from $53 with a daily standard deviation of $0.55 (about
  1% a day) and no drift;
* the spread e = KO - 2.50 - 1.15 PEP is a stationary AR(1), e_t = phi e_(t-1) + eta_t, with
  a half-life of ten trading days (two weeks: phi = 0.5 ** (1 / 10)) and a stationary
  standard deviation of $1.20, started in its stationary law;
* KO = 2.50 + 1.15 PEP + e. The daily price changes of the two are then correlated about
  0.8 (the article's 0.85).

Prices are rounded to the cent. The dates are 500 business days from 2023-01-02.

File: ``prices.csv`` with columns ``date,KO,PEP`` (dollars per share).

Deterministic: ``numpy.random.default_rng(SEED)``. Over 500 days the OLS hedge ratio of such
a pair scatters by about +-0.08 around 1.15 from seed to seed (the spread is slow, so 500 days
hold only some 25 half-lives); SEED is one whose fit lands near the article's figures
(1.146, $2.53, $1.25). Run from anywhere:
``python scripts/make_pairs_sample.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "models" / "data" / "pairs"
SEED = 26  # one whose OLS fit lands near the article's 1.15 / $2.50 / $1.20 (docstring)
DAYS = 500
START = "2023-01-02"

HEDGE_RATIO = 1.15      # KO per PEP
MEAN_SPREAD = 2.50      # $
SPREAD_STD = 1.20       # $, the spread's stationary standard deviation
HALF_LIFE = 10          # trading days
PEP_START = 53.0        # $
PEP_DAILY_STD = 0.55    # $ per day


def simulate(days: int = DAYS, seed: int = SEED) -> pd.DataFrame:
    """The pair's closing prices, indexed by date: columns KO and PEP."""
    rng = np.random.default_rng(seed)
    pep = PEP_START + np.concatenate([[0.0], np.cumsum(rng.normal(0.0, PEP_DAILY_STD,
                                                                  days - 1))])
    phi = 0.5 ** (1.0 / HALF_LIFE)
    shocks = rng.normal(0.0, SPREAD_STD * np.sqrt(1.0 - phi**2), days)
    spread = np.empty(days)
    spread[0] = rng.normal(0.0, SPREAD_STD)  # the stationary law
    for t in range(1, days):
        spread[t] = phi * spread[t - 1] + shocks[t]
    ko = MEAN_SPREAD + HEDGE_RATIO * pep + spread
    dates = pd.bdate_range(START, periods=days)
    return pd.DataFrame({"KO": np.round(ko, 2), "PEP": np.round(pep, 2)},
                        index=pd.Index(dates.strftime("%Y-%m-%d"), name="date"))


def summary(prices: pd.DataFrame) -> str:
    """The OLS fit on the written prices and the figures the article quotes."""
    x, y = prices["PEP"].to_numpy(), prices["KO"].to_numpy()
    design = np.column_stack([np.ones_like(x), x])
    (alpha, beta), *_ = np.linalg.lstsq(design, y, rcond=None)
    spread = y - beta * x
    residual = spread - alpha
    phi = np.polyfit(residual[:-1], residual[1:], 1)[0]
    corr = np.corrcoef(np.diff(x), np.diff(y))[0, 1]
    return (f"OLS hedge ratio {beta:.4f}, spread mean ${spread.mean():.2f}, "
            f"std ${spread.std(ddof=1):.2f}; residual AR(1) {phi:.3f} "
            f"(half-life {np.log(0.5) / np.log(phi):.1f} days); "
            f"correlation of daily changes {corr:.2f}; PEP ${x.min():.2f}-${x.max():.2f}")


def main() -> None:
    prices = simulate()
    OUT.mkdir(parents=True, exist_ok=True)
    prices.to_csv(OUT / "prices.csv")
    print(f"wrote {OUT / 'prices.csv'} ({len(prices)} days)\n{summary(prices)}")


if __name__ == "__main__":
    main()
