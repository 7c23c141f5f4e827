"""`saddle backtest FILE`: decide at each rebalance date, hold over the next period,
realize the model's own P&L there, carry the book (`previous(w)`); a row per period and a
summary (compiler/rolling/backtest.py, compiler/rolling/backtest_report.py).

    saddle backtest models/cds_hedge.saddle --every month
    saddle backtest book.saddle --lookback "250 days" --benchmark equal.saddle --plot pnl.png
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from compiler.cli.common import (
    EXIT_NOT_OPTIMAL,
    EXIT_OK,
    UsageError,
    check_solver,
    compile_args,
    data_folder,
    model_options,
    parse_params,
    read_model,
    write,
)

NAME = "backtest"
HELP = "backtest a rolling model: decide, hold over the next period, realize its P&L"


def add_arguments(sub: argparse.ArgumentParser) -> None:
    model_options(sub)
    sub.add_argument("--every", metavar="PERIOD",
                     help="rebalance every month, quarter, year, week or 'N days' (default: "
                          "the model's `rebalance every ...`)")
    sub.add_argument("--lookback", metavar="'N days'",
                     help="estimate on the last N labels of the time set up to each "
                          "rebalance date (default: the rebalancing window itself)")
    sub.add_argument("--pnl", metavar="NAME",
                     help="the let whose value over the holding period is the realized P&L "
                          "(default: the let `pnl` if any, else the objective)")
    sub.add_argument("--costs", metavar="NAME",
                     help="a let reported as each period's costs (default: the let `costs` "
                          "if any)")
    sub.add_argument("--initial", action="append", default=[], metavar="NAME=VALUE",
                     help="the book held before the first period, e.g. w=0 or "
                          "w=[0.5, 0.5] (default: previous(w, initial = ...), else flat); "
                          "repeatable")
    sub.add_argument("--benchmark", metavar="FILE",
                     help="another model backtested on the same dates; its P&L and the "
                          "active P&L are reported beside yours")
    sub.add_argument("--solver", help="CLARABEL, SCS, OSQP, HIGHS, ... (default: chosen by "
                                      "problem class)")
    sub.add_argument("--format", choices=("table", "json", "csv"), default="table")
    sub.add_argument("--output", "-o", metavar="PATH", help="write the report here")
    sub.add_argument("--plot", metavar="PATH",
                     help="draw the cumulative P&L to an image (.png, .svg, .pdf; needs "
                          "matplotlib)")


def lookback_rows(text: str | None) -> int | None:
    """`250 days`, `250days` or `250`: a count of the time set's labels."""
    if text is None:
        return None
    words = text.replace("days", " days").replace("day", " day").split()
    if words and words[0].isdigit() and int(words[0]) > 0 and (
            len(words) == 1 or (len(words) == 2 and words[1] in ("day", "days"))):
        return int(words[0])
    raise UsageError(f"--lookback '{text}': give a number of days, e.g. --lookback "
                     f"'250 days'")


def _initial(pairs: list[str]) -> dict[str, Any]:
    values = parse_params(pairs)
    return {name: getattr(value, "value", value) for name, value in values.items()}


def _backtest(compiled: Any, args: argparse.Namespace, what: str, **names: Any) -> Any:
    from compiler.rolling.backtest import Backtest
    from compiler.rolling.backtest_periods import BacktestError

    if getattr(compiled, "backend", None) != "rolling":
        raise UsageError(f"{what} is solved once: a backtest needs rebalancing; add "
                         "`rebalance every month on DAY` to the model, or pass --every month")
    try:
        return Backtest(compiled, lookback_rows(args.lookback), **names).run(
            solver=args.solver)
    except BacktestError as exc:
        raise UsageError(f"{what}: {exc}") from None


def run(args: argparse.Namespace) -> int:
    from compiler.pipeline import compile_model  # cvxpy: only when the command runs
    from compiler.report.plot import PlotUnavailable

    lookback_rows(args.lookback)  # a usage error before any work
    check_solver(args.solver)
    compiled = compile_args(args)
    result = _backtest(compiled, args, f"model '{compiled.model.name}'", pnl=args.pnl,
                       costs=args.costs, initial=_initial(args.initial))
    if args.benchmark is not None:
        other = compile_model(read_model(args.benchmark), data_dir=data_folder(args.data),
                              every=args.every, backend=args.backend)
        result = result.against(_backtest(other, args, f"benchmark '{args.benchmark}'"))
    if args.format == "json":
        text = result.to_json()
    elif args.format == "csv":
        text = result.to_csv()
    else:
        text = result.table_text()
    write(text, args.output)
    if args.plot is not None:
        try:
            result.plot(args.plot)
        except PlotUnavailable as exc:
            raise UsageError(str(exc)) from None
    if not result.optimal:
        print(f"saddle: some periods were not solved to optimality ({result.status}); "
              "their book was held", file=sys.stderr)
        return EXIT_NOT_OPTIMAL
    return EXIT_OK
