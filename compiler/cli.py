"""The `saddle` command: check, solve, plot, fmt, compile. `main(argv) -> int` runs in-process.

Exit codes: 0 ok, 1 model error (SpecError), 2 usage, 3 unreadable input, 4 solved but
not optimal, 70 internal error (a bug in Saddle; never a traceback). Diagnostics go to
stderr, results to stdout (or --output).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

from compiler.analysis import WorstCaseAnalysis
from compiler.describe import describe_compiled, describe_ir, describe_problem
from compiler.engines import Engine, Job, make_engine
from compiler.pipeline import compile_model
from compiler.plot import PlotUnavailable
from compiler.plot_cli import add_plot_parser, plot_command
from compiler.plot_data import PlotError
from compiler.risk import risk_report
from compiler.rolling import Every, RollingModel
from compiler.saddle import RobustModel
from compiler.show import show_model
from compiler.solver_choice import installed_solvers
from compiler.solver_output import VERBOSE_VARIABLE
from compiler.sweep import parse_sweep, sweep_job
from compiler.unit_values import InBaseUnits
from dsl import ast, format_model, parse, parse_expression
from dsl.depth import deep_stack
from dsl.dump import dump
from dsl.errors import SpecError
from dsl.source import PATH_ERRORS, path_problem, read_source, shown_path

EXIT_OK, EXIT_MODEL, EXIT_USAGE, EXIT_IO, EXIT_NOT_OPTIMAL, EXIT_INTERNAL = 0, 1, 2, 3, 4, 70
DISTRIBUTION = "saddle-lang"  # the name on the package index (`saddle` there is another project)


class UsageError(Exception):
    """A command-line mistake (exit 2)."""


def _version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="saddle", description="Check, solve and format Saddle models (.saddle files).")
    parser.add_argument("--version", action="version",
                        version=f"{DISTRIBUTION} {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    def data_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("file", help="the model file (.saddle)")
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

    check = commands.add_parser("check", help="parse and check a model without solving it")
    data_options(check)
    check.add_argument("--verify", action="store_true",
                       help="robust models: solve with both backends and report the difference")
    solve = commands.add_parser("solve", help="solve a model and report the answer by name")
    data_options(solve)
    solve.add_argument("--solver", help="CLARABEL, SCS, OSQP, HIGHS, ... (default: HIGHS for "
                                        "mixed-integer, CLARABEL otherwise)")
    solve.add_argument("--format", choices=("table", "json", "csv"), default="table")
    solve.add_argument("--output", metavar="PATH", help="write the result here, not stdout")
    solve.add_argument("--risk", action="store_true",
                       help="add the positions' DV01, key-rate DV01 ladder and CS01 ladder "
                            "(params computed by dv01, key_rate_durations, cs01)")
    solve.add_argument("--every", metavar="PERIOD",
                       help="re-optimize per window: month, quarter, year, week or 'N days' "
                            "(replaces the model's `rebalance every ...`)")
    solve.add_argument("--strategy", choices=("auto", "vectorized", "stack", "loop"),
                       default="auto",
                       help="rolling runs: one vectorized problem with a window axis (auto "
                            "uses it when the model allows), the windows' problems stacked, "
                            "or one solve per window")
    solve.add_argument("--sweep", metavar="NAME=START:STOP:COUNT",
                       help="re-solve over a grid of one param's values (or NAME=a,b,c)")
    solve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="run sweep points and looped windows on N local processes")
    solve.add_argument("--engine", choices=("local", "dask"), default="local",
                       help="local processes (default) or a Dask cluster (--scheduler)")
    solve.add_argument("--scheduler", metavar="ADDRESS",
                       help="the Dask scheduler, e.g. tcp://127.0.0.1:8786")
    fmt = commands.add_parser("fmt", help="print a model in canonical form")
    fmt.add_argument("file")
    fmt.add_argument("--check", action="store_true",
                     help="exit 1 if the file is not in canonical form; print nothing")
    show = commands.add_parser("show", help="summarize a model: sets, data, decisions, "
                               "constraints, problem class and solver")
    data_options(show)
    emit = commands.add_parser("compile", help="show a compiler stage")
    data_options(emit)
    emit.add_argument("--emit", choices=("ast", "ir", "cvxpy"), required=True)
    add_plot_parser(commands, data_options)
    return parser


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


def _with_units(node: ast.Expr, value: Any) -> Any:
    """A value written with units is already converted: a declared unit must not convert
    it again, and its units must fit the param's dimension (compiler/units.py checks them,
    as in the file); a value without one is in the param's declared unit. A 0 needs no
    unit, as in the file."""
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
    return InBaseUnits(value, mixed=bare, units=tuple(units)) if units else value


def parse_params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip().isidentifier():
            raise UsageError(f"--param '{pair}' should look like NAME=VALUE")
        try:
            node = parse_expression(text, f"--param {name}")
        except SpecError as exc:
            raise UsageError(f"--param {name}: {exc.diagnostics[0].message}") from None
        params[name.strip()] = _with_units(node, _literal(node, text))
    return params


def _read(path: str) -> ast.Model:
    return parse(read_source(path), path)  # OSError (exit 3) for every unreadable path


def _data_folder(path: str | None) -> str | None:
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


def _compile(args: argparse.Namespace) -> Any:
    _data_folder(args.data)
    every = getattr(args, "every", None)
    if every is not None:
        try:
            Every.parse(every)
        except ValueError:
            raise UsageError(f"--every '{every}': use month, quarter, year, week or "
                             f"'N days'") from None
    return compile_model(_read(args.file), params=parse_params(args.param),
                         data_dir=args.data, every=every, backend=args.backend)


def _write(text: str, output: str | None) -> None:
    if output is None:
        print(text)
        return
    try:
        Path(output).write_text(text + "\n", encoding="utf-8")
    except PATH_ERRORS as exc:
        raise OSError(f"cannot write '{shown_path(output)}': {path_problem(exc)}") from None


def run_check(args: argparse.Namespace) -> int:
    compiled = _compile(args)
    if isinstance(compiled, WorstCaseAnalysis):
        print(f"{args.file}: ok — worst-case analysis (no decisions): the objective and "
              f"{len(compiled.model.constraints)} limit(s), each the adversary's own convex "
              "problem")
        if args.verify:
            print("verify: a worst-case analysis has one path (there is no game to dualize)")
        return EXIT_OK
    if isinstance(compiled, RobustModel):
        print(f"{args.file}: ok — robust model, {compiled.backend} backend "
              f"({describe_problem(compiled.compiled, brief=True)})")
        if args.verify:
            return _verify(compiled)
        return EXIT_OK
    if isinstance(compiled, RollingModel):
        print(f"{args.file}: ok — rolling model, {len(compiled)} windows")
        return EXIT_OK
    print(f"{args.file}: ok — {describe_problem(compiled, brief=True)}")
    return EXIT_OK


def _verify(compiled: RobustModel) -> int:
    report = compiled.verify()
    if not report["checked"]:
        print(f"verify: {report['reason']}")
        return EXIT_OK
    values = {k: v for k, v in report.items() if k in ("counterpart", "dsp")}
    shown = ", ".join(f"{k} {v:.10g}" if v is not None else f"{k} -" for k, v in values.items())
    difference = report["difference"]
    scale = max([1.0] + [abs(v) for v in values.values() if v is not None])
    agree = difference is not None and difference <= 1e-5 * scale
    print(f"verify: {shown}; difference {difference:.3g} — "
          f"{'the two paths agree' if agree else 'THE PATHS DISAGREE'}"
          if difference is not None else f"verify: {shown}; statuses {report['statuses']}")
    return EXIT_OK if agree else EXIT_NOT_OPTIMAL


def _engine(args: argparse.Namespace) -> Engine:
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    try:
        return make_engine(args.engine, args.workers, args.scheduler)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def run_solve(args: argparse.Namespace) -> int:
    compiled = _compile(args)
    if args.solver and args.solver.upper() not in _solvers():
        raise UsageError(f"solver '{args.solver}' is not installed; installed: "
                         f"{', '.join(_solvers())}")
    engine = _engine(args)
    if args.risk and (args.sweep is not None or isinstance(compiled, RollingModel)):
        raise UsageError("--risk reports one solve's positions; a rolling run or a sweep "
                         "has one per window or point: solve one on its own")
    if args.sweep is not None:
        try:
            name, values = parse_sweep(args.sweep)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        job = Job.of_command(args, parse_params(args.param))
        result: Any = sweep_job(job, name, values, engine)
        table_text = result.table_text()
    elif isinstance(compiled, RollingModel):
        result = compiled.solve(solver=args.solver, strategy=args.strategy, engine=engine)
        table_text = result.table_text()
    else:
        result = compiled.solve(solver=args.solver)
        if args.risk and result.status.startswith("optimal"):
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
    _write(text, args.output)
    return EXIT_OK if result.optimal else EXIT_NOT_OPTIMAL


def _solvers() -> list[str]:
    return sorted(installed_solvers())


def run_fmt(args: argparse.Namespace) -> int:
    model = _read(args.file)
    text = format_model(model)
    if args.check:
        # the text as parsed: a byte-order mark is not part of the model (dsl/source.py)
        return EXIT_OK if read_source(args.file) == text else EXIT_MODEL
    sys.stdout.write(text)
    return EXIT_OK


def run_compile(args: argparse.Namespace) -> int:
    if args.emit == "ast":
        print(dump(_read(args.file)))
    elif args.emit == "ir":
        print(describe_ir(_read(args.file)))
    else:
        print(describe_compiled(_compile(args)))
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    sys.stdout.write(show_model(_compile(args)))
    return EXIT_OK


def run_plot(args: argparse.Namespace) -> int:
    """`saddle plot` (compiler/plot_cli.py); a kind that does not fit the model is exit 2."""
    try:
        return plot_command(args, _compile(args), _engine(args), parse_params(args.param))
    except (PlotError, PlotUnavailable) as exc:
        raise UsageError(str(exc)) from None


COMMANDS = {"check": run_check, "solve": run_solve, "plot": run_plot, "fmt": run_fmt,
            "compile": run_compile, "show": run_show}


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
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse prints its own usage message
        return int(exc.code or 0)
    if getattr(args, "verbose", False):
        os.environ[VERBOSE_VARIABLE] = "1"  # worker processes inherit it
    try:
        with warnings.catch_warnings():
            _quiet_known_warnings()
            # on a stack with room for MAX_NESTING levels (dsl/depth.py)
            code = deep_stack(COMMANDS[args.command])(args)
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
