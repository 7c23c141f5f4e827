"""Write a deterministic stand-in for the U.S. Treasury 2024 real yield curve CSV.

Reproduces the file the treasury notebook (``../shared/seeds/treasury_trading_notebook.txt``)
downloads from home.treasury.gov ("daily treasury real yield curve", 2024): header
``Date,5 YR,7 YR,10 YR,20 YR,30 YR``, MM/DD/YYYY dates, newest first, yields in percent.
The values are a seeded random walk, not market data; the oldest row (01/02/2024, the last
line) equals the notebook's printed yields exactly, so models reading ``row = last`` see
1.76, 1.75, 1.74, 1.84, 1.91. Run from anywhere: ``python scripts/make_treasury_sample.py``.
"""

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "models" / "data" / "real_yields_2024.csv"
HEADER = "Date,5 YR,7 YR,10 YR,20 YR,30 YR"
FIRST = np.array([1.76, 1.75, 1.74, 1.84, 1.91])  # 01/02/2024, as printed in the notebook
DAILY_STEP = 0.04  # percent; a typical daily move of 2024 real yields


def business_days_2024() -> np.ndarray:
    """Mon-Fri dates of 2024 from 01/02 (Jan 1 is a holiday), oldest first."""
    days = np.arange("2024-01-02", "2025-01-01", dtype="datetime64[D]")
    return days[np.is_busday(days)]


def yield_path(n_days: int, seed: int = 2024) -> np.ndarray:
    """Daily yields starting at FIRST: a random walk in the level plus per-tenor noise."""
    rng = np.random.default_rng(seed)
    # One shared walk moves the whole curve; the per-tenor noise is not accumulated, so the
    # curve keeps its 2024 shape instead of drifting into implausible inversions.
    level = np.cumsum(rng.normal(0.0, DAILY_STEP, size=(n_days, 1)), axis=0)
    noise = rng.normal(0.0, DAILY_STEP / 4, size=(n_days, FIRST.size))
    path = FIRST + (level - level[0]) + noise
    path[0] = FIRST  # the oldest row must match the notebook exactly
    return np.round(path, 2)


def main() -> None:
    days = business_days_2024()
    values = yield_path(days.size)
    lines = [HEADER]
    # The Treasury publishes newest first, so the oldest day ends up as the last line.
    for day, row in zip(days[::-1], values[::-1], strict=True):
        y, m, d = str(day).split("-")
        lines.append(f"{m}/{d}/{y}," + ",".join(f"{v:.2f}" for v in row))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT} ({days.size} rows)")


if __name__ == "__main__":
    main()
