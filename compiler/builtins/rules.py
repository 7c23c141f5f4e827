"""Shape and units rules that several builtins share, and the lowering helpers they use.

A rule is a `ShapeRule` / `UnitsRule` object: its function and its one-line doc (the
docs table's "index" and "units" columns), so the table cannot drift from the checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import cvxpy as cp
import numpy as np

from compiler.builtins.registry import Index, ShapeCall, ShapeRule, UnitCall, UnitsRule, Value
from compiler.lowering import tensor
from compiler.passes import ir
from compiler.passes.alignment import check_alignment
from compiler.passes.dimensions import PURE, TIMES, Dim, combine
from compiler.passes.symbols import Symbol, SymbolKind, index_text
from dsl.errors import error

if TYPE_CHECKING:
    from compiler.lowering.evaluate import Evaluator


def union(left: Index, right: Index) -> Index:
    return left + tuple(s for s in right if s not in left)


# ---- shape rules ----

def reduce_over(call: ShapeCall, keep: bool = False) -> Index:
    """`f(x, over = S)`: x's sets less S (or all of x's, `keep`); E303 if S is not one."""
    node, arg = call.node, call.args[0]
    over = node.kwarg("over")
    if not (isinstance(over, ir.Ref) and over.symbol.kind is SymbolKind.SET):
        raise error("E303", "'over' needs an index set", (over or node).span,
                    "name one of the argument's index sets, as in `sum(x, over = tenor)`")
    if over.symbol not in arg:
        raise error("E303", f"'{over.symbol.name}' is not an index set of the argument, "
                    f"which is indexed by {index_text(arg)}", over.span,
                    f"choose one of {index_text(arg)}")
    return arg if keep else tuple(s for s in arg if s is not over.symbol)


def _reduction(call: ShapeCall) -> Index:
    if call.node.kwarg("over") is not None:
        return reduce_over(call)
    if len(call.args) == 2:  # max(a, b), min(a, b): elementwise
        check_alignment(call.of, call.node, list(call.node.args), call.args)
        return union(call.args[0], call.args[1])
    return ()


def _end(call: ShapeCall) -> Index:
    if call.node.kwarg("over") is not None:
        return reduce_over(call)
    if len(call.args[0]) > 1:
        func = call.node.func
        raise error("E303", f"'{func}' of a value indexed by {index_text(call.args[0])}",
                    call.node.span, f"say which set with `{func}(x, over = S)`")
    return ()


def _along(call: ShapeCall) -> Index:
    return reduce_over(call, keep=True) if call.node.kwarg("over") is not None else call.args[0]


REDUCTION = ShapeRule("scalar; with `over = S`, x's sets less S", _reduction)
EXTREMUM = ShapeRule("scalar; with `over = S`, x's sets less S; (a, b): the union of a's "
                     "and b's", _reduction)
END = ShapeRule("scalar (x on one set); with `over = S`, x's sets less S", _end)
ALONG = ShapeRule("x's", _along, passes_context=True)
ELEMENTWISE = ShapeRule("x's", lambda call: call.args[0], passes_context=True)
SCALAR = ShapeRule("scalar", lambda call: ())
FIRST_ARGUMENT = ShapeRule("the argument's", lambda call: call.args[0])
DECLARED = ShapeRule("the declaration's", lambda call: call.context or ())
CHECKED_ELSEWHERE = ShapeRule("the declaration's (checked by its own pass)", lambda call: ())


# ---- units rules ----

def _same_or_keep(call: UnitCall) -> Dim:
    if len(call.node.args) == 2:  # max(a, b), min(a, b)
        return call.same(call.node.args, call.node.span)
    return call.args[-1]


KEEP = UnitsRule("x's", lambda call: call.args[-1])
KEEP_OR_SAME = UnitsRule("x's; (a, b): the one of a and b", _same_or_keep)
SQUARED = UnitsRule("x's squared", lambda call: combine(TIMES, call.args[0], call.args[0]))
PRODUCT = UnitsRule("a's times b's", lambda call: combine(TIMES, call.args[0], call.args[1]))
PURE_IF_PURE = UnitsRule("dimensionless if x is",
                         lambda call: PURE if call.args[0] == PURE else None)
DIMENSIONLESS = UnitsRule("dimensionless", lambda call: PURE)
UNKNOWN = UnitsRule("unknown (fits any)", lambda call: None)


def keep(doc: str) -> UnitsRule:
    """The last argument's dimension, described as `doc` (the losses', M's)."""
    return replace(KEEP, doc=doc)


# ---- lowering helpers ----

def over_axis(ev: Evaluator, node: ir.Call) -> int | None:
    over = node.kwarg("over")
    if over is None:
        return None
    if not isinstance(over, ir.Ref):  # shapes guarantees a set reference
        raise RuntimeError("'over' is not a set reference")
    return ev.index(node.args[0]).index(over.symbol)


def axis_or_only(ev: Evaluator, node: ir.Call) -> int:
    axis = over_axis(ev, node)
    return 0 if axis is None else axis


def batch_axis(ev: Evaluator, node: ir.Call) -> Symbol | None:
    """The batch axis (rolling windows) a full reduction must keep, if its argument has one."""
    if node.kwarg("over") is None and ev.batch is not None and \
            ev.batch in ev.index(node.args[0]):
        return ev.batch
    return None


def flat(value: Value) -> Value:
    if tensor.is_expr(value):
        # a scalar too: callers index the result (a weighted log-sum-exp of one term)
        return cp.vec(value, order="C") if len(value.shape) != 1 else value
    return np.ravel(value)


def elementwise(numeric: Callable[[np.ndarray], Value], atom: Callable[[Value], Value]
                ) -> Callable[[Evaluator, ir.Call], Value]:
    """numpy on data, the cvxpy atom on a decision expression."""
    def lower(ev: Evaluator, node: ir.Call) -> Value:
        value = ev(node.args[0])
        return atom(value) if tensor.is_expr(value) else numeric(np.asarray(value))
    return lower


def whole(numeric: Callable[[np.ndarray], Value], atom: Callable[[Value], Value]
          ) -> Callable[[Evaluator, ir.Call], Value]:
    """A scalar atom of all the argument's elements (norms)."""
    def lower(ev: Evaluator, node: ir.Call) -> Value:
        value = flat(ev(node.args[0]))
        return atom(value) if tensor.is_expr(value) else np.float64(numeric(value))
    return lower
