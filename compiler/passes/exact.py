"""Stage 5 of 8: exact nonconvex forms. Input: `ir.Model`, `Bindings`. Output: `ExactForm`s.
Errors: E404 (no finite bound), E405 (not on a decision variable).

`abs(x) >= a` and `x == 0 or abs(x) >= a` are nonconvex but exactly representable with
binaries and a big-M taken from x's bounds. Bounds come from the declaration
(`variable x[S] >= lo <= hi`) or are derived from the model's own constraints of the forms
`c * abs(x) <= b`, `c * sum(abs(x)) <= b`, `norm1(x) <= b`, `norm_inf(x) <= b`, with data
c > 0 and b. The tightest bound found is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.passes import ir
from compiler.passes.shapes import Shapes
from compiler.passes.symbols import Symbol, SymbolKind, index_text
from dsl.errors import Diagnostics, SpecError, error


@dataclass(frozen=True)
class ExactForm:
    """One constraint compiled as a mixed-integer form."""

    constraint: ir.Constraint
    variable: Symbol
    threshold: np.ndarray  # a, over the variable's index
    big_m: np.ndarray  # bound on |x|, over the variable's index
    allow_zero: bool  # the `x == 0 or ...` form
    bound_source: str
    binaries: list[cp.Variable] = field(default_factory=list, compare=False)

    def note(self) -> str:
        form = "x == 0 or |x| >= a" if self.allow_zero else "|x| >= a"
        count = int(self.threshold.size) * (2 if self.allow_zero else 1)
        return (f"constraint '{self.constraint.name}' ({form}) is nonconvex; it was compiled "
                f"exactly as a mixed-integer form with {count} binaries and big-M "
                f"from {self.bound_source}")

    def lower(self, x: cp.Expression) -> list[cp.Constraint]:
        """The mixed-integer rows; the binaries are kept for `fixed`."""
        name = self.constraint.name
        count = 2 if self.allow_zero else 1
        self.binaries[:] = [cp.Variable(x.shape, boolean=True, name=f"{name}_{side}")
                            for side in ("long", "short")[:count]]
        return self.rows(x, self.binaries)

    def fixed(self, x: cp.Expression) -> list[cp.Constraint]:
        """The rows that bind once the binaries are fixed at their solved values (for
        duals): each element's threshold side, or x == 0 where zero was chosen. The big-M
        sides are left out: M comes from the model's own bounds, and a copy of a bound
        would share its dual with it (a binding `liquidity` row showed dual 0)."""
        flat = cp.vec(x, order="C")
        a = np.broadcast_to(np.asarray(self.threshold, dtype=float), x.shape).ravel(order="C")
        chosen = [np.round(np.asarray(b.value, dtype=float)).reshape(-1) for b in self.binaries]
        if self.allow_zero:
            up, down = chosen
        else:
            up, down = chosen[0], 1 - chosen[0]
        rows: list[cp.Constraint] = []
        if (where := np.flatnonzero(up == 1)).size:
            rows.append(flat[where] >= a[where])
        if (where := np.flatnonzero(down == 1)).size:
            rows.append(flat[where] <= -a[where])
        if (where := np.flatnonzero((up == 0) & (down == 0))).size:
            rows.append(flat[where] == 0)
        return rows

    def rows(self, x: cp.Expression, binaries: list[cp.Variable]) -> list[cp.Constraint]:
        a, m = self.threshold, self.big_m
        if self.allow_zero:
            up, down = binaries
            rows = [x >= cp.multiply(a, up) - cp.multiply(m, down),
                    x <= cp.multiply(m, up) - cp.multiply(a, down)]
            if isinstance(up, cp.Variable):  # fixed binaries satisfy it already
                rows.append(up + down <= 1)
            return rows
        (long,) = binaries
        return [x >= a - cp.multiply(a + m, 1 - long), x <= -a + cp.multiply(a + m, long)]


def _abs_of_variable(node: ir.Expr) -> ir.Ref | None:
    if isinstance(node, ir.Call) and node.func == "abs" and isinstance(node.args[0], ir.Ref):
        return node.args[0]
    return None


def _split(comparison: ir.Comparison) -> tuple[ir.Expr, ir.Expr] | None:
    """(abs side, threshold side) of `abs(..) >= a` or `a <= abs(..)`, else None."""
    if len(comparison.terms) != 2:
        return None
    left, right = comparison.terms
    op = comparison.ops[0]
    if op is ir.Relation.GE and isinstance(left, ir.Call) and left.func == "abs":
        return left, right
    if op is ir.Relation.LE and isinstance(right, ir.Call) and right.func == "abs":
        return right, left
    return None


def _is_zero_test(comparison: ir.Comparison, symbol: Symbol) -> bool:
    return (len(comparison.terms) == 2 and comparison.ops[0] is ir.Relation.EQ
            and any(isinstance(t, ir.Ref) and t.symbol is symbol for t in comparison.terms)
            and any(isinstance(t, ir.Const) and t.value == 0 for t in comparison.terms))


class _ExactPass:
    def __init__(self, model: ir.Model, shapes: Shapes, evaluate: Evaluator):
        self.model, self.shapes, self.evaluate = model, shapes, evaluate

    def form(self, con: ir.Constraint) -> ExactForm | None:
        condition = con.condition
        allow_zero = False
        if isinstance(condition, ir.Disjunction):
            if len(condition.options) != 2:
                return None
            for first, second in (condition.options, condition.options[::-1]):
                split = _split(second)
                ref = _abs_of_variable(split[0]) if split else None
                if ref is not None and _is_zero_test(first, ref.symbol):
                    condition, allow_zero = second, True
                    break
            else:
                return None
        split = _split(condition)
        if split is None:
            return None
        abs_side, threshold_side = split
        ref = _abs_of_variable(abs_side)
        if ref is None or ref.symbol.kind is not SymbolKind.VARIABLE:
            raise error("E405", "an exact |x| >= a form needs a decision variable inside abs",
                        abs_side.span, "introduce a variable for the expression, e.g. "
                        "`variable y[S]` with `link: y == expr`, and write abs(y) >= a")
        if not ir.is_data(threshold_side):
            raise error("E405", "the threshold of |x| >= a must be data", threshold_side.span,
                        "compare abs(x) with a number or a param")
        symbol = ref.symbol
        index, sizes = symbol.index, self.evaluate.sizes(symbol.index)
        extra = [s for s in self.shapes.of[threshold_side] if s not in index]
        if extra:  # the form has one binary per element of x: a cannot add index sets
            raise error("E301", f"the threshold is indexed by '{extra[0].name}', which "
                        f"'{symbol.name}' is not", threshold_side.span,
                        f"index the threshold by (some of) {index_text(index)}, or select one "
                        f"label of '{extra[0].name}'")
        threshold = np.array(tensor.broadcast(self.evaluate(threshold_side),
                                              self.shapes.of[threshold_side], index, sizes),
                             dtype=float)
        if (threshold < 0).any():
            raise error("E405", "the threshold of |x| >= a is negative", threshold_side.span,
                        "use a threshold >= 0 (|x| >= a negative a always holds)")
        big_m, source = self.bounds(symbol)
        needed = threshold > 0
        if (~np.isfinite(big_m) & needed).any():
            raise error("E404", f"'{symbol.name}' has no finite bound for the exact form of "
                        f"'{con.name}'", con.span,
                        f"bound it, e.g. `variable {symbol.name}... >= -L <= L` or a "
                        f"constraint `abs({symbol.name}) <= L`, so the mixed-integer form "
                        f"has a big-M")
        big_m = np.where(np.isfinite(big_m), big_m, 0.0)
        return ExactForm(con, symbol, threshold, big_m, allow_zero, source)

    def bounds(self, symbol: Symbol) -> tuple[np.ndarray, str]:
        sizes = self.evaluate.sizes(symbol.index)
        best = np.full(sizes, np.inf)
        sources: list[str] = []
        definition = next(v for v in self.model.variables if v.symbol is symbol)
        if "binary" in definition.flags:
            best = np.minimum(best, 1.0)
            sources.append("its binary type")
        if definition.lower is not None and definition.upper is not None:
            lo = self.data_over(definition.lower, symbol)
            hi = self.data_over(definition.upper, symbol)
            best = np.minimum(best, np.maximum(np.abs(lo), np.abs(hi)))
            sources.append("its declared bounds")
        for con in self.model.constraints:
            bound = self.derived_bound(con, symbol)
            if bound is not None:
                best = np.minimum(best, bound)
                sources.append(f"constraint '{con.name}'")
        return best, " and ".join(sources) or "nowhere"

    def data_over(self, node: ir.Expr, symbol: Symbol) -> np.ndarray:
        value = self.evaluate(node)
        return np.array(tensor.broadcast(value, self.shapes.of[node], symbol.index,
                                         self.evaluate.sizes(symbol.index)), dtype=float)

    def derived_bound(self, con: ir.Constraint, symbol: Symbol) -> np.ndarray | None:
        condition = con.condition
        if not isinstance(condition, ir.Comparison) or len(condition.terms) != 2:
            return None
        left, right = condition.terms
        if condition.ops[0] is ir.Relation.GE:
            left, right = right, left
        elif condition.ops[0] is not ir.Relation.LE:
            return None
        if not ir.is_data(right):
            return None
        try:  # the right side is read only when it bounds x (a swept param elsewhere stays
            found = self.coefficient(left, symbol)  # a Parameter: compiler/lowering/parametric.py)
            rhs = self.evaluate(right) if found is not None else None
        except SpecError:
            return None
        if found is None or tensor.is_expr(rhs):
            return None
        coefficient, summed = found
        sizes = self.evaluate.sizes(symbol.index)
        if summed:
            if self.shapes.of[right]:
                return None
            limit = np.full(sizes, float(np.asarray(rhs)))
        else:
            if self.shapes.of[left] != symbol.index or not set(self.shapes.of[right]) <= set(
                    symbol.index):
                return None
            limit = np.array(tensor.broadcast(rhs, self.shapes.of[right], symbol.index, sizes))
        with np.errstate(divide="ignore"):
            return np.where(coefficient > 0, limit / np.where(coefficient > 0, coefficient, 1),
                            np.inf)

    def coefficient(self, node: ir.Expr, symbol: Symbol) -> tuple[np.ndarray, bool] | None:
        """(k, summed) with node >= k * |x| elementwise (or summed over x), for data k >= 0."""
        sizes = self.evaluate.sizes(symbol.index)
        ref = _abs_of_variable(node)
        if ref is not None and ref.symbol is symbol:
            return np.ones(sizes), False
        if isinstance(node, ir.Call) and node.func in ("norm1", "norm_inf", "norm2") and \
                isinstance(node.args[0], ir.Ref) and node.args[0].symbol is symbol:
            return np.ones(sizes), True
        if isinstance(node, ir.Call) and node.func == "sum" and node.kwarg("over") is None:
            inner = self.coefficient(node.args[0], symbol)
            return (inner[0], True) if inner is not None and not inner[1] else None
        if isinstance(node, ir.BinOp) and node.op in (ir.BinOperator.MUL, ir.BinOperator.DIV):
            pairs = [(node.left, node.right)]
            if node.op is ir.BinOperator.MUL:
                pairs.append((node.right, node.left))
            for inner_node, data_node in pairs:
                if not ir.is_data(data_node):
                    continue
                inner = self.coefficient(inner_node, symbol)
                if inner is None or not set(self.shapes.of[data_node]) <= set(symbol.index):
                    continue
                factor = self.evaluate(data_node)
                if tensor.is_expr(factor):
                    continue
                factor = np.array(tensor.broadcast(factor, self.shapes.of[data_node],
                                                   symbol.index, sizes), dtype=float)
                if (factor <= 0).any():
                    continue
                scale = factor if node.op is ir.BinOperator.MUL else 1 / factor
                return inner[0] * scale, inner[1]
        return None


def find_exact_forms(model: ir.Model, shapes: Shapes, evaluate: Evaluator
                     ) -> dict[str, ExactForm]:
    """The constraints that compile to exact mixed-integer forms, by constraint name.

    Raises:
        SpecError: E404/E405 for a form without a finite bound or not on a variable.
    """
    exact = _ExactPass(model, shapes, evaluate)
    diags = Diagnostics()
    forms: dict[str, ExactForm] = {}
    for con in model.constraints:
        try:
            found = exact.form(con)
        except SpecError as exc:
            diags.extend(exc)
            continue
        if found is not None:
            forms[con.name] = found
    diags.raise_if_any()
    return forms
