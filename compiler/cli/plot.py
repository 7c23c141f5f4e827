"""`saddle plot FILE --kind KIND --output out.png`: solve what the kind needs, then draw it.

    allocation   a rolling run (the model's `rebalance every ...`, or --every)
    worst-case   one robust solve: --of an uncertain quantity or a let indexed by one set
    robustness   a sweep of a robust model with each point's nominal view (--sweep)
    frontier     a sweep (--sweep), --x and --y the objective, the param or scalar lets

A mismatch between the kind and the model, or no matplotlib, is a usage error (exit 2).
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
    engine_of,
    model_options,
    run_options,
)
from compiler.cli.solve import sweep_command

NAME = "plot"
HELP = "solve a model and draw its answer to a file"


def add_arguments(sub: argparse.ArgumentParser) -> None:
    model_options(sub)
    sub.add_argument("--kind", required=True,  # checked by plot_data.KINDS
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
    run_options(sub)  # --solver, --every, --strategy, --sweep, --workers, --engine


def run(args: argparse.Namespace) -> int:
    """Solve the model as `args.kind` needs, draw it to `args.output`."""
    from compiler.report import plot as drawing
    from compiler.report.plot_data import KINDS, PlotError

    if args.kind not in KINDS:
        raise UsageError(f"--kind '{args.kind}': use {', '.join(KINDS)}")
    try:
        return _draw(args, drawing)
    except (PlotError, drawing.PlotUnavailable) as exc:
        raise UsageError(str(exc)) from None


def _draw(args: argparse.Namespace, drawing: Any) -> int:
    compiled = compile_args(args)
    check_solver(args.solver)
    result = _solve(args, compiled, engine_of(args))
    if args.kind == "worst-case" and not result.optimal:
        print(f"saddle: the solve ended '{result.status}': no worst case to plot",
              file=sys.stderr)
        for note in result.notes:
            print(f"  - {note}", file=sys.stderr)
        return EXIT_NOT_OPTIMAL
    figure = drawing.plot(result, args.kind, args.output, of=args.of, at=args.at, x=args.x,
                          y=args.y, stacked=args.stacked, title=args.title,
                          objective_name=compiled.model.objective.name)
    axes = figure.axes[0]
    print(f"{args.output}: {axes.get_title()} ({axes.get_ylabel()} against "
          f"{axes.get_xlabel()}), status {result.status}")
    return EXIT_OK if result.optimal else EXIT_NOT_OPTIMAL


def _solve(args: argparse.Namespace, compiled: Any, engine: Any) -> Any:
    from compiler.backends.nominal import is_robust
    from compiler.report.plot_data import PlotError

    kind, model = args.kind, compiled.model.name
    rolling = compiled.backend == "rolling"
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
        return sweep_command(args, engine, nominal=kind == "robustness")
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

