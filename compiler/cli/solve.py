"""`saddle solve FILE`: solve a model (once, per window, or over a sweep) and report by name."""

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
    engine_of,
    model_options,
    parse_params,
    run_options,
    write,
)

NAME = "solve"
HELP = "solve a model and report the answer by name"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    model_options(parser)
    run_options(parser)
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.add_argument("--output", metavar="PATH", help="write the result here, not stdout")
    parser.add_argument("--risk", action="store_true",
                        help="add the positions' DV01, key-rate DV01 ladder and CS01 ladder "
                             "(params computed by dv01, key_rate_durations, cs01)")


def run(args: argparse.Namespace) -> int:
    compiled = compile_args(args)
    check_solver(args.solver)
    engine = engine_of(args)
    rolling = compiled.backend == "rolling"
    if args.risk and (args.sweep is not None or rolling):
        raise UsageError("--risk reports one solve's positions; a rolling run or a sweep "
                         "has one per window or point: solve one on its own")
    if args.sweep is not None:
        result: Any = sweep_command(args, engine)
        table_text = result.table_text()
    elif rolling:
        result = compiled.solve(solver=args.solver, strategy=args.strategy, engine=engine)
        table_text = result.table_text()
    else:
        result = compiled.solve(solver=args.solver)
        if args.risk and result.status.startswith("optimal"):
            from compiler.report.risk import risk_report

            result.risk = risk_report(compiled, result)
        table_text = result.table()
    if args.format == "json":
        text = result.to_json()
    elif args.format == "csv":
        text = result.to_frame().to_csv(index=False).rstrip("\n")
        diagnosis = getattr(result, "diagnosis", None)
        if diagnosis is not None:  # infeasible or unbounded: said beside the CSV, not in it
            print("\n".join(diagnosis.lines()), file=sys.stderr)
    else:
        text = table_text
    write(text, args.output)
    return EXIT_OK if result.optimal else EXIT_NOT_OPTIMAL


def sweep_command(args: argparse.Namespace, engine: Any, nominal: bool = False) -> Any:
    """The --sweep of a command line, run point by point on `engine`."""
    from compiler.pipeline import compile_model
    from compiler.rolling.engines import Job
    from compiler.rolling.sweeps import parse_sweep, sweep_job

    try:
        name, values = parse_sweep(args.sweep)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    job = Job.of_command(compile_model, args, parse_params(args.param))
    return sweep_job(job, name, values, engine, nominal=nominal)
