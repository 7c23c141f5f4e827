"""`saddle lsp`: the language server, over stdio (an editor starts it; see editors/)."""

from __future__ import annotations

import argparse
import os
import sys

from compiler.cli.common import EXIT_OK, UsageError, version

NAME = "lsp"
HELP = "run the language server on stdin/stdout (for editors: diagnostics, hover, ...)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true",
                        help="speak LSP on stdin/stdout (the default and only transport; "
                             "accepted because editor clients pass it)")


def run(args: argparse.Namespace) -> int:
    try:
        from compiler.editor.lsp_server import build
    except ImportError as exc:  # pygls is an optional extra
        raise UsageError(f"the language server needs pygls ({exc.name} is not installed): "
                         f"pip install \"saddle-lang[lsp]\"") from None
    sys.stdout.flush()
    # The protocol gets its own copy of stdout, and descriptor 1 becomes stderr: whatever
    # else prints (a solver's banner, a stray print) cannot corrupt the message stream, and
    # pygls closing its copy at `exit` leaves sys.stdout usable.
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    with protocol_out:
        build(version()).start_io(sys.stdin.buffer, protocol_out)
    return EXIT_OK
