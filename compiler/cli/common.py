"""What every subcommand shares: exit codes, the model options, --param values, reading.

Nothing here imports cvxpy, pandas or scipy: `saddle --help` and `saddle fmt` stay fast.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from dsl import ast, parse, parse_expression
from dsl.errors import SpecError
from dsl.source import PATH_ERRORS, path_problem, read_source, shown_path

EXIT_OK, EXIT_MODEL, EXIT_USAGE, EXIT_IO, EXIT_NOT_OPTIMAL, EXIT_INTERNAL = 0, 1, 2, 3, 4, 70
DISTRIBUTION = "saddle-lang"  # the name on the package index (`saddle` there is another project)
STRATEGIES = ("auto", "vectorized", "stack", "loop")


class UsageError(Exception):
    """A command-line mistake (exit 2)."""


# True in the `saddle` process itself (compiler/cli/main.py sets it); in-process callers
# (tests, notebooks) keep their collector's generations as they are
OWN_PROCESS = {"freeze": False}


@contextlib.contextmanager
def loading_numerics() -> Iterator[None]:
    """Around the import of pandas, cvxpy and the compiler: ~1M objects that live until
    the process ends, none of them garbage. The collector pauses while they load (else its
    full collections walk them all again, ~0.1 s of a `saddle check`); in the `saddle`
    process they are then frozen (gc.freeze), so later collections skip them."""
    enabled, loaded = gc.isenabled(), len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if OWN_PROCESS["freeze"] and len(sys.modules) > loaded:  # a first load, not a re-run
            gc.freeze()
        if enabled:
            gc.enable()


def version() -> str:
    from importlib import metadata  # ~10 ms: only for --version and the language server

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def model_options(sub: argparse.ArgumentParser, several: bool = False) -> None:
    """The model file (`several`: one or more) and the options every command that compiles
    a model takes."""
    sub.add_argument("file", nargs="+" if several else None,
                     help="the model files (.saddle)" if several else "the model file (.saddle)")
    sub.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="replace a param's value: a number (200bp, 1.5%%, $250M) or a "
                          "list such as [1, 2, 3]; repeatable")
    sub.add_argument("--data", metavar="DIR",
                     help="the folder csv(...) paths are relative to (default: the "
                          "model's folder)")
    sub.add_argument("--backend", choices=("auto", "counterpart", "dsp"), default="auto",
                     help="robust models: the explicit counterpart (by duality) or the "
                          "saddle-point form (dsp-cvxpy); auto prefers the counterpart")
    sub.add_argument("--verbose", action="store_true",
                     help="show what the solvers print (on stderr; stdout keeps only "
                          "the result)")


def run_options(sub: argparse.ArgumentParser) -> None:
    """Options of the commands that solve: solver, rolling windows, sweeps, workers."""
    sub.add_argument("--solver", help="CLARABEL, SCS, OSQP, HIGHS, SCIP, ... (default: chosen "
                                      "by problem class; `saddle check` shows it)")
    sub.add_argument("--every", metavar="PERIOD",
                     help="re-optimize per window: month, quarter, year, week or 'N days' "
                          "(replaces the model's `rebalance every ...`)")
    sub.add_argument("--strategy", choices=STRATEGIES, default="auto",
                     help="rolling runs: one vectorized problem with a window axis (auto "
                          "uses it when the model allows), the windows' problems stacked, "
                          "or one solve per window")
    sub.add_argument("--sweep", metavar="NAME=START:STOP:COUNT",
                     help="re-solve over a grid of one param's values (or NAME=a,b,c)")
    sub.add_argument("--workers", type=int, default=1, metavar="N",
                     help="run sweep points and looped windows on N local processes")
    sub.add_argument("--engine", choices=("local", "dask"), default="local",
                     help="local processes (default) or a Dask cluster (--scheduler)")
    sub.add_argument("--scheduler", metavar="ADDRESS",
                     help="the Dask scheduler, e.g. tcp://127.0.0.1:8786")


def _literal(node: ast.Expr, text: str) -> Any:
    """A --param value: numbers, units and (nested) lists only; model files run no code."""
    if isinstance(node, ast.Number):
        return node.value
    if isinstance(node, ast.Quantity):
        return node.value * ast.UNIT_SCALE[node.unit]
    if isinstance(node, ast.Neg):
        return -_literal(node.operand, text)
    if isinstance(node, ast.ListLit):
        return [_literal(item, text) for item in node.items]
    raise UsageError(f"--param value '{text}' must be a number or a list of numbers")


def _units_of(node: ast.Expr) -> tuple[tuple[str, ...], bool]:
    """The units written in a --param value, and whether some number has none (a 0 needs
    none, as in the file)."""
    units: list[str] = []
    bare, stack = False, [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Neg | ast.ListLit):
            stack.extend([item.operand] if isinstance(item, ast.Neg) else item.items[::-1])
        elif isinstance(item, ast.Quantity):
            units += [item.unit] if item.unit not in units else []
        elif not (isinstance(item, ast.Number) and item.value == 0):
            bare = True
    return tuple(units), bare


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """--param NAME=VALUE pairs. A value written with units is already converted: a declared
    unit must not convert it again, and its units must fit the param's dimension
    (compiler/passes/units.py checks them, as in the file); a value without one is in the param's
    declared unit."""
    from compiler.passes.unit_values import InBaseUnits  # numpy: only when there are params

    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip().isidentifier():
            raise UsageError(f"--param '{pair}' should look like NAME=VALUE")
        try:
            node = parse_expression(text, f"--param {name}")
        except SpecError as exc:
            raise UsageError(f"--param {name}: {exc.diagnostics[0].message}") from None
        value = _literal(node, text)
        units, bare = _units_of(node)
        params[name.strip()] = InBaseUnits(value, mixed=bare, units=units) if units else value
    return params


def worst_of_files(paths: list[str], one: Callable[[str], int],
                   order: tuple[int, ...] = (EXIT_OK, EXIT_MODEL, EXIT_IO)) -> int:
    """`one(path)` for each of several files: a file's model error or unreadable path is
    printed and counted, and the next file still runs; the worst code by `order`."""
    worst = EXIT_OK
    for path in paths:
        try:
            code = one(path)
        except SpecError as exc:
            print(exc, file=sys.stderr)
            code = EXIT_MODEL
        except OSError as exc:
            print(f"saddle: error: {exc}", file=sys.stderr)
            code = EXIT_IO
        worst = max(worst, code, key=order.index)
    return worst


def read_model(path: str) -> ast.Model:
    return parse(read_source(path), path)  # OSError (exit 3) for every unreadable path


def data_folder(path: str | None) -> str | None:
    """--data: an existing folder, or OSError (exit 3) saying why not."""
    if path is None:
        return None
    try:
        found = Path(path).is_dir()
    except PATH_ERRORS as exc:
        raise OSError(f"data folder '{shown_path(path)}': {path_problem(exc)}") from None
    if not found:
        raise OSError(f"data folder not found: {shown_path(path)}")
    return path


def compile_args(args: argparse.Namespace) -> Any:
    """The model the command line names, compiled with its --param, --data, --every."""
    with loading_numerics():
        from compiler.pipeline import compile_model  # cvxpy: only for commands that compile

    data_folder(args.data)
    every = getattr(args, "every", None)
    if every is not None:
        from compiler.rolling.windows import Every

        try:
            Every.parse(every)
        except ValueError:
            raise UsageError(f"--every '{every}': use month, quarter, year, week or "
                             f"'N days'") from None
    return compile_model(read_model(args.file), params=parse_params(args.param),
                         data_dir=args.data, every=every, backend=args.backend)


def write(text: str, output: str | None) -> None:
    """The result: stdout, or the --output file."""
    if output is None:
        print(text)
        return
    try:
        Path(output).write_text(text + "\n", encoding="utf-8")
    except PATH_ERRORS as exc:
        raise OSError(f"cannot write '{shown_path(output)}': {path_problem(exc)}") from None


def check_solver(name: str | None) -> None:
    from compiler.backends.solver_choice import installed_solvers

    if name and name.upper() not in installed_solvers():
        raise UsageError(f"solver '{name}' is not installed; installed: "
                         f"{', '.join(sorted(installed_solvers()))}")


def engine_of(args: argparse.Namespace) -> Any:
    """The engine --workers, --engine and --scheduler name."""
    from compiler.rolling.engines import make_engine

    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    try:
        return make_engine(args.engine, args.workers, args.scheduler)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
