"""`saddle compile FILE --emit STAGE`: show what a compiler stage made of the model."""

from __future__ import annotations

import argparse

from compiler.cli.common import (
    EXIT_OK,
    UsageError,
    compile_args,
    data_folder,
    model_options,
    parse_params,
    read_model,
)

NAME = "compile"
HELP = "show a compiler stage"
FORMS = ("ast", "ir", "cvxpy")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    model_options(parser)
    parser.add_argument("--emit", required=True, metavar="STAGE",
                        help="ast, ir, cvxpy (the backend's problem), or the name of a "
                             "pass: what the pipeline has made after it (`--emit list` "
                             "names the passes)")


def run(args: argparse.Namespace) -> int:
    from compiler.report.stages import pass_names

    if args.emit not in FORMS + pass_names():
        listing = f"{', '.join(FORMS)}, or a pass: {', '.join(pass_names())}"
        if args.emit == "list":
            print(listing)
            return EXIT_OK
        raise UsageError(f"--emit '{args.emit}': use {listing}")
    if args.emit == "ast":
        from dsl.dump import dump

        print(dump(read_model(args.file)))
    elif args.emit == "ir":
        from compiler.report.describe import describe_ir

        print(describe_ir(read_model(args.file)))
    elif args.emit == "cvxpy":
        print(compile_args(args).emit())
    else:
        print(emit_args(args))
    return EXIT_OK


def emit_args(args: argparse.Namespace) -> str:
    from compiler.report.stages import emit_pass

    data_folder(args.data)
    return emit_pass(read_model(args.file), args.emit, params=parse_params(args.param),
                     data_dir=args.data, backend=args.backend)
