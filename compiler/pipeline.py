"""The passes, in order. `compile_model` runs them; nothing else lives here.

    parse (dsl) -> resolve -> check_shapes -> check_units -> bind -> find_exact_forms -> lower
    -> check_discipline -> CompiledModel

Shapes come before bind: index sets are symbolic, so a misaligned expression is reported
without reading any data file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cvxpy as cp

from compiler import ir
from compiler.bind import bind
from compiler.data import Sandbox
from compiler.discipline import check_discipline, ensure_dcp
from compiler.engines import Job
from compiler.evaluate import Evaluator
from compiler.exact import find_exact_forms
from compiler.lower import lower
from compiler.problem import CompiledModel
from compiler.resolve import resolve
from compiler.robust import compile_robust, refuse_rolling
from compiler.rolling import Every, RollingModel, rolling_model
from compiler.saddle import RobustModel
from compiler.shapes import check_shapes
from compiler.units import check_units
from dsl import ast

PASSES = ("resolve", "check_shapes", "check_units", "bind", "find_exact_forms", "lower",
          "check_discipline")
# A model that rebalances runs the last three passes once per window (compiler/rolling.py).


def model_folder(model: ast.Model) -> Path:
    """The folder a model's relative data paths start from: its file's, else the cwd."""
    name = model.span.source.name
    path = Path(name)
    if name.startswith("<") or not path.exists():
        return Path.cwd()
    return path.resolve().parent


def compile_model(model: ast.Model, params: Mapping[str, Any] | None = None,
                  data_dir: str | Path | None = None,
                  base_dir: str | Path | None = None,
                  every: str | None = None, backend: str = "auto"
                  ) -> CompiledModel | RollingModel | RobustModel:
    """Check a parsed model and compile it to a cvxpy problem.

    Args:
        model: from `load`/`loads`.
        params: values that replace the file's params: numbers, lists, numpy arrays, or
            pandas Series/DataFrames indexed by set labels.
        data_dir: the folder csv(...) paths are relative to (default: the model's folder).
        base_dir: the model's folder, for models parsed from a string.
        every: re-optimize per window ("month", "quarter", "year", "week", "5 days"),
            replacing the model's own `rebalance every ...`.
        backend: for models with uncertain quantities: "auto", "counterpart" or "dsp".

    Returns:
        A `CompiledModel`, or a `RollingModel` for a model that rebalances; call `.solve()`.

    Raises:
        SpecError: any mistake in the model or its data, located in the model's text.
        NotADirectoryError: `data_dir` is not a folder.
    """
    if data_dir is not None and not Path(data_dir).is_dir():
        raise NotADirectoryError(f"data folder not found: {data_dir}")
    resolved = resolve(model)
    shapes = check_shapes(resolved)
    units = check_units(resolved)
    folder = Path(base_dir) if base_dir is not None else model_folder(model)
    sandbox = Sandbox.for_model(folder, Path(data_dir) if data_dir is not None else None)
    bindings = bind(resolved, shapes, params, sandbox, units)
    if every is not None or resolved.rebalance is not None:
        refuse_rolling(resolved)
        source = model.span.source
        job = Job(source.text, source.name, str(folder),
                  str(data_dir) if data_dir is not None else None, dict(params or {}), every)
        return rolling_model(resolved, shapes, bindings, _every(every), job)
    if resolved.uncertains:
        return compile_robust(resolved, shapes, bindings, backend)
    exact = find_exact_forms(resolved, shapes, Evaluator(shapes, bindings))
    lowered = lower(resolved, shapes, bindings, exact)
    check_discipline(resolved, lowered)
    problem = cp.Problem(_objective(resolved, lowered.objective), lowered.constraints())
    ensure_dcp(problem, resolved)
    compiled = CompiledModel(resolved, shapes, bindings, lowered, problem, list(lowered.notes))
    compiled.ensure_solver()
    return compiled


def _every(text: str | None) -> Every | None:
    if text is None:
        return None
    try:
        return Every.parse(text)
    except ValueError:
        raise ValueError(f"cannot rebalance every '{text}': use month, quarter, year, week "
                         f"or N days") from None


def _objective(model: ir.Model, expr: cp.Expression) -> cp.Minimize | cp.Maximize:
    if model.objective.sense is ir.Sense.MAXIMIZE:
        return cp.Maximize(expr)
    return cp.Minimize(expr)
