"""`saddle check FILE...`: parse, check and compile models without solving them.

With several files each is checked in turn and reports its own diagnostics; the exit code
is the worst of theirs (compiler/cli/main.py lists the codes)."""

from __future__ import annotations

import argparse
from typing import Any

from compiler.cli.common import (
    EXIT_IO,
    EXIT_MODEL,
    EXIT_NOT_OPTIMAL,
    EXIT_OK,
    compile_args,
    loading_numerics,
    model_options,
    worst_of_files,
)

NAME = "check"
HELP = "parse and check models without solving them"
# from best to worst: a verify disagreement, a model error, an unreadable file
SEVERITY = (EXIT_OK, EXIT_NOT_OPTIMAL, EXIT_MODEL, EXIT_IO)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    model_options(parser, several=True)
    parser.add_argument("--verify", action="store_true",
                        help="robust models: solve with both backends and report the "
                             "difference")


def run(args: argparse.Namespace) -> int:
    files = list(args.file)
    if len(files) == 1:  # one file: its errors go up to main, as for every command
        return _check(argparse.Namespace(**{**vars(args), "file": files[0]}))
    return worst_of_files(
        files, lambda path: _check(argparse.Namespace(**{**vars(args), "file": path})),
        SEVERITY)


def _check(args: argparse.Namespace) -> int:
    # imported here: `saddle --help` must not import cvxpy (tests/test_startup.py)
    with loading_numerics():  # the first import of cvxpy: no collection while it loads
        from compiler.backends.cvar_fallback import check_line
        from compiler.scale.scenario_cvar import describe as scenario_cvar_method

    compiled = compile_args(args)
    print(f"{args.file}: ok — {compiled.summary()}")
    # how a large scenario CVaR is solved (robust and rolling models: located, as in the notes)
    scenario_cvar = scenario_cvar_method(compiled) or check_line(compiled)
    if scenario_cvar:
        print(f"  {scenario_cvar}")
    if args.verify:
        return _verify(compiled) if compiled.backend in ("counterpart", "dsp") \
            else _no_verify(compiled.backend)
    return EXIT_OK


def _no_verify(backend: str) -> int:
    reason = {"analysis": "a worst-case analysis has one path (there is no game to dualize)"}
    print(f"verify: {reason.get(backend, 'only a robust model has two paths to compare')}")
    return EXIT_OK


def _verify(compiled: Any) -> int:
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
