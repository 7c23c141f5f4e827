"""`previous(w)`: the book a rolling model holds going into a rebalance.

In a backtest (compiler/rolling/backtest.py) it is the decision of the period before, carried
forward, so turnover and trading costs are charged against the book actually held; the
first period starts from `initial =` (default flat). Anywhere else (`saddle solve`, each
window of a rolling solve) it is that initial book. To the problem it is data: a constant,
or a cvxpy Parameter the backtest updates between periods (one compile, DPP).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from compiler.builtins.registry import (
    Builtin,
    Index,
    ShapeCall,
    ShapeRule,
    UnitCall,
    UnitsRule,
    Value,
    register,
    signature,
)
from compiler.lowering import tensor
from compiler.passes import ir
from compiler.passes.dimensions import Dim
from compiler.passes.symbols import SymbolKind, index_text
from dsl.errors import error

if TYPE_CHECKING:
    from compiler.lowering.evaluate import Evaluator

# The attribute of an `Evaluator` a backtest sets: {variable symbol: the carried book}.
CARRIED = "carried_books"


def held_variable(node: ir.Call) -> ir.Ref:
    """The decision variable `previous(...)` names (E208 if it names anything else)."""
    arg = node.args[0] if node.args else node
    if not (isinstance(arg, ir.Ref) and arg.symbol.kind is SymbolKind.VARIABLE):
        raise error("E208", "previous(...) takes the name of a decision variable", arg.span,
                    "write previous(w) for a `variable w[...]`: the book held going in")
    return arg


def _shape(call: ShapeCall) -> Index:
    held = held_variable(call.node).symbol
    call.infer(call.node.args[0], None)
    initial = call.node.kwarg("initial")
    if initial is not None:
        index = call.infer(initial, held.index)
        extra = [s for s in index if s not in held.index]
        if extra:
            raise error("E303", f"the initial book is indexed by {index_text(index)}, "
                        f"but '{held.name}' by {index_text(held.index)}", initial.span,
                        f"give the initial book on the index of '{held.name}' (or a number)")
    return held.index


def _units(call: UnitCall) -> Dim:
    """The initial book is in the variable's units."""
    initial = call.node.kwarg("initial")
    if initial is not None:
        return call.same((call.node.args[0], initial), initial.span)
    return call.args[0]


def _lower(ev: Evaluator, node: ir.Call) -> Value:
    held = held_variable(node).symbol
    carried = getattr(ev, CARRIED, None)
    if carried is not None and held in carried:
        return carried[held]
    return initial_book(ev, node)


def initial_book(ev: Evaluator, node: ir.Call) -> np.ndarray:
    """`initial =` broadcast over the variable's index; zeros (flat) when not given."""
    held = held_variable(node).symbol
    shape = ev.sizes(held.index)
    initial = node.kwarg("initial")
    if initial is None:
        return np.zeros(shape)
    value = ev.constant(initial, "the initial book")
    return np.asarray(tensor.broadcast(value, ev.index(initial), held.index, shape),
                      dtype=float)


register(
    Builtin(name="previous", signature=signature(1, 1, "initial",
                                                 usage="previous(w, initial = w0)"),
            doc="the book held going into a rebalance: in a backtest the decision of the "
                "period before; elsewhere (and in the first period) `initial` (default 0)",
            shape=ShapeRule("w's", _shape, own_arguments=True), units=UnitsRule("w's", _units),
            lower=_lower, section="data"),
)
