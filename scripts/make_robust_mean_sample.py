"""Write the sample data of the robust mean allocation to ``models/data/robust_mean/``.

Eight asset classes with plausible annual figures (not market data): volatilities fixed
by hand between 5% and 30%, expected returns of a risk-free 2.5% plus a Sharpe ratio near
0.3 times the volatility (with a little seeded noise), and correlations from a seeded
two-factor model (an equity factor and a rates/credit factor) plus idiosyncratic risk, so
the covariance is symmetric positive definite by construction.

Files (values written with Python's shortest round-trip repr):

* ``assets.csv``: columns ``asset,mean`` (annual expected return, e.g. 0.071 = 7.1%).
* ``covariance.csv``: the annual covariance matrix; first column ``asset``, then one
  column per asset, headed by its label.

`make_sample(n, seed)` draws an instance of any size the same way (the benchmark
``benchmarks/bench_robust_mean.py`` uses it for n = 5, 50, 500) and `write_sample` writes
it. Run from anywhere: ``python scripts/make_robust_mean_sample.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "models" / "data" / "robust_mean"
SEED = 7
RISK_FREE = 0.025
SHARPE = 0.3

# The sample's assets: label, annual volatility, equity loading, rates/credit loading.
ASSETS = [
    ("us_large_cap", 0.16, 0.90, 0.05),
    ("us_small_cap", 0.21, 0.85, 0.05),
    ("intl_developed", 0.18, 0.80, 0.05),
    ("emerging_markets", 0.25, 0.70, 0.10),
    ("us_treasuries", 0.05, -0.20, 0.85),
    ("ig_credit", 0.07, 0.30, 0.75),
    ("high_yield", 0.10, 0.60, 0.40),
    ("reits", 0.22, 0.65, 0.25),
]


def covariance(vol: np.ndarray, loadings: np.ndarray) -> np.ndarray:
    """vol_i vol_j corr_ij, with corr from the factor loadings plus idiosyncratic variance."""
    common = loadings @ loadings.T
    specific = np.clip(1.0 - np.diag(common), 0.05, None)  # at least 5% idiosyncratic
    scale = 1.0 / np.sqrt(np.diag(common) + specific)
    corr = (common + np.diag(specific)) * scale[:, None] * scale[None, :]
    cov = corr * vol[:, None] * vol[None, :]
    return (cov + cov.T) / 2  # exactly symmetric


def expected_returns(vol: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    sharpe = SHARPE + rng.normal(0.0, 0.05, size=vol.size)
    return np.round(RISK_FREE + sharpe * vol, 4)


def sample_8(seed: int = SEED) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The eight-asset sample: labels, annual means, annual covariance."""
    rng = np.random.default_rng(seed)
    labels = [a[0] for a in ASSETS]
    vol = np.array([a[1] for a in ASSETS])
    loadings = np.array([a[2:] for a in ASSETS]) + rng.normal(0.0, 0.03, size=(len(ASSETS), 2))
    return labels, expected_returns(vol, rng), covariance(vol, loadings)


def make_sample(n: int, seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """n assets drawn the same way: vols uniform in [5%, 30%], random two-factor loadings."""
    rng = np.random.default_rng(seed)
    labels = [f"a{k:04d}" for k in range(n)]
    vol = rng.uniform(0.05, 0.30, size=n)
    loadings = np.column_stack([rng.uniform(0.2, 0.9, size=n), rng.uniform(-0.3, 0.6, size=n)])
    return labels, expected_returns(vol, rng), covariance(vol, loadings)


def write_sample(folder: Path, labels: list[str], mean: np.ndarray, cov: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"asset": labels, "mean": mean}).to_csv(folder / "assets.csv", index=False)
    frame = pd.DataFrame(cov, index=pd.Index(labels, name="asset"), columns=labels)
    frame.to_csv(folder / "covariance.csv")


def main() -> None:
    labels, mean, cov = sample_8()
    assert np.linalg.eigvalsh(cov).min() > 0, "covariance not positive definite"
    write_sample(OUT, labels, mean, cov)
    vols = ", ".join(f"{v:.0%}" for v in np.sqrt(np.diag(cov)))
    print(f"wrote {OUT} ({len(labels)} assets; vols {vols}; "
          f"smallest eigenvalue {np.linalg.eigvalsh(cov).min():.2e})")


if __name__ == "__main__":
    main()
