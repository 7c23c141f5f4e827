"""`saddle`: the parser built from the subcommand modules, and one place for exit codes.

Exit codes: 0 ok, 1 model error (SpecError), 2 usage, 3 unreadable input, 4 solved but
not optimal, 70 internal error (a bug in Saddle; never a traceback). Diagnostics go to
stderr, results to stdout (or --output).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import os
import pkgutil
import sys
import warnings
from pathlib import Path
from types import ModuleType

from compiler.cli.common import (
    DISTRIBUTION,
    EXIT_INTERNAL,
    EXIT_IO,
    EXIT_MODEL,
    EXIT_OK,
    EXIT_USAGE,
    OWN_PROCESS,
    UsageError,
    version,
)
from compiler.cli.environment import check_environment
from dsl.depth import deep_stack
from dsl.errors import SpecError


def subcommands() -> list[ModuleType]:
    """Every module of this package that defines a subcommand (`NAME`), by name: adding a
    subcommand is adding its module."""
    found = []
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        module = importlib.import_module(f"{__package__}.{info.name}")
        if hasattr(module, "NAME"):
            found.append(module)
    return sorted(found, key=lambda module: str(module.NAME))


class _Version(argparse.Action):
    """`--version`, read from the installed metadata only when asked (importlib.metadata
    and the email parser it loads cost every other command ~10 ms)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(f"{DISTRIBUTION} {version()}")
        parser.exit()


def parser() -> argparse.ArgumentParser:
    """The whole command line: one subparser per subcommand module."""
    top = argparse.ArgumentParser(
        prog="saddle", description="Check, solve and format Saddle models (.saddle files).")
    top.add_argument("--version", action=_Version, nargs=0, default=argparse.SUPPRESS,
                     help="show program's version number and exit")
    commands = top.add_subparsers(dest="command", required=True)
    for command in subcommands():
        sub = commands.add_parser(command.NAME, help=command.HELP)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return top


def _quiet_known_warnings() -> None:
    """Backend chatter that says nothing to a model's author: Saddle already handles both."""
    # dsp-cvxpy: weighted_log_sum_exp's weights are h * cashflow >= 0 by the model's bounds
    warnings.filterwarnings("ignore", message="Weights are non-positive", category=UserWarning)
    # cvxpy: an inaccurate saddle-point solve is retried, and the status line says the rest
    warnings.filterwarnings("ignore", message="Solution may be inaccurate", category=UserWarning)
    # cvxpy: DSP's atoms canonicalize with the SciPy backend (slower, same answer)
    warnings.filterwarnings("ignore", message="The problem includes expressions that don't "
                            "support CPP backend", category=UserWarning)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a real descriptor (in-process callers)
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (see the module docstring)."""
    if argv is None:  # a process of its own (the `saddle` script), not an in-process caller
        # At exit the collector would walk every object cvxpy, pandas and Saddle made
        # (~0.25 s of a `saddle check`); frozen, they are left to the process's end.
        # Every exit handler still runs; only the exit's collections are spared.
        atexit.register(gc.freeze)
        OWN_PROCESS["freeze"] = True  # and the numerics, once loaded (compiler/cli/common.py)
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse prints its own usage message
        return int(exc.code or 0)
    if getattr(args, "verbose", False):
        from compiler.backends.solver_output import VERBOSE_VARIABLE  # cvxpy: not for `--help`

        os.environ[VERBOSE_VARIABLE] = "1"  # worker processes inherit it
    try:
        check_environment()  # a misspelt SADDLE_CVAR_* setting is a usage error
        with warnings.catch_warnings():
            _quiet_known_warnings()
            # on a stack with room for MAX_NESTING levels (dsl/depth.py)
            code: int = deep_stack(args.run)(args)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
            return code
    except BrokenPipeError:
        # the reader went away (`saddle solve ... | head -1`): nothing left to say to it
        _silence_stdout()
        return EXIT_OK
    except SpecError as exc:
        print(exc, file=sys.stderr)
        return EXIT_MODEL
    except UsageError as exc:
        print(f"saddle: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"saddle: error: {exc}", file=sys.stderr)
        return EXIT_IO
    except Exception as exc:  # the last guard: no traceback reaches a user
        print(f"saddle: internal error: {type(exc).__name__}: {exc}\nThis is a bug in Saddle; "
              f"please report it with the model file.", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
