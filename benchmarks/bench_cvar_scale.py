"""Scenario CVaR at scale: Saddle (method chosen by size) against the hand-written
Rockafellar-Uryasev LP with HiGHS and Clarabel, in one run.

    python benchmarks/bench_cvar_scale.py                      # quick: n=5 x m=10k,100k
    python benchmarks/bench_cvar_scale.py --n 5 --m 1000000
    python benchmarks/bench_cvar_scale.py --n 50 --m 100000 --timeout 300
    python benchmarks/bench_cvar_scale.py --n 5,50,2000 --m 10000,100000,1000000 --timeout 1800

The book: n assets, returns `shock @ (vol * w)` over m standard-normal scenarios
(`numpy.random.default_rng(7)`, as Saddle draws them), long only, fully invested, at most
max(0.2, 2/n) per asset, maximize the expected return subject to CVaR(95%) of the loss <=
the CVaR of the equal-weight book (so the limit binds). Each run is a child process with a
timeout; its peak memory is the child's max RSS. The hand RU LP is skipped (reported as such)
above --ru-max-numbers (m * n) and when it times out. Not a test: a script run by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

LEVEL = 0.95
METHODS = ("saddle", "ru-highs", "ru-highs-ipm", "ru-clarabel")  # also: ru-highs-pdlp


def book(n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """(scenario losses' factor R = shock * vol, mu, vol, cap, limit)."""
    rng = np.random.default_rng(7)
    shock = rng.normal(0.0, 1.0, size=(m, n))
    position = np.arange(1, n + 1) / n
    vol, mu = 0.01 + 0.02 * position, 0.0005 + 0.001 * position
    cap = max(0.2, 2.0 / n)
    losses = -(shock @ (vol / n))  # the equal-weight book
    tail = np.sort(losses)[::-1][:int(round((1 - LEVEL) * m))]
    return shock, mu, vol, cap, float(tail.mean())


def saddle_text(n: int, m: int, cap: float, limit: float) -> str:
    return f"""model book "CVaR at scale"
set asset = 1..{n}
param vol[asset] = 0.01 + 0.02 * asset / {n}
param mu[asset] = 0.0005 + 0.001 * asset / {n}
param limit = {limit!r}
scenarios shock[{m}, asset] ~ normal(0, 1, seed = 7)
variable w[asset]
let pnl = shock @ (vol * w)
maximize ret: sum(mu * w)
subject to
    budget: sum(w) == 1
    long: w >= 0
    cap: w <= {cap!r}
    tail: cvar({LEVEL}, -pnl) <= limit
"""


def run_saddle(n: int, m: int, cap: float, limit: float) -> dict:
    from compiler import compile_model, loads

    folder = tempfile.mkdtemp()
    path = Path(folder) / "book.saddle"
    path.write_text(saddle_text(n, m, cap, limit))
    started = time.perf_counter()
    compiled = compile_model(loads(path.read_text(), str(path)), base_dir=folder)
    compiled_at = time.perf_counter()
    result = compiled.solve()
    note = next((x for x in result.notes if "cutting planes" in x or "Rockafellar" in x), "")
    method = "RU LP" if "cutting planes" not in note or "solved as" in note else \
        "cuts+generation" if "generation" in note else \
        "cuts+band" if "band cut" in note else "cuts"
    iterations = note.split(" iterations")[0].rsplit(" ", 1)[-1] if method != "RU LP" else ""
    return {"status": result.status, "objective": result.objective,
            "solve": result.solve_time, "total": time.perf_counter() - started,
            "compile": compiled_at - started, "method": method, "iterations": iterations,
            "gap": note.split("final relative gap ")[-1].split(" ")[0] if note else ""}


def run_ru(n: int, m: int, cap: float, limit: float, solver: str) -> dict:
    import cvxpy as cp

    shock, mu, vol, _, _ = book(n, m)
    factor = shock * vol  # losses = -factor @ w
    w, alpha, excess = cp.Variable(n), cp.Variable(), cp.Variable(m, nonneg=True)
    problem = cp.Problem(cp.Maximize(mu @ w), [
        cp.sum(w) == 1, w >= 0, w <= cap, excess >= -factor @ w - alpha,
        alpha + cp.sum(excess) / ((1 - LEVEL) * m) <= limit])
    options = {"HIGHS": {}, "HIGHS-IPM": {"highs_options": {"solver": "ipm"}},
               "HIGHS-PDLP": {"highs_options": {"solver": "pdlp"}}, "CLARABEL": {}}[solver]
    started = time.perf_counter()
    problem.solve(solver=solver.split("-")[0], **options)
    return {"status": problem.status, "objective": problem.value,
            "solve": problem.solver_stats.solve_time, "total": time.perf_counter() - started,
            "method": solver.lower(), "iterations": str(problem.solver_stats.num_iters or "")}


def child(method: str, n: int, m: int, cap: float, limit: float) -> None:
    if method == "saddle":
        row = run_saddle(n, m, cap, limit)
    else:
        row = run_ru(n, m, cap, limit, method[3:].upper())
    row["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(row, default=float))


def measure(method: str, n: int, m: int, cap: float, limit: float, timeout: float) -> dict:
    command = [sys.executable, __file__, "--child", method, str(n), str(m), repr(cap),
               repr(limit)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    except subprocess.TimeoutExpired:
        return {"status": f"timeout {timeout:.0f}s"}
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        return {"status": "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:60]}
    return json.loads(line[7:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", default="5", help="assets, comma separated (5,50,2000)")
    parser.add_argument("--m", default="10000,100000", help="scenarios, comma separated")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    parser.add_argument("--ru-max-numbers", type=float, default=6e6,
                        help="skip the hand RU LP above this m * n")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        method, n, m, cap, limit = args.child
        child(method, int(n), int(m), float(cap), float(limit))
        return
    print(f"{'n':>5} {'m':>9} {'run':<13} {'status':<16} {'solve s':>9} {'total s':>9} "
          f"{'peak MB':>8} {'method':<12} {'iters':>6} {'rel diff':>9}")
    for n in (int(x) for x in args.n.split(",")):
        for m in (int(x) for x in args.m.split(",")):
            _, _, _, cap, limit = book(n, m)
            rows = {}
            for method in args.methods.split(","):
                if method != "saddle" and n * m > args.ru_max_numbers:
                    rows[method] = {"status": "skipped (size)"}
                    continue
                rows[method] = measure(method, n, m, cap, limit, args.timeout)
            exact = [r["objective"] for k, r in rows.items()
                     if k in ("ru-highs", "ru-highs-ipm") and r.get("status") == "optimal"]
            if not exact and rows.get("saddle", {}).get("status") == "optimal":
                exact = [rows["saddle"]["objective"]]  # the RU LP did not solve: vs Saddle
            reference = exact[0] if exact else None
            for method, row in rows.items():
                diff = "" if reference is None or row.get("objective") is None else \
                    f"{abs(row['objective'] - reference) / max(abs(reference), 1e-12):.1e}"
                print(f"{n:>5} {m:>9} {method:<13} {row.get('status', ''):<16} "
                      f"{row.get('solve', float('nan')):>9.3f} "
                      f"{row.get('total', float('nan')):>9.3f} "
                      f"{row.get('peak_mb', float('nan')):>8.0f} {row.get('method', ''):<12} "
                      f"{row.get('iterations', ''):>6} {diff:>9}", flush=True)


if __name__ == "__main__":
    main()
