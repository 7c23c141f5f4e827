"""The CDS rolling run as whole processes (issue 12: "CDS rolling >= 50x the seed's scipy
loop as whole processes").

    python benchmarks/bench_cds_processes.py [--repeat 5]

Not a test: a script run by hand. Three commands, each a fresh interpreter, interleaved
(the order alternates every repeat), medians and ranges of wall time:

* seed      the seed's monthly loop as its own script: pandas reads the CSVs, scipy's
            `minimize` per window, rows stored with `.loc` (the functions of
            tests/oracles/cds.py, copied here without their cvxpy import, as the seed has
            none). Written to a temporary file.
* saddle    `saddle solve models/cds_hedge.saddle --solver HIGHS --format csv`.
* import    `python -c "import cvxpy, dsp"`: what any cvxpy-based process pays first.

The ratio seed / saddle is the issue's figure; seed / import bounds what any process that
imports cvxpy can reach.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SEED = '''
import sys
import numpy as np
import pandas as pd
from scipy.optimize import minimize

DATA = sys.argv[1]
TICKERS = ["CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover"]
read = dict(index_col="date", parse_dates=["date"])
desk = pd.read_csv(DATA + "/desk_pnl.csv", **read)["pnl"]
spreads = pd.read_csv(DATA + "/spreads.csv", **read)
indices = pd.read_csv(DATA + "/indices.csv", index_col="index").loc[spreads.columns]
limits, coupon = dict(indices["cs01_limit"]), dict(indices["coupon_bp"])


def hedge_pnl(cds_df, cs01_vec):
    daily_pnl = pd.Series(0.0, index=cds_df.index)
    for i, t in enumerate(TICKERS):
        daily_pnl += cds_df[t].diff().fillna(0) * cs01_vec[i] * 0.01
    return daily_pnl


def objective(desk_p, cds, cs01_vec):
    days = len(desk_p)
    current = cds.iloc[0]
    pnl_sum = desk_p.sum() + hedge_pnl(cds, cs01_vec).sum()
    cost = sum(cs01_vec[i] * coupon[t] / 10000 * days / 252 for i, t in enumerate(TICKERS))
    roll = sum(cs01_vec[i] * current[t] * 0.2 * days / 252 * 0.0001
               for i, t in enumerate(TICKERS))
    return -(pnl_sum - cost - roll)


rows = pd.DataFrame(columns=TICKERS)
ends = desk.resample("ME").apply(lambda x: x.index[-1])
for end in ends:
    if (ends < end).any():
        mask = (desk.index > ends[ends < end].max()) & (desk.index <= end)
    else:
        mask = desk.index <= end
    d, c = desk[mask], spreads.loc[mask]
    result = minimize(lambda x: objective(d, c, x), x0=np.zeros(4),
                      bounds=[(0, limits[t]) for t in TICKERS])
    rows.loc[end] = result.x if result.success else np.zeros(4)
print(rows.astype(float).to_csv())
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    saddle = Path(sys.executable).with_name("saddle")
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed_cds.py"
        seed.write_text(SEED, encoding="utf-8")
        commands = {
            "seed": [sys.executable, str(seed), str(ROOT / "models" / "data" / "cds")],
            "saddle": [str(saddle), "solve", "models/cds_hedge.saddle", "--solver", "HIGHS",
                       "--format", "csv"],
            "import": [sys.executable, "-c", "import cvxpy, dsp"],
        }
        for command in commands.values():  # warm the file cache and the parser cache
            subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for k in range(args.repeat):
            for name in (list(commands) if k % 2 == 0 else list(reversed(commands))):
                started = time.perf_counter()
                subprocess.run(commands[name], cwd=ROOT, capture_output=True, check=True)
                times[name].append(time.perf_counter() - started)
    for name, values in times.items():
        print(f"{name:8s} {statistics.median(values):7.3f} s "
              f"[{min(values):.3f}-{max(values):.3f}]")
    ratios = [s / m for s, m in zip(times["seed"], times["saddle"], strict=True)]
    bound = [s / m for s, m in zip(times["seed"], times["import"], strict=True)]
    print(f"seed / saddle (per repeat): median {statistics.median(ratios):.2f} "
          f"[{min(ratios):.2f}-{max(ratios):.2f}]; target >= 50")
    print(f"seed / bare cvxpy import: median {statistics.median(bound):.2f}: no process "
          "that imports cvxpy can do better")
    return 0


if __name__ == "__main__":
    sys.exit(main())
