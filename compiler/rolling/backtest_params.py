"""The parametric form of a rolling model, for a backtest's one compile (cvxpy DPP).

Every maximal sub-expression that is data and depends on the time set becomes a
`cp.Parameter` (`_Planner`); `previous(w)` becomes one too (the carried book). DPP forbids
a parameter times a parameter-dependent decision term, which is how models write scaling
(`cs01 @ coupon * days / year_days` is `((cs01 @ coupon) * days) / year_days`), so
`hoisted` first moves a scalar data factor into the data side of the product it scales:
`cs01 @ (coupon * days / year_days)`, one parameter. The rewrite is exact algebra (a scalar
commutes with `@`, `+`, `-`, `sum`); the backtest still checks the parametric objective
against the model's own at the second period (compiler/rolling/backtest.py `_agrees`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import cvxpy as cp
import numpy as np

from compiler.data.bindings import Bindings
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.passes import ir
from compiler.passes.shapes import Shapes
from compiler.passes.symbols import Symbol, SymbolKind

DECIDED = (SymbolKind.VARIABLE, SymbolKind.UNCERTAIN)
LINEAR_CALLS = ("sum",)  # sum(x * s) == sum(x) * s for a scalar s


def roots(model: ir.Model) -> list[ir.Expr]:
    """Every expression the lowering evaluates: objective, constraints, bounds, lets."""
    out = [model.objective.expr]
    for con in model.constraints:
        out += list(getattr(con.condition, "terms", ()))
        for option in getattr(con.condition, "options", ()):
            out += list(getattr(option, "terms", ()))
    for v in model.variables:
        out += [b for b in (v.lower, v.upper) if b is not None]
    return out + [d.value for d in model.lets]


def previous_calls(model: ir.Model) -> list[ir.Call]:
    """Every `previous(...)` in the model, in order of appearance."""
    found: list[ir.Call] = []
    stack = list(reversed(roots(model)))
    while stack:
        node = stack.pop()
        if isinstance(node, ir.Call) and node.func == "previous":
            found.append(node)
        stack.extend(reversed(list(ir.children(node))))  # in order
    return found


class _Facts:
    """Is a node data (no decision, no carried book, through lets)? Does it depend on
    the time set?"""

    def __init__(self, model: ir.Model, time_root: Symbol):
        self.time = time_root
        self.lets = {d.symbol: d for d in model.lets}
        self.memo: dict[int, tuple[bool, bool]] = {}

    def of(self, node: ir.Expr) -> tuple[bool, bool]:
        """(data, timed)."""
        key = id(node)
        if key not in self.memo:
            data, timed, stack, seen = True, False, [node], set()
            while stack:
                item = stack.pop()
                if isinstance(item, ir.Call) and item.func == "previous":
                    data = False
                if isinstance(item, ir.Ref):
                    symbol = item.symbol
                    data = data and symbol.kind not in DECIDED
                    timed = timed or symbol.root is self.time or any(
                        s.root is self.time for s in symbol.index)
                    if symbol in self.lets and symbol not in seen:
                        seen.add(symbol)
                        stack.append(self.lets[symbol].value)
                stack.extend(ir.children(item))
            self.memo[key] = (data, timed)
        return self.memo[key]

    def data(self, node: ir.Expr) -> bool:
        return self.of(node)[0]


class _Hoister:
    """`(x @ a) * s` -> `x @ (a * s)` for scalar data s (see the module docstring)."""

    def __init__(self, facts: _Facts, shapes: Shapes):
        self.facts, self.shapes = facts, shapes

    def scalar_data(self, node: ir.Expr) -> bool:
        return not self.shapes.of.get(node, (None,)) and self.facts.data(node)

    def _new(self, node: ir.Expr, like: ir.Expr) -> ir.Expr:
        self.shapes.of[node] = self.shapes.of[like]
        return node

    def hoist(self, node: ir.Expr) -> ir.Expr:
        if self.facts.data(node):
            return node
        if isinstance(node, ir.BinOp) and node.op in (ir.BinOperator.MUL, ir.BinOperator.DIV):
            pairs = [(node.left, node.right)]
            if node.op is ir.BinOperator.MUL:
                pairs.append((node.right, node.left))
            for rest, factor in pairs:
                if self.scalar_data(factor) and not self.facts.data(rest):
                    pushed = self.push(self.hoist(rest), factor, node.op)
                    if pushed is not None:
                        return self._new(pushed, node)
        return self.rebuilt(node)

    def rebuilt(self, node: ir.Expr) -> ir.Expr:
        if isinstance(node, ir.BinOp):
            left, right = self.hoist(node.left), self.hoist(node.right)
            if left is not node.left or right is not node.right:
                return self._new(replace(node, left=left, right=right), node)
        elif isinstance(node, ir.Neg):
            operand = self.hoist(node.operand)
            if operand is not node.operand:
                return self._new(replace(node, operand=operand), node)
        elif isinstance(node, ir.Call) and node.func in LINEAR_CALLS and node.args:
            first = self.hoist(node.args[0])
            if first is not node.args[0]:
                return self._new(replace(node, args=(first, *node.args[1:])), node)
        return node

    def push(self, node: ir.Expr, factor: ir.Expr, op: ir.BinOperator) -> ir.Expr | None:
        """`node op factor` with the factor moved onto data inside node, or None."""
        if self.facts.data(node):
            scaled = ir.BinOp(op=op, left=node, right=factor, span=node.span)
            return self._new(scaled, node)
        if isinstance(node, ir.Neg):
            inner = self.push(node.operand, factor, op)
            return None if inner is None else self._new(replace(node, operand=inner), node)
        if isinstance(node, ir.BinOp) and node.op in (ir.BinOperator.ADD, ir.BinOperator.SUB):
            left, right = self.push(node.left, factor, op), self.push(node.right, factor, op)
            if left is None or right is None:
                return None
            return self._new(replace(node, left=left, right=right), node)
        if isinstance(node, ir.BinOp) and node.op in (ir.BinOperator.MATMUL,
                                                       ir.BinOperator.MUL):
            if self.facts.data(node.right):  # data: push always succeeds
                right = self.push(node.right, factor, op)
                return None if right is None else self._new(replace(node, right=right), node)
            if self.facts.data(node.left):
                left = self.push(node.left, factor, op)
                return None if left is None else self._new(replace(node, left=left), node)
            return None
        if isinstance(node, ir.Call) and node.func in LINEAR_CALLS and len(node.args) == 1:
            inner = self.push(node.args[0], factor, op)
            if inner is None:
                return None
            return self._new(replace(node, args=(inner,)), node)
        return None


def hoisted(model: ir.Model, shapes: Shapes, time_root: Symbol) -> tuple[ir.Model, Shapes]:
    """The model with scalar data factors moved onto the data they scale (new nodes get
    their shapes in a copy of `shapes`)."""
    copy = Shapes(of=dict(shapes.of), lets=shapes.lets, constraints=shapes.constraints)
    hoister = _Hoister(_Facts(model, time_root), copy)
    lets = tuple(replace(d, value=hoister.hoist(d.value)) for d in model.lets)
    constraints = []
    for con in model.constraints:
        condition = con.condition
        if isinstance(condition, ir.Comparison):
            condition = replace(condition, terms=tuple(hoister.hoist(t)
                                                       for t in condition.terms))
        constraints.append(replace(con, condition=condition))
    objective = replace(model.objective, expr=hoister.hoist(model.objective.expr))
    return replace(model, lets=lets, constraints=tuple(constraints), objective=objective), copy


class NotParametric(Exception):
    """The expressions have no one-compile form over these windows (the reason)."""


class Planner:
    """Which nodes vary with the window: maximal data sub-expressions that depend on the
    time set (`nodes`, each a parameter), and those used as divisors."""

    def __init__(self, model: ir.Model, time_root: Symbol, starts: list[ir.Expr]):
        self.facts = _Facts(model, time_root)
        self.lets = self.facts.lets
        self.nodes: list[ir.Expr] = []
        self.divisors: list[ir.Expr] = []
        self.seen: set[int] = set()
        for root in starts:
            self.visit(root)

    def visit(self, node: ir.Expr) -> None:
        if id(node) in self.seen:
            return
        self.seen.add(id(node))
        data, timed = self.facts.of(node)
        if data:
            if timed and not (isinstance(node, ir.Ref) and node.symbol.kind is SymbolKind.SET):
                self.nodes.append(node)
            return
        if isinstance(node, ir.Call) and node.func == "previous":
            return  # the carried book: a parameter of its own
        if isinstance(node, ir.Ref) and node.symbol in self.lets:
            self.visit(self.lets[node.symbol].value)
            return
        for child in ir.children(node):
            self.visit(child)
        if isinstance(node, ir.BinOp) and node.op is ir.BinOperator.DIV and \
                any(node.right is n for n in self.nodes):
            self.divisors.append(node.right)


class ParametricEvaluator(Evaluator):
    """Lowers with the window-dependent nodes as cvxpy Parameters; `x / p` as `x * (1/p)`
    with 1/p a parameter of its own (dividing by a parameter would read its value)."""

    def __init__(self, base: Evaluator, parameters: dict[ir.Expr, Any],
                 reciprocals: dict[ir.Expr, cp.Parameter]):
        super().__init__(base.shapes, base.bindings, base.variables, base.lets)
        self.window_parameters, self.reciprocals = parameters, reciprocals
        if hasattr(base, "parameters"):  # a sweep's, by symbol (compiler/lowering/parametric.py)
            self.parameters = base.parameters

    def __call__(self, node: ir.Expr) -> Any:
        if node in self.window_parameters:
            value: Any = self.window_parameters[node]
        elif isinstance(node, ir.BinOp) and node.op is ir.BinOperator.DIV and \
                node.right in self.reciprocals:
            out = self.index(node)
            value = tensor.multiply(self.aligned(node.left, out), tensor.align(
                self.reciprocals[node.right], self.index(node.right), out))
        else:
            return super().__call__(node)
        self.lowered[node] = value
        return value


class WindowParameters:
    """The window-dependent nodes of some expressions as cvxpy Parameters, and their values
    in each window (the ordinary evaluator on the window's data; kept from the first pass
    up to STORED numbers in all, else evaluated again when the window comes).

    Raises:
        NotParametric: a node's value changes shape between windows (a series over windows
            of different lengths), or a divisor is 0 in some window.
    """

    STORED = 10_000_000  # numbers kept between the first pass and the loop (80 MB)

    def __init__(self, model: ir.Model, shapes: Shapes, time_root: Symbol,
                 starts: list[ir.Expr], window_of: Callable[[int], Bindings], count: int):
        planner = Planner(model, time_root, starts)
        self.shapes, self.window_of = shapes, window_of
        self.lets = {d.symbol: d for d in model.lets}
        # one parameter per name (`r` used twice is one matrix), else per expression
        keys = [n.symbol if isinstance(n, ir.Ref) else n for n in planner.nodes]
        unique = list(dict.fromkeys(keys))
        node_of = {k: n for n, k in reversed(list(zip(planner.nodes, keys, strict=True)))}
        self.nodes = [node_of[k] for k in unique]
        first = self._evaluate(0, self.nodes)
        fixed = [True] * len(unique)
        divisors = list(dict.fromkeys(d.symbol if isinstance(d, ir.Ref) else d
                                      for d in planner.divisors))
        at = [unique.index(k) for k in divisors]
        stored: list[list[np.ndarray]] | None = [first]
        for k in range(1, count):
            values = self._evaluate(k, self.nodes)
            if any(v.shape != f.shape for v, f in zip(values, first, strict=True)):
                raise NotParametric("the windows differ in length and the time axis meets "
                                    "a decision")
            fixed = [f and np.array_equal(v, w) for f, v, w in zip(fixed, values, first,
                                                                    strict=True)]
            if any(np.any(values[j] == 0) for j in at):
                raise NotParametric("a divisor is 0 in some window")
            if stored is not None:
                stored.append(values)
                if sum(v.size for v in first) * len(stored) > self.STORED:
                    stored = None
        # the same in every window (`count(day)` over a fixed lookback): a constant, which
        # keeps products such as `norm2(...) * sqrt(252 / count(day))` DPP
        self.varying = [j for j in range(len(unique)) if not fixed[j]]
        self.stored = (None if stored is None else
                       [[vs[j] for j in self.varying] for vs in stored])
        self.parameters = [cp.Parameter(first[j].shape) for j in self.varying]
        value_of = {k: (first[j] if fixed[j] else self.parameters[self.varying.index(j)])
                    for j, k in enumerate(unique)}
        self.by_node = {n: value_of[k] for n, k in zip(planner.nodes, keys, strict=True)}
        divisors = [k for k in divisors if not fixed[unique.index(k)]]
        self.at = [self.varying.index(unique.index(k)) for k in divisors]
        self.reciprocals = [cp.Parameter(self.parameters[k].shape) for k in self.at]
        self.reciprocal_of = {d: self.reciprocals[divisors.index(key)]
                              for d in planner.divisors
                              if (key := d.symbol if isinstance(d, ir.Ref) else d)
                              in divisors}

    def _evaluate(self, k: int, nodes: list[ir.Expr]) -> list[np.ndarray]:
        ev = Evaluator(self.shapes, self.window_of(k), lets=self.lets)
        return [np.asarray(ev(n), dtype=float) for n in nodes]

    def __len__(self) -> int:
        return len(self.parameters) + len(self.reciprocals)

    def set(self, k: int) -> None:
        """Give every parameter its value in window k."""
        values = (self.stored[k] if self.stored is not None else
                  self._evaluate(k, [self.nodes[j] for j in self.varying]))
        for parameter, value in zip(self.parameters, values, strict=True):
            parameter.value = value
        for parameter, at in zip(self.reciprocals, self.at, strict=True):
            parameter.value = 1.0 / values[at]

    def evaluator(self, base: Evaluator) -> ParametricEvaluator:
        return ParametricEvaluator(base, self.by_node, self.reciprocal_of)
