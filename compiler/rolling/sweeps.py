"""Parameter sweeps: re-solve a model over a grid of one param's values, one table back.

    saddle solve models/treasury.saddle --sweep cvar_limit=0.2:1.0:9

Each point replaces the param (as `--param` would) and solves; points are independent, so
an engine may spread them over processes or a Dask cluster. A rolling model gives a row
per (point, period).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compiler.lowering.parametric import Parametric, compile_parametric
from compiler.passes import ir
from compiler.pipeline import compile_model
from compiler.report.result import Result, TableResult, flat_values
from compiler.rolling.engines import Engine, Job
from dsl import ast, parse, parse_expression
from dsl.errors import SpecError


def _has_unit(item: str) -> bool:
    """A value written with a unit as --param takes it ($300M, 1.5%, 25bp): read by the
    model language's own parser."""
    try:
        node = parse_expression(item.strip(), "--sweep")
    except SpecError:
        return False
    if isinstance(node, ast.Neg):
        node = node.operand
    return isinstance(node, ast.Quantity)


def parse_sweep(text: str) -> tuple[str, list[float]]:
    """`NAME=START:STOP:COUNT` (evenly spaced, both ends included) or `NAME=a,b,c`."""
    name, sep, spec = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise ValueError(f"--sweep '{text}' should look like NAME=START:STOP:COUNT")
    try:
        if ":" in spec:
            start, stop, count = spec.split(":")
            if int(count) < 1:
                raise ValueError(count)
            grid = np.linspace(float(start), float(stop), int(count))
            # 12 significant digits: 0.6, not linspace's 0.6000000000000001
            return name.strip(), [float(f"{v:.12g}") for v in grid]
        return name.strip(), [float(v) for v in spec.split(",")]
    except ValueError:
        if any(_has_unit(item) for item in re.split("[,:]", spec)):
            raise ValueError(f"--sweep '{text}': sweep values are plain numbers in the "
                             f"param's declared unit (for a param declared in $M, 300 is "
                             f"$300M); write them without units") from None
        raise ValueError(f"--sweep '{text}': give START:STOP:COUNT with a whole COUNT >= 1, "
                         f"or a list a,b,c") from None


def _chunk(task: tuple[Job, str, list[float], str | None, bool]
           ) -> tuple[list[tuple[list[dict[str, Any]], str]], str]:
    """Sweep points, solved in one process (whichever the engine chose): the model compiled
    once with the param as a cvxpy Parameter (compiler/lowering/parametric.py) when that is exact,
    else compiled per point. The points' rows and solvers, and a note on which it was."""
    job, name, values, solver, nominal = task

    def compile_job(params: dict[str, Any], hook: Any) -> Any:
        return job.compile_model(parse(job.text, job.name), params={**job.params, **params},
                                 data_dir=job.data_dir, base_dir=job.base_dir,
                                 every=job.every, backend=job.backend, hook=hook)

    once = compile_parametric(compile_job, name, values) if len(values) > 1 else None
    if isinstance(once, Parametric):
        note = f"compiled once: '{name}' is a cvxpy Parameter, each point re-solves"
        return [_point((job, name, v, solver, nominal), once.at(v)) for v in values], note
    note = f"compiled at every point: {once}" if once else ""
    return [_point((job, name, v, solver, nominal)) for v in values], note


def _point(task: tuple[Job, str, float, str | None, bool], compiled: Any = None
           ) -> tuple[list[dict[str, Any]], str]:
    """One sweep point, solved (in whatever process the engine chose): rows and solver."""
    job, name, value, solver, nominal = task
    if compiled is None:
        compiled = job.compile({name: value})
    result = compiled.solve(solver=solver)
    if isinstance(result, TableResult):
        frame = result.to_frame()
        frame.insert(0, name, value)
        return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")], \
            result.solver
    row = _row(name, value, result, compiled.model)
    if nominal:
        row.update(_nominal_columns(compiled, result, solver))
    return [row], result.solver


def _row(name: str, value: float, result: Result, model: ir.Model) -> dict[str, Any]:
    """The param's value, each decision by label, each scalar let, objective, status."""
    row: dict[str, Any] = {name: value}
    decisions = [d.symbol.name for d in model.variables]
    values = flat_values({d: result.values[d] for d in decisions if d in result.values})
    values.update({d.symbol.name: result.values[d.symbol.name] for d in model.lets
                   if isinstance(result.values.get(d.symbol.name), float)})
    row.update({k: v + 0.0 if isinstance(v, float) else v for k, v in values.items()})
    row["objective"] = result.objective if result.objective is not None else np.nan
    row["status"] = result.status
    return row


def _nominal_columns(compiled: Any, result: Result, solver: str | None) -> dict[str, float]:
    """A robust point's nominal view (compiler/backends/nominal.py), for a price of robustness."""
    from compiler.backends import nominal

    if not nominal.is_robust(compiled):
        return {}
    at_center = nominal.nominal_objective(compiled, result)
    optimum = nominal.nominal_optimum(compiled, solver)
    return {"nominal_objective": np.nan if at_center is None else at_center,
            "nominal_optimum": np.nan if optimum is None else optimum}


def sweep(model: ast.Model, name: str, values: Sequence[float], *,
          params: dict[str, Any] | None = None, data_dir: str | Path | None = None,
          base_dir: str | Path | None = None, every: str | None = None,
          solver: str | None = None, engine: Engine | None = None,
          nominal: bool = False) -> TableResult:
    """Solve `model` once per value of param `name` (the Python form of `--sweep`).

    Args:
        model: from `load`/`loads`.
        name: the param to sweep (it must be declared; an unknown name is E507).
        values: the grid, e.g. `numpy.linspace(0.2, 1.0, 9)`.
        params, data_dir, base_dir, every: as for `compile_model`.
        solver: a cvxpy solver name.
        engine: where the points run: `engines.LocalPool(4)`, `engines.DaskEngine(addr)`
            (default: in this process, one after another).
        nominal: robust models: add each point's `nominal_objective` (its decisions with
            the uncertain quantities at their sets' centers) and `nominal_optimum` (the
            nominal problem's own optimum, one more solve): a price of robustness.

    Returns:
        A `TableResult` indexed by the param's value (and period, for rolling models):
        each decision by label, each scalar let, `objective` and `status`.

    Raises:
        SpecError: a mistake in the model, or a value the param cannot take.
        ValueError: `values` is empty, or holds something that is not a finite number.
    """
    job = Job.of(compile_model, model, base_dir=str(base_dir) if base_dir is not None else None,
                 data_dir=str(data_dir) if data_dir is not None else None,
                 params=dict(params or {}), every=every, solver=solver)
    return sweep_job(job, name, values, engine, nominal=nominal)


def _grid(name: str, values: Sequence[float]) -> list[float]:
    """The sweep's values as finite numbers, or a ValueError that says which is not."""
    grid: list[float] = []
    for value in values:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"sweep of '{name}': {value!r} is not a number") from None
        if not np.isfinite(number):
            raise ValueError(f"sweep of '{name}': {value!r} is not a finite number")
        grid.append(number)
    if not grid:
        raise ValueError(f"sweep of '{name}': no values to solve at")
    return grid


def sweep_job(job: Job, name: str, values: Sequence[float], engine: Engine | None = None,
              nominal: bool = False) -> TableResult:
    """`sweep` for a `Job` (what the CLI builds)."""
    engine = engine or Engine()
    started = time.perf_counter()
    grid = _grid(name, values)
    # one chunk per worker: each compiles once and re-solves its points
    count = min(len(grid), getattr(engine, "workers", len(grid)) if engine.parallel else 1)
    chunks = [[float(v) for v in c] for c in np.array_split(np.asarray(grid), max(count, 1))
              if len(c)]
    done = engine.map(_chunk, [(job, name, c, job.solver, nominal) for c in chunks])
    parts = [part for chunk, _ in done for part in chunk]
    rows = [row for part, _ in parts for row in part]
    index = [name, "period"] if rows and "period" in rows[0] else [name]
    table = pd.DataFrame(rows).set_index(index)
    # the same columns whichever point came first: an infeasible first point has no
    # decisions, so its objective and status would otherwise lead
    last = [c for c in ("objective", "status", "nominal_objective", "nominal_optimum")
            if c in table.columns]
    table = table[[c for c in table.columns if c not in last] + last]
    solver = ", ".join(sorted({used for _, used in parts}))
    notes = [f"swept '{name}' over {len(values)} values {engine.description}"]
    notes += sorted({note for _, note in done if note})
    return TableResult(_model_name(job), table, notes, solver, time.perf_counter() - started)


def _model_name(job: Job) -> str:
    return parse(job.text, job.name).name or job.name
