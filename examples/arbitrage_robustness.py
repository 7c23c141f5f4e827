"""
Arbitrage allocation with and without robustness
================================================

Solve ``models/arbitrage_allocation.saddle`` (estimated expected returns taken at face
value) and ``models/arbitrage_robust.saddle`` (the adversary picks the worst expected
returns in an ellipsoid around the estimates), and compare the allocations and what the
robust allocation guarantees.
"""

from pathlib import Path

import pandas as pd

from compiler import compile_model, load

MODELS = Path(__file__).resolve().parents[1] / "models"


def main() -> pd.DataFrame:
    nominal = compile_model(load(MODELS / "arbitrage_allocation.saddle")).solve()
    robust = compile_model(load(MODELS / "arbitrage_robust.saddle")).solve()
    table = pd.DataFrame({"nominal": nominal.values["x"], "robust": robust.values["x"]})
    print((table.round(3) + 0.0).to_string())  # + 0.0: no "-0.000"
    print(f"\nnominal utility {nominal.objective:.5f}; robust (worst-case) utility "
          f"{robust.objective:.5f} via the {robust.backend} backend")
    worst = robust.worst_case["objective"]
    print("the adversary's expected returns:")
    print(pd.concat(worst, axis=1).round(4).to_string())
    return table


if __name__ == "__main__":
    main()
