"""`saddle fmt FILE [--check]`: print a model in canonical form (imports nothing numeric).

`saddle fmt --check FILE...` checks several files: each one's parse errors and whether it is
in canonical form are reported on stderr, and the exit code is the worst of theirs."""

from __future__ import annotations

import argparse
import sys

from compiler.cli.common import EXIT_MODEL, EXIT_OK, UsageError, read_model, worst_of_files
from dsl import format_model
from dsl.source import read_source

NAME = "fmt"
HELP = "print a model in canonical form"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="+", help="the model file (several with --check)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a file is not in canonical form; print nothing for "
                             "one file, the names of those that are not for several")


def run(args: argparse.Namespace) -> int:
    files = list(args.file)
    if not args.check:
        if len(files) > 1:
            raise UsageError("saddle fmt prints one file; to check several, add --check")
        sys.stdout.write(format_model(read_model(files[0])))
        return EXIT_OK
    if len(files) == 1:  # its errors go up to main, as for every command
        return EXIT_OK if _canonical(files[0]) else EXIT_MODEL
    return worst_of_files(files, _reported)


def _reported(path: str) -> int:
    if _canonical(path):
        return EXIT_OK
    print(f"{path}: not in canonical form (`saddle fmt {path}` prints it)", file=sys.stderr)
    return EXIT_MODEL


def _canonical(path: str) -> bool:
    # the text as parsed: a byte-order mark is not part of the model (dsl/source.py)
    return read_source(path) == format_model(read_model(path))
