"""Rolling windows as one vectorized problem: a window axis on every decision.

The windows of a rolling model are independent, so they can be one problem whose
decisions carry a window set W (`cs01[W, index]`). This works when the time set only
reaches the decisions through data that is reduced over it: each maximal data-only
sub-expression that depends on the time set but is not indexed by it (an *aggregate*:
`sum(desk)`, `first(spread, over = day)`, `count(day)`) is computed per window with numpy
and stacked along W. Everything else is evaluated once, with W as a batch axis that full
reductions keep and `@` never sums over. One lowering, one canonicalization, one solve.

`lift` returns None (and the caller stacks per-window problems instead) when the time axis
meets a decision before it is reduced, or an atom has no batched form here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np

from compiler.builtins import lookup
from compiler.data.bindings import Bindings
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.passes import ir
from compiler.passes.shapes import Shapes, contraction
from compiler.passes.symbols import Symbol, SymbolKind
from dsl import ast
from dsl.source import synthetic_span

DECIDED = {SymbolKind.VARIABLE, SymbolKind.UNCERTAIN}


class _NotLiftable(Exception):
    pass


@dataclass
class Lifted:
    """The analysis: aggregates to compute per window, and the lifted index of each node."""

    window: Symbol
    aggregates: list[ir.Expr]
    shapes: Shapes
    original: Shapes


class _Analysis:
    def __init__(self, model: ir.Model, shapes: Shapes, time_root: Symbol):
        self.model, self.shapes, self.time = model, shapes, time_root
        self.lets = {d.symbol: d for d in model.lets}
        self.aggregates: list[ir.Expr] = []
        self.carries: dict[ir.Expr, bool] = {}
        self.let_carries: dict[Symbol, bool] = {}

    def refs(self, node: ir.Expr) -> list[ir.Ref]:
        out, stack = [], ir.refs(node)
        while stack:
            ref = stack.pop()
            out.append(ref)
            if ref.symbol in self.lets:
                stack.extend(ir.refs(self.lets[ref.symbol].value))
        return out

    def is_data(self, node: ir.Expr) -> bool:
        return not any(r.symbol.kind in DECIDED for r in self.refs(node))

    def timed(self, node: ir.Expr) -> bool:
        return any(r.symbol.root is self.time or any(s.root is self.time
                                                     for s in r.symbol.index)
                   for r in self.refs(node))

    def has_time_axis(self, node: ir.Expr) -> bool:
        return any(s.root is self.time for s in self.shapes.of[node])

    def visit(self, node: ir.Expr) -> bool:
        """Classify `node`; True if it carries the window axis."""
        if node in self.carries:
            return self.carries[node]
        if self.is_data(node):
            if not self.timed(node):
                carries = False
            elif self.has_time_axis(node):
                raise _NotLiftable("the time axis meets a decision before it is reduced")
            else:
                self.aggregates.append(node)
                carries = True
        else:
            carries = self.decision(node)
        self.carries[node] = carries
        return carries

    def decision(self, node: ir.Expr) -> bool:
        if isinstance(node, ir.Ref):
            if node.symbol.kind is SymbolKind.LET:
                definition = self.lets[node.symbol]
                if node.symbol not in self.let_carries:
                    self.let_carries[node.symbol] = self.visit(definition.value)
                return True
            if node.symbol.kind is SymbolKind.UNCERTAIN:
                raise _NotLiftable("uncertain quantities")
            return True
        if isinstance(node, ir.Neg):
            self.visit(node.operand)
            return True
        if isinstance(node, ir.BinOp):
            pairs = contraction(self.shapes.of[node.left], self.shapes.of[node.right])
            if node.op is ir.BinOperator.MATMUL and any(a is not b for a, b in pairs):
                raise _NotLiftable("'@' over an alias pair")
            self.visit(node.left)
            self.visit(node.right)
            return True
        builtin = lookup(node.func) if isinstance(node, ir.Call) else None
        if isinstance(node, ir.Call) and builtin is not None and builtin.batched:
            for arg in node.args:
                self.visit(arg)
            return True
        raise _NotLiftable(f"'{type(node).__name__}' of decisions has no batched form")


def lift(model: ir.Model, shapes: Shapes, time_set: Symbol, windows: int) -> Lifted | None:
    """The vectorized form of a rolling model, or None if it has none (see the docstring)."""
    if model.uncertains or any(isinstance(c.condition, ir.Disjunction) or _absolute(c)
                               for c in model.constraints):
        return None  # uncertainty and exact forms are per-window constructs
    analysis = _Analysis(model, shapes, time_set.root)
    roots = [model.objective.expr] + [t for c in model.constraints
                                      for t in c.condition.terms]  # type: ignore[union-attr]
    for v in model.variables:
        roots += [b for b in (v.lower, v.upper) if b is not None]
    try:
        for node in roots:
            analysis.visit(node)
    except _NotLiftable:
        return None
    window = Symbol("window", SymbolKind.SET, synthetic_span(),
                    decl=ast.SetDecl(name="window", value=ast.Number(value=windows)))
    lifted = Shapes(of={}, lets={}, constraints={})
    for node, index in shapes.of.items():
        lifted.of[node] = (window,) + index if analysis.carries.get(node) else index
    for symbol, index in shapes.lets.items():
        lifted.lets[symbol] = (window,) + index if analysis.let_carries.get(symbol) else index
    for con in model.constraints:
        lifted.constraints[con.name] = (window,) + shapes.constraints[con.name]
    return Lifted(window, analysis.aggregates, lifted, shapes)


def _absolute(con: ir.Constraint) -> bool:
    """`abs(x) >= a`-style constraints compile to exact mixed-integer forms per window."""
    terms = con.condition.terms if isinstance(con.condition, ir.Comparison) else ()
    return any(isinstance(t, ir.Call) and t.func == "abs" for t in terms) and any(
        op is ir.Relation.GE or op is ir.Relation.LE for op in con.condition.ops)  # type: ignore[union-attr]


class LiftedEvaluator(Evaluator):
    """Evaluates with the window axis: aggregates come stacked, decisions carry W."""

    def __init__(self, lifted: Lifted, bindings: Bindings, values: dict[ir.Expr, Any],
                 variables: Mapping[Symbol, cp.Expression], lets: dict[Symbol, ir.LetDef]):
        super().__init__(lifted.shapes, bindings, variables, lets)
        self.batch = lifted.window
        self.window = lifted.window
        self.original = lifted.original
        self.stacked = values

    def __call__(self, node: ir.Expr) -> Any:
        if node in self.stacked:
            self.lowered[node] = self.stacked[node]
            return self.stacked[node]
        return super().__call__(node)

    def pairs(self, node: ir.BinOp) -> list[tuple[Symbol, Symbol]]:
        return contraction(self.original.of[node.left], self.original.of[node.right])


def stack_aggregates(lifted: Lifted, per_window: list[Evaluator]) -> dict[ir.Expr, Any]:
    """Each aggregate evaluated in every window, stacked along the window axis."""
    return {node: np.stack([np.asarray(ev(node), dtype=float) for ev in per_window])
            for node in lifted.aggregates}


def lifted_bound(evaluate: LiftedEvaluator, node: ir.Expr, symbol: Symbol,
                 shape: tuple[int, ...]) -> Any:
    """A variable bound broadcast over (window, index)."""
    target = (evaluate.window,) + symbol.index
    return tensor.broadcast(evaluate(node), evaluate.index(node), target, shape)
