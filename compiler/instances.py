"""A copy of an uncertain quantity as cvxpy variables, with the rows that keep it in its set.

Both robust paths need copies (DSP one per robust constraint, the worst-case analysis one
per question); the bounds, flags and block constraints of the `uncertain` declaration are
lowered here, once.
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp

from compiler import ir, tensor
from compiler.bindings import Bindings
from compiler.evaluate import Evaluator
from compiler.lower import comparison_rows
from compiler.sets import Instance, UncertaintySet
from compiler.shapes import Shapes
from compiler.symbols import Symbol


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
        if sets[u].kind not in ("block", "polyhedron"):  # a block's variable has its flags
            if "nonneg" in definition.flags:
                rows.append(expression >= 0)
            if "nonpos" in definition.flags:
                rows.append(expression <= 0)
        for con in definition.constraints:
            rows += comparison_rows(ev, con.condition, shapes, bindings)
        return rows

    return sets[u].instance(make, block_rows)
