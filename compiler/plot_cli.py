"""`saddle plot FILE --kind KIND --output out.png`: solve what the kind needs, then draw it.

    allocation   a rolling run (the model's `rebalance every ...`, or --every)
    worst-case   one robust solve: --of an uncertain quantity or a let indexed by one set
    robustness   a sweep of a robust model with each point's nominal view (--sweep)
    frontier     a sweep (--sweep), --x and --y the objective, the param or scalar lets

`compiler/cli.py` owns the command line and its exit codes; this module adds the command.
A mismatch between the kind and the model is a `PlotError` (cli.py: exit 2).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from compiler.engines import Engine, Job
from compiler.nominal import is_robust
from compiler.plot import plot
from compiler.plot_data import KINDS, PlotError
from compiler.rolling import RollingModel
from compiler.solver_choice import installed_solvers
from compiler.sweep import parse_sweep, sweep_job

EXIT_OK, EXIT_NOT_OPTIMAL = 0, 4  # as in compiler/cli.py


def add_plot_parser(commands: Any, data_options: Callable[[argparse.ArgumentParser], None]
                    ) -> None:
    """The `plot` subcommand, with the model options every command takes."""
    sub = commands.add_parser("plot", help="solve a model and draw its answer to a file")
    data_options(sub)
    sub.add_argument("--kind", required=True, choices=KINDS,
                     help="allocation (a rolling run), worst-case (a robust model), "
                          "robustness or frontier (a --sweep)")
    sub.add_argument("--output", "-o", required=True, metavar="PATH",
                     help="the image file; its suffix picks the format (.png, .svg, .pdf)")
    sub.add_argument("--of", metavar="NAME",
                     help="allocation: the decision; worst-case: the uncertain quantity or "
                          "a let indexed by one set (default: the first uncertain quantity)")
    sub.add_argument("--at", metavar="NAME",
                     help="worst-case: whose worst case, the objective's or a robust "
                          "constraint's (default: the objective's, else the one "
                          "constraint's that has it)")
    sub.add_argument("--x", metavar="NAME", help="frontier: the x axis (default: the param)")
    sub.add_argument("--y", metavar="NAME",
                     help="frontier: the y axis (default: the objective)")
    style = sub.add_mutually_exclusive_group()
    style.add_argument("--stacked", dest="stacked", action="store_true", default=None,
                       help="allocation: stacked areas (default when no position is negative)")
    style.add_argument("--lines", dest="stacked", action="store_false",
                       help="allocation: one line per label")
    sub.add_argument("--title", help="replace the plot's title")
    sub.add_argument("--solver", help="as for `saddle solve`")
    sub.add_argument("--every", metavar="PERIOD",
                     help="allocation: re-optimize per window: month, quarter, year, week or "
                          "'N days'")
    sub.add_argument("--strategy", choices=("auto", "vectorized", "stack", "loop"),
                     default="auto", help="rolling runs: as for `saddle solve`")
    sub.add_argument("--sweep", metavar="NAME=START:STOP:COUNT",
                     help="robustness, frontier: the param and its grid (or NAME=a,b,c)")
    sub.add_argument("--workers", type=int, default=1, metavar="N",
                     help="run sweep points and looped windows on N local processes")
    sub.add_argument("--engine", choices=("local", "dask"), default="local")
    sub.add_argument("--scheduler", metavar="ADDRESS", help="the Dask scheduler")


def plot_command(args: argparse.Namespace, compiled: Any, engine: Engine,
                 params: dict[str, Any]) -> int:
    """Solve `compiled` (compiled with `params`, the --param values) as `args.kind` needs,
    draw it to `args.output`; returns the exit code."""
    if args.solver and args.solver.upper() not in installed_solvers():
        raise PlotError(f"solver '{args.solver}' is not installed; installed: "
                        f"{', '.join(sorted(installed_solvers()))}")
    result = _solve(args, compiled, engine, params)
    if args.kind == "worst-case" and not result.optimal:
        print(f"saddle: the solve ended '{result.status}': no worst case to plot",
              file=sys.stderr)
        for note in result.notes:
            print(f"  - {note}", file=sys.stderr)
        return EXIT_NOT_OPTIMAL
    figure = plot(result, args.kind, args.output, of=args.of, at=args.at, x=args.x, y=args.y,
                  stacked=args.stacked, title=args.title,
                  objective_name=compiled.model.objective.name)
    axes = figure.axes[0]
    print(f"{args.output}: {axes.get_title()} ({axes.get_ylabel()} against "
          f"{axes.get_xlabel()}), status {result.status}")
    return EXIT_OK if result.optimal else EXIT_NOT_OPTIMAL


def _solve(args: argparse.Namespace, compiled: Any, engine: Engine,
           params: dict[str, Any]) -> Any:
    kind, model = args.kind, compiled.model.name
    rolling = isinstance(compiled, RollingModel)
    if kind in ("robustness", "frontier"):
        if args.sweep is None:
            example = "kappa=0:0.5:11" if kind == "robustness" else "gamma=0.5:10:12"
            raise PlotError(f"a {kind} plot draws a sweep: add --sweep NAME=START:STOP:COUNT "
                            f"(e.g. --sweep {example})")
        if rolling:
            raise PlotError(f"a {kind} plot draws one solve per sweep point, and model "
                            f"'{model}' re-optimizes per period")
        if kind == "robustness" and not is_robust(compiled):
            raise PlotError(f"model '{model}' has no uncertain quantities: its robust and "
                            "nominal answers are the same, there is no price to plot")
        try:
            name, values = parse_sweep(args.sweep)
        except ValueError as exc:
            raise PlotError(str(exc)) from None
        job = Job.of_command(args, params)
        return sweep_job(job, name, values, engine, nominal=kind == "robustness")
    if args.sweep is not None:
        raise PlotError(f"a {kind} plot draws one solve or one rolling run: drop --sweep")
    if kind == "allocation":
        if not rolling:
            raise PlotError(f"an allocation plot draws a rolling run (a row per period), and "
                            f"model '{model}' is solved once: add `rebalance every month on "
                            f"DAY` to the model, or pass --every month")
        return compiled.solve(solver=args.solver, strategy=args.strategy, engine=engine)
    if rolling or not is_robust(compiled):
        raise PlotError(f"a worst-case plot draws a robust model's adversary, and model "
                        f"'{model}' has no uncertain quantities")
    return compiled.solve(solver=args.solver)

