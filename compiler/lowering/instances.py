"""A copy of an uncertain quantity as cvxpy variables, with the rows that keep it in its set.

Both robust paths need copies (DSP one per robust constraint, the worst-case analysis one
per question); the bounds, flags and block constraints of the `uncertain` declaration are
lowered here, once.
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp

from compiler.data.bindings import Bindings
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.lowering.lower import comparison_rows
from compiler.passes import ir
from compiler.passes.shapes import Shapes
from compiler.passes.symbols import Symbol
from compiler.uncertainty.base import Instance, UncertaintySet
from dsl.errors import Diagnostics


def set_instance(model: ir.Model, shapes: Shapes, bindings: Bindings,
                 sets: dict[Symbol, UncertaintySet], u: Symbol, make: Any) -> Instance:
    """A fresh copy of `u` (variables from `make`) constrained to its set."""
    definition = next(d for d in model.uncertains if d.symbol is u)
    lets = {d.symbol: d for d in model.lets}
    sizes = tuple(bindings.size(s) for s in u.index)

    def block_rows(expression: cp.Expression) -> list[cp.Constraint]:
        ev = Evaluator(shapes, bindings, {u: expression}, lets)
        rows = []
        for node, op in ((definition.lower, ir.Relation.GE),
                         (definition.upper, ir.Relation.LE)):
            if node is not None:
                bound = tensor.broadcast(ev(node), ev.index(node), u.index, sizes)
                rows.append(expression >= bound if op is ir.Relation.GE
                            else expression <= bound)
        if not sets[u].flags_on_variable:  # else the variable carries them
            if "nonneg" in definition.flags:
                rows.append(expression >= 0)
            if "nonpos" in definition.flags:
                rows.append(expression <= 0)
        for con in definition.constraints:
            rows += comparison_rows(ev, con.condition, shapes, bindings)
        return rows

    return sets[u].instance(make, block_rows)


def check_convex_lines(model: ir.Model, shapes: Shapes, bindings: Bindings,
                       sets: dict[Symbol, UncertaintySet]) -> None:
    """E410 at each line of an uncertain block that is not convex (`u * u >= 1`): both
    paths hand the adversary's set to a convex solver, which would reject it unlocated."""
    diags = Diagnostics()
    lets = {d.symbol: d for d in model.lets}
    for definition in model.uncertains:
        u = definition.symbol
        if not definition.constraints or u not in sets:
            continue
        expression = sets[u].instance(cp.Variable, lambda _: []).expression
        ev = Evaluator(shapes, bindings, {u: expression}, lets)
        for con in definition.constraints:
            rows = comparison_rows(ev, con.condition, shapes, bindings)
            if not all(row.is_dcp() for row in rows):
                diags.add("E410", f"line '{con.name}' of the set of '{u.name}' is not "
                          "convex as written: the set must be convex", con.span,
                          "write each line as convex <= data (`norm2(u) <= r`, `square(u) <= "
                          "c`, not `u * u <= c`) or linear; `square(u) >= c` cuts a hole in "
                          "the set")
    diags.raise_if_any()
