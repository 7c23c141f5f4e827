"""`saddle compile FILE --emit PASS`: what each pass of compiler/pipeline.py has made.

The passes run in their real loop (`run_passes`) up to the one named; this module only
reads the `Compilation` record they filled. After `route`, a robust, rolling or no-decision
model is its backend's own object, shown by its `emit()`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from compiler.backends.solver_choice import problem_class
from compiler.passes.dimensions import describe as dim_text
from compiler.passes.symbols import SymbolKind, index_text
from compiler.pipeline import PASSES, Compilation, compile_up_to, finished
from dsl import ast


def pass_names() -> tuple[str, ...]:
    return tuple(step.__name__ for step in PASSES)


def emit_pass(model: ast.Model, name: str, **options: object) -> str:
    """Run the pipeline through pass `name` and describe the record it leaves."""
    c = compile_up_to(model, name, **options)
    if c.compiled is not None:  # `route` handed the model to its backend
        return c.compiled.emit()
    return DESCRIBE[name](c)


def _resolved(c: Compilation) -> str:
    model = c.need(c.resolved, "the resolved model")
    lines = [f"model {model.name}: {len(model.symbols)} names"]
    for symbol in model.symbols.values():
        alias = f" = alias of {symbol.alias_of.name}" if symbol.alias_of else ""
        lines.append(f"{symbol.kind.value:<10} {symbol.name}{alias}  "
                     f"(line {symbol.span.line})")
    return "\n".join(lines)


def _shapes(c: Compilation) -> str:
    model, shapes = c.need(c.resolved, "the resolved model"), c.need(c.shapes, "shapes")
    lines = [f"model {model.name}: index sets"]
    for symbol in model.symbols.values():
        if symbol.kind is not SymbolKind.SET:
            lines.append(f"{symbol.kind.value:<10} {symbol.name} "
                         f"{index_text(shapes.index(symbol))}")
    lines.append(f"objective  {model.objective.name} "
                 f"{index_text(shapes.of[model.objective.expr])}")
    lines += [f"constraint {n} {index_text(i)}" for n, i in shapes.constraints.items()]
    return "\n".join(lines)


def _units(c: Compilation) -> str:
    units = c.need(c.units, "units")
    lines = ["dimensions of the named quantities (and each param's scale to base units)"]
    for symbol, dim in units.symbols.items():
        scale = units.scales.get(symbol)
        shown = f"  x{scale:g}" if scale is not None and scale != 1 else ""
        lines.append(f"{symbol.kind.value:<10} {symbol.name}: {dim_text(dim)}{shown}")
    return "\n".join(lines)


def _bindings(c: Compilation) -> str:
    bindings = c.need(c.bindings, "the data")
    lines = ["sets and data, as bound"]
    for symbol, labels in bindings.labels.items():
        shown = ", ".join(str(label) for label in labels[:4])
        more = ", ..." if len(labels) > 4 else ""
        lines.append(f"set   {symbol.name}: {len(labels)} labels ({shown}{more})")
    for symbol, value in bindings.values.items():
        array = np.asarray(value)
        first = np.ravel(array)[:4]
        lines.append(f"data  {symbol.name}: shape {array.shape}, first "
                     f"{np.array2string(first, precision=6, separator=', ')}")
    return "\n".join(lines)


def _route(c: Compilation) -> str:
    return "route: a plain problem (no uncertain quantities, no rebalancing): lowered next"


def _exact(c: Compilation) -> str:
    exact = c.need(c.exact, "the exact forms")
    if not exact:
        return "exact forms: none (no nonconvex constraint needs one)"
    return "\n".join(f"{name}: {form.note()}" for name, form in exact.items())


def _lowered(c: Compilation) -> str:
    lowered = c.need(c.lowered, "lowering")
    lines = [f"objective: {lowered.objective}"]
    for name, parts in lowered.parts.items():
        lines += [f"{name}: {part.constraint}" for part in parts]
    lines += [f"bound: {row}" for row in lowered.extra]
    return "\n".join(lines)


def _problem(c: Compilation) -> str:
    problem = c.need(c.problem, "the problem")
    return (f"convex ({problem_class(problem)}): {len(problem.variables())} variables, "
            f"{len(problem.constraints)} constraints, DCP {problem.is_dcp()}")


def _assembled(c: Compilation) -> str:
    return finished(c).emit()


DESCRIBE: dict[str, Callable[[Compilation], str]] = {
    "resolve_names": _resolved, "infer_shapes": _shapes, "infer_units": _units,
    "bind_data": _bindings, "route": _route, "find_exact": _exact,
    "lower_problem": _lowered, "check_convexity": _problem, "assemble": _assembled}
