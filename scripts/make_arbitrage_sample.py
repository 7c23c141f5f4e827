"""Write the sample data of the multi-asset arbitrage models to ``models/data/arbitrage/``.

The figures are anchored on the seed article ``../shared/seeds/multi_asset_arbitrage_article.txt``
(Balyasny multi-asset arbitrage); where the article gives a range the midpoint is used, and
where it gives nothing the value is a plausible hand-set one (said below). Not market data.
Deterministic: no randomness except the merger scenarios, drawn with
``numpy.random.default_rng(SEED)``.

Files (values written with Python's shortest round-trip repr):

* ``strategies.csv``: ``strategy,sharpe,vol,mean,beta,hedge,cap,trades,borrow`` for the five
  strategies of the article's table "Institutional Sharpe / Retail Achievable Sharpe".
  ``sharpe`` is the midpoint of the *retail achievable* range (basis 1.5-2.0 -> 1.75, pairs
  1.2-1.8 -> 1.5, convertible 0.8-1.2 -> 1.0, cross-asset 1.0-1.5 -> 1.25, merger 0.8-1.2
  -> 1.0); ``vol`` (annual, per $ of long leg) is hand-set; ``mean = sharpe * vol`` (annual
  excess return per $ of long leg). ``hedge`` is the dollars of short leg per $ of long leg,
  from the article's own trades: basis $2.42M ES short vs $2.40M SPY long, pairs $65k KO
  short vs $60.95k PEP long, convertible $90k TSLA short vs $100k bonds, cross-asset $100k
  short (SPY + TLT) vs $100k T-bills, merger: half the book in stock deals whose acquirer is
  shorted 1:1 (the article's own example is all-cash, hedge 0), so 0.5. ``beta`` (residual
  equity beta per $ of long leg) is hand-set: small for the hedged trades, negative for the
  cross-asset trade (short SPY), positive for merger arb (deal breaks cluster in sell-offs).
  ``cap`` bounds the long leg per strategy (fraction of capital); ``trades`` is trades per
  year: basis 10 and pairs 5 from the article's backtests (47 and 23 trades over
  2020-2025), convertible 4 (entry and "rehedged 3 times"), cross-asset 2 and merger 1
  (holding periods "3-12 months" and "3-18 months"); ``borrow`` is the annual fee on the short leg
  (article: hard-to-borrow "5-20% annually retail vs 1-3% institutional"; 0 for a futures
  short).
* ``correlation.csv``: the 5x5 correlation matrix (hand-set, positive definite);
  ``covariance.csv``: vol_i vol_j corr_ij; ``factor.csv``: the *transpose* of its lower
  Cholesky factor L (L L' = covariance), rows headed by ``strategy2`` labels, so that
  ``z[draw, strategy2] @ factor[strategy2, strategy]`` has covariance ``covariance``.
* ``basis_pairs.csv``: four ETF/futures pairs on March 16, 2020 (the article's example day):
  ETF price, futures price, index points per ETF share (``ratio``), contract multiplier ($ per
  index point), days to expiry, financing rate, dividend yield, futures initial margin per
  contract ($) and a per-pair contract limit. SPY/ES is the article's example (SPY $240.00,
  ES 2,420, 3 days to expiry); the others are hand-set with dislocations inside and outside
  the article's 0.5% threshold, one of them negative (ETF rich).
* ``deals.csv``: five announced deals: price, offer, break price (where the target falls if
  the deal breaks), probability of closing, months to close, per-deal cap. MSFT/ATVI is the
  article's example ($82, $95 offer, break $60-65 -> 62.5, 21 months; the article's
  "probability analysis shows >65% deal success" -> 0.75); the others are hand-set.
* ``merger_scenarios.csv``: ``draw`` (1..N) then one column per deal: the holding-period
  return per $ invested in each deal in each scenario. A deal closes (return offer/price - 1)
  or breaks (break/price - 1); breaks are correlated through one common regulatory/market
  factor (a Gaussian copula, correlation RHO), so a bad scenario breaks several deals at once.

Run from anywhere: ``python scripts/make_arbitrage_sample.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

OUT = Path(__file__).resolve().parents[1] / "models" / "data" / "arbitrage"
SEED = 2025
DRAWS = 2000
RHO = 0.4  # correlation of the deals' latent break variables

# strategy, retail Sharpe (midpoint), vol, beta, hedge, cap, trades/year, borrow fee
STRATEGIES = [
    ("basis", 1.75, 0.04, 0.02, 2.42 / 2.40, 0.8, 10, 0.0),
    ("pairs", 1.50, 0.08, 0.05, 65.0 / 60.95, 0.6, 5, 0.02),
    ("convertible", 1.00, 0.10, 0.20, 0.90, 0.5, 4, 0.10),
    ("cross_asset", 1.25, 0.12, -0.35, 1.00, 0.5, 2, 0.005),
    ("merger", 1.00, 0.09, 0.25, 0.50, 0.5, 1, 0.01),
]

CORRELATION = np.array([
    [1.00, 0.10, 0.15, -0.05, 0.10],
    [0.10, 1.00, 0.20, 0.00, 0.15],
    [0.15, 0.20, 1.00, -0.10, 0.35],
    [-0.05, 0.00, -0.10, 1.00, -0.15],
    [0.10, 0.15, 0.35, -0.15, 1.00],
])

# pair, etf, futures, ratio (index points per ETF share), multiplier ($/point), days,
# rate, dividend yield, initial margin ($/contract), max contracts
BASIS_PAIRS = [
    ("SPY/ES", 240.00, 2420.0, 10.0, 50.0, 3, 0.0025, 0.0200, 12000.0, 100),
    ("QQQ/NQ", 170.00, 6975.0, 41.0, 20.0, 3, 0.0025, 0.0080, 15000.0, 100),
    ("IWM/RTY", 106.00, 1053.0, 10.0, 50.0, 3, 0.0025, 0.0170, 7000.0, 100),
    ("DIA/YM", 200.00, 20080.0, 100.0, 5.0, 3, 0.0025, 0.0230, 8000.0, 100),
]

# deal, price, offer, break price, probability of closing, months to close, cap
DEALS = [
    ("ATVI", 82.00, 95.00, 62.50, 0.75, 21, 0.25),
    ("deal_b", 47.10, 50.00, 38.00, 0.90, 6, 0.25),
    ("deal_c", 23.40, 26.00, 17.50, 0.80, 12, 0.25),
    ("deal_d", 118.00, 125.00, 96.00, 0.92, 4, 0.25),
    ("deal_e", 61.00, 72.00, 44.00, 0.65, 15, 0.25),
]


def strategies() -> pd.DataFrame:
    frame = pd.DataFrame(STRATEGIES, columns=["strategy", "sharpe", "vol", "beta", "hedge",
                                              "cap", "trades", "borrow"])
    frame.insert(3, "mean", frame["sharpe"] * frame["vol"])
    return frame


def covariance(frame: pd.DataFrame) -> np.ndarray:
    vol = frame["vol"].to_numpy()
    cov = CORRELATION * vol[:, None] * vol[None, :]
    return (cov + cov.T) / 2


def merger_scenarios(deals: pd.DataFrame, draws: int = DRAWS, seed: int = SEED) -> np.ndarray:
    """Holding-period returns (draws x deals): close or break, correlated breaks."""
    rng = np.random.default_rng(seed)
    common = rng.standard_normal((draws, 1))
    own = rng.standard_normal((draws, len(deals)))
    latent = np.sqrt(RHO) * common + np.sqrt(1 - RHO) * own
    breaks = latent < stats.norm.ppf(1 - deals["p_close"].to_numpy())[None, :]
    up = (deals["offer"] / deals["price"] - 1).to_numpy()
    down = (deals["break_price"] / deals["price"] - 1).to_numpy()
    return np.where(breaks, down[None, :], up[None, :])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    frame = strategies()
    labels = list(frame["strategy"])
    assert np.linalg.eigvalsh(CORRELATION).min() > 0, "correlation not positive definite"
    frame.to_csv(OUT / "strategies.csv", index=False)
    cov = covariance(frame)
    pd.DataFrame(CORRELATION, index=pd.Index(labels, name="strategy"),
                 columns=labels).to_csv(OUT / "correlation.csv")
    pd.DataFrame(cov, index=pd.Index(labels, name="strategy"),
                 columns=labels).to_csv(OUT / "covariance.csv")
    lower = np.linalg.cholesky(cov)
    pd.DataFrame(lower.T, index=pd.Index(labels, name="strategy2"),
                 columns=labels).to_csv(OUT / "factor.csv")

    pairs = pd.DataFrame(BASIS_PAIRS, columns=["pair", "etf", "futures", "ratio", "multiplier",
                                               "days", "rate", "dividend", "margin",
                                               "max_contracts"])
    pairs.to_csv(OUT / "basis_pairs.csv", index=False)

    deals = pd.DataFrame(DEALS, columns=["deal", "price", "offer", "break_price", "p_close",
                                         "months", "cap"])
    deals.to_csv(OUT / "deals.csv", index=False)
    returns = merger_scenarios(deals)
    scen = pd.DataFrame(returns, columns=deals["deal"],
                        index=pd.Index(range(1, DRAWS + 1), name="draw"))
    scen.to_csv(OUT / "merger_scenarios.csv")

    fair = pairs["etf"] * (pairs["rate"] - pairs["dividend"]) * pairs["days"] / 365
    dislocation = (pairs["futures"] / pairs["ratio"] - pairs["etf"] - fair) / pairs["etf"]
    print(f"wrote {OUT}: 5 strategies (means {', '.join(f'{m:.1%}' for m in frame['mean'])}), "
          f"{len(pairs)} basis pairs (dislocations "
          f"{', '.join(f'{d:+.2%}' for d in dislocation)}), {len(deals)} deals, "
          f"{DRAWS} merger scenarios (break rates "
          f"{', '.join(f'{b:.0%}' for b in (returns < 0).mean(axis=0))})")


if __name__ == "__main__":
    main()
