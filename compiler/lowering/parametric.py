"""Compile once, re-solve: a swept param as a cvxpy Parameter (DPP).

A sweep point used to be a whole compile (parse, bind, lower, canonicalize) plus a solve.
Here the model is compiled once with the swept param lowered to a `cp.Parameter`; each point
sets the Parameter's value and solves the same `cp.Problem`, which cvxpy re-solves from its
cached parametrized program without canonicalizing again.

That is only exact if the param's value reaches the problem through the Parameter alone. So
the compile watches every other read of the param's bound value after binding (exact forms,
bounds, `cvar`'s level, a param computed from it...): any such read, a model that is not DPP
with the Parameter, a robust or rolling model, or any error means "re-compile per point",
with the reason in the sweep's notes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np

from compiler.lowering.swept import lowering_with
from compiler.passes import ir
from compiler.passes.symbols import Symbol
from compiler.passes.unit_values import outside_value
from dsl.depth import deep_stack
from dsl.errors import SpecError


class _Refused(Exception):
    """A model the Parameter path does not take, found before it is compiled."""


class _WatchedValues(dict[Symbol, Any]):
    """`Bindings.values`, counting reads of one symbol's value after binding: by key, and
    by any copy or walk over all values (`{**values}`, `dict(values)`, `.items()`), since
    a copy handed to another evaluator would read the number unseen. Overriding
    `__iter__` takes the dict off CPython's copy fast path, so a copy goes through
    `__getitem__`."""

    def __init__(self, values: dict[Symbol, Any], watched: Symbol):
        super().__init__(values)
        self.watched, self.reads = watched, 0

    def _read(self) -> None:
        self.reads += 1

    def __getitem__(self, key: Any) -> Any:
        if key == self.watched:
            self._read()
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        if key == self.watched:
            self._read()
        return super().get(key, default)

    def __iter__(self) -> Iterator[Any]:
        return super().__iter__()

    def items(self) -> Any:
        self._read()
        return super().items()

    def values(self) -> Any:
        self._read()
        return super().values()

    def copy(self) -> dict[Symbol, Any]:
        self._read()
        return dict(super().items())


@dataclass
class Parametric:
    """A model compiled once with param `name` as `parameter`; `at(value)` readies a point."""

    compiled: Any  # a CompiledModel
    symbol: Symbol
    definition: ir.ParamDef
    parameter: cp.Parameter

    def bound(self, value: float) -> np.ndarray:
        """The param's value as binding stores it (declared unit converted, broadcast)."""
        return bound_value(self.compiled.bindings, self.definition, value)

    def at(self, value: float) -> Any:
        """The compiled model with the param at `value` (the same object, re-valued)."""
        array = self.bound(value)
        self.parameter.value = array
        dict.__setitem__(self.compiled.bindings.values, self.symbol, array)
        return self.compiled


def bound_value(bindings: Any, definition: ir.ParamDef, value: float) -> np.ndarray:
    """What `bind` stores for `--param NAME=value` (a number), without binding again."""
    symbol = definition.symbol
    given, scale = outside_value(value, definition.unit, symbol)
    sizes = tuple(bindings.size(s) for s in symbol.index)
    array = np.asarray(given, dtype=float)
    if array.shape == () and sizes:
        array = np.full(sizes, float(array))
    return array * scale


def _sign(values: Sequence[float]) -> dict[str, bool]:
    """Sign attributes every value of the grid shares: `p * abs(x)` is DCP only when the
    sign of p is known."""
    if all(v >= 0 for v in values):
        return {"nonneg": True}
    if all(v <= 0 for v in values):
        return {"nonpos": True}
    return {}


@deep_stack
def compile_parametric(compile_job: Callable[..., Any], name: str, values: Sequence[float]
                       ) -> Parametric | str:
    """The model compiled once with `name` as a Parameter, or the reason it cannot be.

    `compile_job(params, hook)` compiles the model with `params` as overrides and `hook`
    around each pass (compiler/pipeline.py), at the grid's first value.
    """
    from compiler.backends.plain import CompiledModel  # the pipeline's, imported lazily like it

    state: dict[str, Any] = {}

    def hook(step: Callable[[Any], None]) -> Callable[[Any], None]:
        def run(c: Any) -> None:
            if step.__name__ == "route" and (c.every is not None or c.resolved.rebalance
                                             is not None or c.resolved.uncertains):
                raise _Refused("robust and rolling models re-compile at every point")
            if step.__name__ == "lower_problem":
                with lowering_with(state.get("parameters", {})):
                    step(c)
                return
            step(c)
            if step.__name__ == "bind_data":
                _watch(c, name, values, state)
        return run

    try:
        compiled = compile_job({name: values[0]}, hook)
    except _Refused as exc:  # before the backend builds anything
        return str(exc)
    except Exception as exc:  # any failure with a Parameter: the per-point compile decides
        return f"the model does not compile with '{name}' as a cvxpy Parameter ({_why(exc)})"
    if not isinstance(compiled, CompiledModel):
        return "robust and rolling models re-compile at every point"
    if "watched" not in state:
        return f"'{name}' is not a numeric param that a number replaces"
    if state["watched"].reads:
        return (f"'{name}' is also used as a number when the model is compiled (an exact "
                "form, a bound, a function's argument or another param)")
    parameter = state["parameters"][state["symbol"]]
    if not any(p is parameter for p in compiled.problem.parameters()):
        return f"'{name}' does not reach the problem"
    if not compiled.problem.is_dpp():
        return f"the problem is not DPP with '{name}' as a parameter"
    compiled.fixed_duals = False  # a sweep's rows have no duals: no re-solve for them
    return Parametric(compiled, state["symbol"], state["definition"], parameter)


def _why(exc: Exception) -> str:
    """Where the Parameter was refused: the diagnostic's code and line, or cvxpy's words."""
    if isinstance(exc, SpecError) and exc.diagnostics:
        first = exc.diagnostics[0]
        return f"{first.code} at line {first.span.line}: {first.message}"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _watch(c: Any, name: str, values: Sequence[float], state: dict[str, Any]) -> None:
    """After binding: the Parameter for `name`, checked against the bound value, and the
    watch on every other read of that value."""
    definition = next((d for d in c.resolved.params if d.symbol.name == name), None)
    if definition is None:
        return
    bindings, symbol = c.bindings, definition.symbol
    first = bindings.values[symbol]
    if np.asarray(first).dtype.kind != "f" or not np.array_equal(
            bound_value(bindings, definition, values[0]), first):
        return  # a value binding converts in a way bound_value does not: re-compile
    grid = [float(v) for v in np.ravel([bound_value(bindings, definition, v)
                                        for v in values])]
    parameter = cp.Parameter(np.shape(first), name=name, value=first, **_sign(grid))
    state.update(symbol=symbol, definition=definition, parameters={symbol: parameter})
    bindings.values = state["watched"] = _WatchedValues(bindings.values, symbol)
