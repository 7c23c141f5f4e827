"""The KO/PEP hedge ratio by least squares and robust to price noise, side by side.

Solves models/pairs_hedge.saddle twice from Python, once with the param `rho` (the relative
error each PEP price may carry) set to 0 (ordinary least squares) and once at the file's
value, and tabulates the hedge ratio and the spread's z-score bands (in dollars).

    python examples/pairs_hedge.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from compiler import compile_model, load

MODEL = Path(__file__).resolve().parents[1] / "models" / "pairs_hedge.saddle"
ROWS = ["beta", "alpha", "spread_mean", "spread_std", "entry_long", "exit_lower",
        "exit_upper", "entry_short"]


def main() -> pd.DataFrame:
    model = load(MODEL)
    fits = {"least squares": compile_model(model, params={"rho": 0}).solve(),
            "robust": compile_model(model).solve()}
    table = pd.DataFrame({name: [result.values[row] for row in ROWS]
                          for name, result in fits.items()}, index=ROWS, dtype=float)
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
    return table


if __name__ == "__main__":
    main()
