"""`saddle fmt FILE [--check]`: print a model in canonical form (imports nothing numeric)."""

from __future__ import annotations

import argparse
import sys

from compiler.cli.common import EXIT_MODEL, EXIT_OK, read_model
from dsl import format_model
from dsl.source import read_source

NAME = "fmt"
HELP = "print a model in canonical form"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the file is not in canonical form; print nothing")


def run(args: argparse.Namespace) -> int:
    text = format_model(read_model(args.file))
    if args.check:
        # the text as parsed: a byte-order mark is not part of the model (dsl/source.py)
        return EXIT_OK if read_source(args.file) == text else EXIT_MODEL
    sys.stdout.write(text)
    return EXIT_OK
