"""
Backtest: robust against nominal arbitrage allocation
=====================================================

``models/arbitrage_robust.saddle`` takes the worst expected returns in an ellipsoid around
the estimates; its closed form (stated in the model's header) is

    maximize  mu'x - kappa ||L'x||_2 - costs(x) - gamma x' cov x        (L L' = cov)

That model solves once from fixed estimates, and a model with uncertain quantities does not
rebalance yet (E901), so there is nothing to backtest in it as shipped. This example
writes the same closed form as a rolling model: mu and cov estimated on the trailing 250
days of (simulated) daily strategy returns, rebalanced monthly, trading costs charged
against the book held (``previous(x)``). kappa = 0 is the nominal allocation. Each book is
held over the next month and its realized P&L reported: the price and the benefit of
robustness out of sample.

The returns are simulated from the shipped means and covariance
(``models/data/arbitrage/``), with the true means drifting by regime, so estimates err.
"""

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from compiler import compile_model, loads

DATA = Path(__file__).resolve().parents[1] / "models" / "data" / "arbitrage"

MODEL = """model arbitrage_backtest "arbitrage_robust's closed form on trailing estimates"

set day = csv("returns.csv").date
set strategy = csv("strategies.csv").strategy

param hedge[strategy]  = csv("strategies.csv").hedge
param cap[strategy]    = csv("strategies.csv").cap
param trades[strategy] = csv("strategies.csv").trades
series r[day, strategy] = csv("returns.csv")          # daily returns

param trade_cost = 7.5bp
param max_gross = 2
param gamma = 2
param kappa = 1                                        # 0: the nominal allocation

variable x[strategy] >= 0 <= cap

rebalance every month on day

let dev = (r - mean(r, over = day)) @ x                # the book's daily deviations
let vol = norm2(dev) * sqrt(252 / count(day))          # ||L'x||, annualized
let costs = sum(trade_cost * trades * (1 + hedge) * abs(x - previous(x)))
let pnl = sum(r @ x) - costs

maximize utility:
    252 * mean(r @ x) - kappa * vol - gamma * 252 * sum(square(dev)) / count(day) - costs

subject to
    leverage: sum(x + hedge * x) <= max_gross
"""


def simulate(folder: Path, years: int = 6, seed: int = 3) -> None:
    strategies = pd.read_csv(DATA / "strategies.csv")
    cov = pd.read_csv(DATA / "covariance.csv", index_col="strategy").to_numpy()
    rng = np.random.default_rng(seed)
    days = 252 * years
    regimes = np.repeat(rng.normal(0, 0.06, (years * 2, len(strategies))), 126, axis=0)
    means = (strategies["mean"].to_numpy() + regimes) / 252
    shocks = rng.multivariate_normal(np.zeros(len(strategies)), cov / 252, days)
    dates = pd.bdate_range("2019-01-01", periods=days).strftime("%Y-%m-%d")
    frame = pd.DataFrame(means + shocks, index=dates, columns=strategies["strategy"])
    frame.index.name = "date"
    frame.to_csv(folder / "returns.csv")
    shutil.copy(DATA / "strategies.csv", folder / "strategies.csv")


def main() -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        simulate(folder)
        model = loads(MODEL, "arbitrage_backtest.saddle")
        runs = {name: compile_model(model, base_dir=folder, params={"kappa": kappa})
                .backtest(lookback=250, progress=False)
                for name, kappa in (("nominal", 0.0), ("robust", 1.0))}
    summary = pd.DataFrame({name: run.summary for name, run in runs.items()})
    rows = ["total_pnl", "annualized_return", "annualized_volatility", "sharpe",
            "max_drawdown", "hit_rate", "average_turnover"]
    print(f"{len(runs['robust'].periods)} monthly rebalances, 250-day lookback")
    print(summary.loc[rows].round(4).to_string())
    print(runs["robust"].notes[-1])
    return summary.loc[rows]


if __name__ == "__main__":
    main()
