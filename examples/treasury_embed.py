"""
Embedding Saddle: the treasury book with repo rates from a pandas Series
=========================================================================

Load ``models/treasury.saddle``, replace its repo curve with a Series (aligned by tenor
label, in any order), tighten the CVaR limit, solve, and print the weights next to the
haircut relaxation — the price of the minimum position size.
"""

from pathlib import Path

import pandas as pd

from compiler import compile_model, load

MODEL = Path(__file__).resolve().parents[1] / "models" / "treasury.saddle"


def main() -> pd.DataFrame:
    model = load(MODEL)
    # in %: repo is declared `in %`, and values from Python are in the declared unit
    repo = pd.Series({"30Y": 2.22, "20Y": 2.16, "10Y": 2.07, "7Y": 2.02, "5Y": 1.96})
    exact = compile_model(model, params={"repo": repo, "cvar_limit": 0.3}).solve()
    relaxed = compile_model(model, params={"repo": repo, "cvar_limit": 0.3,
                                           "min_weight": 0}).solve()
    table = pd.DataFrame({"exact (MIP)": exact.values["w"], "relaxed (LP)": relaxed.values["w"]})
    print(table.round(4).to_string())
    print(f"net carry: exact {exact.objective:.6f} $M, relaxed {relaxed.objective:.6f} $M")
    print(f"price of the haircut: {relaxed.objective - exact.objective:.6f} $M")
    print(f"binding: {', '.join(exact.binding())}; CVaR dual {exact.duals['tail_risk']:.4f}")
    return table


if __name__ == "__main__":
    main()
