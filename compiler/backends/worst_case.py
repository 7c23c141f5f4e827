"""The adversary's choice, by name: what `Result.worst_case` and the lets report.

For the counterpart path the worst case is each row's maximizer over its set (from the
coefficient matrices kept in `RobustRow`s); for DSP, the adversary's variables' values.
Lets that mention an uncertain quantity are evaluated at the objective's worst case.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compiler.backends.plain import labelled
from compiler.lowering.evaluate import Evaluator
from compiler.passes import ir
from compiler.passes.symbols import Symbol
from compiler.report.result import Result

if TYPE_CHECKING:
    from compiler.backends.dsp import RobustModel


def adversary_choice(robust: RobustModel) -> dict[str, Any]:
    """The adversary's choice for the objective and each robust row, by name and label."""
    collected: dict[tuple[str, Symbol], list[np.ndarray]] = {}
    if robust.backend == "counterpart":
        for row in robust.rows:
            for u, matrix in row.coef.items():
                a = np.atleast_2d(np.asarray(matrix.value, dtype=float)) * row.sign
                collected.setdefault((row.name, u), []).extend(
                    robust.sets[u].argmax(a_i) for a_i in a)
    else:
        for name, instances in robust.instances.items():
            for instance in instances:
                value = instance.expression.value
                if value is not None:
                    collected.setdefault((name, instance.symbol), []).append(
                        np.asarray(value, dtype=float).reshape(-1))
    out: dict[str, Any] = {}
    for (name, u), values in collected.items():
        _put(robust, out, name, u, np.array(values))
    return out


def _put(robust: RobustModel, out: dict[str, Any], name: str, u: Symbol,
         values: np.ndarray) -> None:
    """One row per element of the objective or constraint: a Series for one, else a
    DataFrame (rows: the constraint's elements in order; columns: u's labels)."""
    labels = robust.bindings.labels_of(u.index[0]) if len(u.index) == 1 else None
    entry = out.setdefault(name, {})
    if values.shape[0] == 1:
        flat = values[0]
        entry[u.name] = (pd.Series(flat, index=labels) if labels is not None
                         else float(flat[0]) if flat.size == 1 else flat.tolist())
    else:
        entry[u.name] = pd.DataFrame(values, index=_elements(robust, name, values.shape[0]),
                                     columns=labels)


def _elements(robust: RobustModel, name: str, count: int) -> list[str] | None:
    """The labels of a constraint's elements, in order ("a" or "a, 1"; None if unknown)."""
    index = robust.shapes.constraints.get(name.split(" (part ")[0])
    if not index or math.prod(robust.bindings.size(s) for s in index) != count:
        return None
    return [", ".join(str(x) for x in labels) for labels in
            itertools.product(*[robust.bindings.labels_of(s) for s in index])]


def lets_at_worst_case(robust: RobustModel, result: Result) -> None:
    """Lets of the uncertain quantities the lowering could not hold (the counterpart
    path has no variable for them): reported at the decision and the objective's
    worst case."""
    chosen = result.worst_case.get("objective", {})
    missing = [d for d in robust.model.lets if d.symbol.name not in result.values]
    if not missing or any(u.name not in chosen for u in robust.sets):
        return
    point = {s: np.asarray(v.value, dtype=float) for s, v in
             robust.compiled.lowered.variables.items() if v.value is not None}
    point.update({u: np.asarray(chosen[u.name], dtype=float).reshape(
        robust.bindings_shape(u.index)) for u in robust.sets})
    ev = Evaluator(robust.shapes, robust.bindings, point,
                   {d.symbol: d for d in robust.model.lets})
    for definition in missing:
        value = ev(ir.Ref(symbol=definition.symbol, span=definition.symbol.span))
        result.values[definition.symbol.name] = labelled(
            robust.bindings, value, robust.shapes.index(definition.symbol))
