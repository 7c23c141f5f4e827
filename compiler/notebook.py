"""Jupyter: `%load_ext compiler.notebook` gives the `%%saddle` cell magic.

    %%saddle --solve --param capital --param repo=2.1 --data ../models
    model treasury "..."
    ...

The cell is a whole model (header included). Without `--solve` the model is compiled and
checked and the compiled model is returned; with it, the model is solved and the `Result`
(a `TableResult` for a rolling model or a `--sweep`) is returned, which the notebook shows
as tables (compiler/report/html.py). Options:

    --solve                  solve, not only check
    --param NAME=VALUE       a value as on the command line (200bp, 1.5%, [1, 2, 3])
    --param NAME             the notebook variable NAME (a number, list, numpy array or
                             pandas Series/DataFrame indexed by set labels) is param NAME
    --from-namespace         every param of the model whose name is a notebook variable
                             takes that variable's value (`--param` still wins)
    --data DIR               the folder csv(...) paths are read from (default: the cwd)
    --solver NAME, --backend auto|counterpart|dsp, --every PERIOD  as for `saddle solve`
    --sweep NAME=START:STOP:COUNT   one solve per value, one table (or NAME=a,b,c)
    --as VAR                 also store what the cell returns in the notebook variable VAR

A mistake in the model shows Saddle's own diagnostic (code, line of the cell, help), not a
Python traceback; the cell fails, so "run all" stops there.
"""

from __future__ import annotations

import argparse
import shlex
import warnings
from typing import Any

from compiler.cli.main import _quiet_known_warnings as quiet_known_warnings
from dsl import ast, parse
from dsl.errors import SpecError

CELL_NAME = "<cell>"


class SaddleCellError(Exception):
    """A model or option mistake in a %%saddle cell, shown without a traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython shows these lines instead
        return str(self).splitlines()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit the kernel's process
        raise SaddleCellError(f"%%saddle: {message}\n{self.format_usage().rstrip()}")


def options_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="%%saddle", add_help=False)
    parser.add_argument("--solve", action="store_true")
    parser.add_argument("--param", action="append", default=[], metavar="NAME[=VALUE]")
    parser.add_argument("--from-namespace", action="store_true")
    parser.add_argument("--data", metavar="DIR")
    parser.add_argument("--solver")
    parser.add_argument("--backend", choices=("auto", "counterpart", "dsp"), default="auto")
    parser.add_argument("--every", metavar="PERIOD")
    parser.add_argument("--sweep", metavar="NAME=START:STOP:COUNT")
    parser.add_argument("--as", dest="store", metavar="VAR")
    return parser


def cell_params(model: ast.Model, pairs: list[str], from_namespace: bool,
                namespace: dict[str, Any]) -> dict[str, Any]:
    """The params a cell's options give: literals, named variables, then (with
    --from-namespace) every declared param that is a notebook variable."""
    from compiler.cli.common import UsageError, parse_params

    declared = [d.name for d in model.decls if isinstance(d, ast.ParamDecl)]
    params: dict[str, Any] = {}
    if from_namespace:
        params.update({name: namespace[name] for name in declared if name in namespace})
    literals = []
    for pair in pairs:
        if "=" in pair:
            literals.append(pair)
            continue
        name = pair.strip()
        if name not in namespace:
            raise SaddleCellError(f"%%saddle: --param {name}: there is no notebook variable "
                                  f"'{name}' (define it in a cell above, or write "
                                  f"--param {name}=VALUE)")
        params[name] = namespace[name]
    try:
        params.update(parse_params(literals))
    except UsageError as exc:
        raise SaddleCellError(f"%%saddle: {exc}") from None
    return params


def run_cell(line: str, cell: str, namespace: dict[str, Any]) -> Any:
    """What `%%saddle LINE` does with `cell`; `namespace` is the notebook's variables."""
    try:
        args = options_parser().parse_args(shlex.split(line))
    except ValueError as exc:  # shlex: an unclosed quote
        raise SaddleCellError(f"%%saddle: {exc}") from None
    if args.store is not None and not args.store.isidentifier():
        raise SaddleCellError(f"%%saddle: --as {args.store}: not a variable name")
    try:
        model = parse(cell, CELL_NAME)
        params = cell_params(model, args.param, args.from_namespace, namespace)
        with warnings.catch_warnings():
            quiet_known_warnings()  # as `saddle solve` does: chatter Saddle handles
            result = _compile_or_solve(model, params, args)
    except SpecError as exc:
        raise SaddleCellError(str(exc)) from None
    except (OSError, ValueError) as exc:  # a --data folder, an --every or --sweep text
        raise SaddleCellError(f"%%saddle: {exc}") from None
    if args.store:
        namespace[args.store] = result
    return result


def _compile_or_solve(model: ast.Model, params: dict[str, Any],
                      args: argparse.Namespace) -> Any:
    from compiler.pipeline import compile_model

    if args.sweep is not None:
        from compiler.rolling.sweeps import parse_sweep, sweep

        name, values = parse_sweep(args.sweep)
        return sweep(model, name, values, params=params, data_dir=args.data,
                     every=args.every, solver=args.solver)
    compiled = compile_model(model, params=params, data_dir=args.data, every=args.every,
                             backend=args.backend)
    if not args.solve:  # checked: say so; `--as m` keeps the compiled model (m.solve())
        print(f"{model.name}: ok — {compiled.summary()}")
        return compiled if args.store else None
    return compiled.solve(solver=args.solver)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext compiler.notebook`."""

    def saddle(line: str, cell: str) -> Any:
        return run_cell(line, cell, ipython.user_ns)

    saddle.__doc__ = __doc__
    ipython.register_magic_function(saddle, magic_kind="cell", magic_name="saddle")
