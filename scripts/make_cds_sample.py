"""Write the sample data of the CDS hedge model to ``models/data/cds/``.

Reproduces the generator of the seed script ``../shared/seeds/cds_hedge_script.txt``
exactly: ``np.random.seed(42)``, daily dates 2021-01-01..2025-01-01, the desk P&L
(normal(0, 0.01), $M) drawn first, then one normal(100, 10) spread series (bp) per index
in the order CDX IG, CDX HY, iTraxx Main, iTraxx Xover. Values are written with Python's
shortest round-trip repr, so reading them back gives bit-identical floats. Also writes
``indices.csv`` (CS01 limit in $M and coupon in bp per index, as in the seed).
Run from anywhere: ``python scripts/make_cds_sample.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "models" / "data" / "cds"
TICKERS = ["CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover"]
CS01_LIMITS = [0.25, 0.10, 0.25, 0.10]  # $M
COUPONS = [100, 500, 100, 500]  # bp/year


def seed_sample() -> tuple[pd.Series, pd.DataFrame]:
    """The seed's desk P&L and spreads, drawn in the seed's order."""
    np.random.seed(42)
    dates = pd.date_range("2021-01-01", "2025-01-01", freq="D")
    desk_pnl = pd.Series(np.random.normal(0, 0.01, len(dates)), index=dates)
    spreads = pd.DataFrame({t: np.random.normal(100, 10, len(dates)) for t in TICKERS}, index=dates)
    return desk_pnl, spreads


def main() -> None:
    desk_pnl, spreads = seed_sample()
    OUT.mkdir(parents=True, exist_ok=True)
    desk_pnl.rename("pnl").to_csv(OUT / "desk_pnl.csv", index_label="date", date_format="%Y-%m-%d")
    spreads.to_csv(OUT / "spreads.csv", index_label="date", date_format="%Y-%m-%d")
    indices = pd.DataFrame({"index": TICKERS, "cs01_limit": CS01_LIMITS, "coupon_bp": COUPONS})
    indices.to_csv(OUT / "indices.csv", index=False)
    print(f"wrote {OUT} ({len(desk_pnl)} days)")


if __name__ == "__main__":
    main()
