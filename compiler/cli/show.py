"""`saddle show FILE`: a summary a person reads (compiler/report/show.py)."""

from __future__ import annotations

import argparse
import sys

from compiler.cli.common import (
    EXIT_OK,
    UsageError,
    compile_args,
    model_options,
    read_model,
)

NAME = "show"
HELP = "summarize a model: sets, data, decisions, constraints, problem class and solver"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    model_options(parser)
    parser.add_argument("--latex", action="store_true",
                        help="print the model as mathematics: a standalone LaTeX document "
                             "(needs no data; pdflatex compiles it)")
    parser.add_argument("--output", metavar="FILE",
                        help="with --latex: write the document to FILE instead of stdout")


def run(args: argparse.Namespace) -> int:
    if args.latex:
        return _latex(args)
    if args.output:
        raise UsageError("--output writes the LaTeX document: add --latex")
    from compiler.report.show import show_model

    sys.stdout.write(show_model(compile_args(args)))
    return EXIT_OK


def _latex(args: argparse.Namespace) -> int:
    from compiler.passes.resolve import resolve
    from compiler.report.latex import render_latex

    model = read_model(args.file)
    resolve(model)  # names and declarations checked (SpecError, exit 1); no data is read
    text = render_latex(model).text
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:  # OSError: exit 3
            out.write(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK
