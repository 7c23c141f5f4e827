"""The passes, in order, as a tuple of real functions that one loop runs.

    parse (dsl) -> resolve_names -> infer_shapes -> infer_units -> bind_data
      -> route        (a rolling model or a robust one leaves here, built by its backend)
      -> find_exact -> lower_problem -> check_convexity -> assemble   (the plain problem)

Every pass takes the one `Compilation` record and fills its own field; the loop stops when a
pass has produced the compiled model. Shapes come before bind: index sets are symbolic, so
a misaligned expression is reported without reading any data file. A hook around each pass
(`compile_model(..., hook=...)`) serves the benchmarks' timing: nothing is patched by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cvxpy as cp

from compiler.backends.plain import CompiledModel
from compiler.compiled import Compiled
from compiler.data.bind import bind
from compiler.data.bindings import Bindings
from compiler.data.sandbox import Sandbox
from compiler.lowering.evaluate import Evaluator
from compiler.lowering.lower import Lowered, lower
from compiler.passes import ir
from compiler.passes.discipline import check_discipline, ensure_dcp
from compiler.passes.exact import ExactForm, find_exact_forms
from compiler.passes.resolve import resolve
from compiler.passes.shapes import Shapes, check_shapes
from compiler.passes.units import Units, check_units
from dsl import ast
from dsl.depth import deep_stack
from dsl.source import PATH_ERRORS, path_problem, shown_path, source_folder

if TYPE_CHECKING:
    from compiler.rolling.windows import Every


@dataclass
class Compilation:
    """What flows through the passes: the inputs, then each pass's product."""

    model: ast.Model
    params: Mapping[str, Any] | None
    sandbox: Sandbox
    folder: Path
    data_dir: str | Path | None
    every: str | None
    backend: str
    resolved: ir.Model | None = None
    shapes: Shapes | None = None
    units: Units | None = None
    bindings: Bindings | None = None
    exact: dict[str, ExactForm] | None = None
    lowered: Lowered | None = None
    problem: cp.Problem | None = None
    compiled: Compiled | None = None  # set by the pass that hands the model to its backend

    def need(self, value: Any, what: str) -> Any:
        """A field an earlier pass fills: missing means the pass list is out of order."""
        if value is None:
            raise RuntimeError(f"pass order: {what} is not computed yet")
        return value


Pass = Callable[[Compilation], None]


def resolve_names(c: Compilation) -> None:
    c.resolved = resolve(c.model)


def infer_shapes(c: Compilation) -> None:
    c.shapes = check_shapes(c.need(c.resolved, "the resolved model"))


def infer_units(c: Compilation) -> None:
    # a value from outside (`params=`, --param) obeys the file's unit rules
    c.units = check_units(c.need(c.resolved, "the resolved model"), c.params)


def bind_data(c: Compilation) -> None:
    c.bindings = bind(c.need(c.resolved, "the resolved model"), c.need(c.shapes, "shapes"),
                      c.params, c.sandbox, c.units)


def route(c: Compilation) -> None:
    """Rolling and robust models are built by their own backends from the same front."""
    # the backends are imported in their branch: a plain model's process loads neither
    model, shapes = c.need(c.resolved, "the resolved model"), c.need(c.shapes, "shapes")
    bindings = c.need(c.bindings, "the data")
    if c.every is not None or model.rebalance is not None:
        from compiler.backends.robust import refuse_rolling
        from compiler.rolling.engines import Job
        from compiler.rolling.rolling_model import rolling_model

        refuse_rolling(model)  # rolling windows have no adversary yet (E901)
        source = c.model.span.source
        job = Job(compile_model, source.text, source.name, str(c.folder),
                  str(c.data_dir) if c.data_dir is not None else None, dict(c.params or {}),
                  c.every, backend=c.backend)
        c.compiled = rolling_model(model, shapes, bindings, _every(c.every), job)
    elif model.uncertains:
        from compiler.backends.robust import compile_robust

        c.compiled = compile_robust(model, shapes, bindings, c.backend)


def find_exact(c: Compilation) -> None:
    shapes, bindings = c.need(c.shapes, "shapes"), c.need(c.bindings, "the data")
    c.exact = find_exact_forms(c.need(c.resolved, "the resolved model"), shapes,
                               Evaluator(shapes, bindings))


def lower_problem(c: Compilation) -> None:
    c.lowered = lower(c.need(c.resolved, "the resolved model"), c.need(c.shapes, "shapes"),
                      c.need(c.bindings, "the data"), c.need(c.exact, "the exact forms"))


def check_convexity(c: Compilation) -> None:
    model, lowered = c.need(c.resolved, "the resolved model"), c.need(c.lowered, "lowering")
    check_discipline(model, lowered)
    c.problem = lowered.problem(model.objective.sense)
    ensure_dcp(c.problem, model)


def assemble(c: Compilation) -> None:
    lowered = c.need(c.lowered, "lowering")
    compiled = CompiledModel(c.need(c.resolved, "the resolved model"),
                             c.need(c.shapes, "shapes"), c.need(c.bindings, "the data"),
                             lowered, c.need(c.problem, "the problem"), list(lowered.notes))
    compiled.ensure_solver()
    c.compiled = compiled


FRONT: tuple[Pass, ...] = (resolve_names, infer_shapes, infer_units, bind_data)
PASSES: tuple[Pass, ...] = FRONT + (route, find_exact, lower_problem, check_convexity,
                                    assemble)


def run_passes(c: Compilation, passes: tuple[Pass, ...] = PASSES,
               hook: Callable[[Pass], Pass] | None = None) -> Compilation:
    """Run the passes in order (each wrapped by `hook`) until one produces the model."""
    for step in passes:
        (hook(step) if hook is not None else step)(c)
        if c.compiled is not None:
            break
    return c


@deep_stack  # room for MAX_NESTING levels (dsl/depth.py)
def compile_model(model: ast.Model, params: Mapping[str, Any] | None = None,
                  data_dir: str | Path | None = None,
                  base_dir: str | Path | None = None,
                  every: str | None = None, backend: str = "auto",
                  hook: Callable[[Pass], Pass] | None = None,
                  ) -> Compiled:
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
        hook: wraps each pass function (`hook(pass) -> pass`), e.g. to time it.

    Returns:
        A `CompiledModel`, or a `RollingModel` for a model that rebalances, a `RobustModel`
        for one with uncertain quantities (a `WorstCaseAnalysis` without decisions); call
        `.solve()`.

    Raises:
        SpecError: any mistake in the model or its data, located in the model's text.
        NotADirectoryError: `data_dir` is not a folder.
    """
    compilation = _start(model, params, data_dir, base_dir, every, backend)
    return finished(run_passes(compilation, hook=hook))


def finished(c: Compilation) -> Compiled:
    """The model a full pass list has made (the last pass, or `route`, sets it)."""
    if c.compiled is None:
        raise RuntimeError("the pass list ended without a compiled model")
    return c.compiled


@deep_stack
def compile_up_to(model: ast.Model, name: str, params: Mapping[str, Any] | None = None,
                  data_dir: str | Path | None = None, base_dir: str | Path | None = None,
                  every: str | None = None, backend: str = "auto") -> Compilation:
    """The record after pass `name` (`saddle compile --emit PASS`), or after the pass that
    handed the model to its backend if that came first."""
    names = [step.__name__ for step in PASSES]
    if name not in names:
        raise ValueError(f"no pass '{name}': the passes are {', '.join(names)}")
    compilation = _start(model, params, data_dir, base_dir, every, backend)
    return run_passes(compilation, PASSES[: names.index(name) + 1])


def _start(model: ast.Model, params: Mapping[str, Any] | None, data_dir: str | Path | None,
           base_dir: str | Path | None, every: str | None, backend: str) -> Compilation:
    try:
        found = data_dir is None or Path(data_dir).is_dir()
    except PATH_ERRORS as exc:  # a name too long, say: said without echoing it whole
        raise NotADirectoryError(f"data folder '{shown_path(str(data_dir))}': "
                                 f"{path_problem(exc)}") from None
    if not found:
        raise NotADirectoryError(f"data folder not found: {shown_path(str(data_dir))}")
    folder = Path(base_dir) if base_dir is not None else source_folder(model.span.source.name)
    sandbox = Sandbox.for_model(folder, Path(data_dir) if data_dir is not None else None)
    return Compilation(model, params, sandbox, folder, data_dir, every, backend)


def _every(text: str | None) -> Every | None:
    from compiler.rolling.windows import Every

    if text is None:
        return None
    try:
        return Every.parse(text)
    except ValueError:
        raise ValueError(f"cannot rebalance every '{text}': use month, quarter, year, week "
                         f"or N days") from None
