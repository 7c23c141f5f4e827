"""The expression evaluator shared by `bind` (data: numpy) and `lower` (decisions: cvxpy).

Dispatch is a dict {IR node type: function}, like cvxpy's CANON_METHODS. Each value has the
axes its `Shapes` entry names. Every lowered expression is recorded in `Evaluator.lowered`,
keyed by IR node, so `discipline` can find the smallest failing sub-expression.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from compiler.builtins import lookup
from compiler.lowering import tensor
from compiler.passes import ir
from compiler.passes.shapes import Shapes, contraction
from compiler.passes.symbols import Symbol, SymbolKind
from dsl.errors import error

if TYPE_CHECKING:
    from compiler.data.bindings import Bindings

Value = Any


class Evaluator:
    """Evaluates IR expressions over bound data, and decision variables when given them."""

    def __init__(self, shapes: Shapes, bindings: Bindings,
                 variables: Mapping[Symbol, cp.Expression] | None = None,
                 lets: dict[Symbol, ir.LetDef] | None = None):
        self.shapes = shapes
        self.bindings = bindings
        self.variables: Mapping[Symbol, cp.Expression] = variables or {}
        self.lets = lets or {}
        self.let_values: dict[Symbol, Value] = {}
        self.lowered: dict[ir.Expr, Value] = {}
        # A batch axis (the rolling windows of compiler/rolling/vectorized.py): full
        # reductions keep it and `@` never sums over it. None for an ordinary model.
        self.batch: Symbol | None = None
        # The saddle-point backend's atoms (saddle_atoms.SaddleAtoms: dsp.inner and friends, which
        # DSP needs where a decision meets an adversary's expression); None for plain cvxpy.
        self.saddle: Any = None
        # Swept params lowered as cvxpy Parameters (compiler/lowering/parametric.py); empty
        # otherwise.
        self.parameters: Mapping[Symbol, cp.Parameter] = {}
        # The robust counterpart's shared y = L'x (compiler/lowering/factors.py: quad_form
        # and an ellipsoid's norm over one factor); None elsewhere.
        self.factors: Any = None

    def pairs(self, node: ir.BinOp) -> list[tuple[Symbol, Symbol]]:
        """The index sets `left @ right` sums over."""
        return contraction(self.index(node.left), self.index(node.right))

    def __call__(self, node: ir.Expr) -> Value:
        try:
            with np.errstate(all="ignore"):  # a non-finite result is reported below, located
                value = DISPATCH[type(node)](self, node)
        except (ValueError, TypeError, IndexError, ZeroDivisionError) as exc:
            # Safety net: the checks before lowering should make this unreachable.
            raise error("E900", f"the backend rejected this expression: {exc}", node.span,
                        "this is a gap in Saddle's checks; please report it with the model"
                        ) from None
        _check_finite(self, node, value)
        self.lowered[node] = value
        return value

    def index(self, node: ir.Expr) -> tuple[Symbol, ...]:
        return self.shapes.of[node]

    def sizes(self, index: tuple[Symbol, ...]) -> tuple[int, ...]:
        return tuple(self.bindings.size(s) for s in index)

    def aligned(self, node: ir.Expr, target: tuple[Symbol, ...]) -> Value:
        """`node`'s value with its axes ordered as `target` (size 1 where it lacks a set)."""
        return tensor.align(self(node), self.index(node), target)

    def constant(self, node: ir.Expr, what: str, uncertain_help: str | None = None
                 ) -> np.ndarray:
        uncertain = self._uncertain_in(node)
        if uncertain is not None:  # checked first: a set's data has no variable for it
            raise error("E406", f"{what} must be data, not an expression of the uncertain "
                        f"quantity '{uncertain.name}'", node.span,
                        uncertain_help or f"give {what} as a number or a param: it is known "
                        "before the adversary chooses")
        value = self(node)
        if tensor.is_expr(value):
            raise error("E406", f"{what} must be data, not a decision expression", node.span,
                        f"give {what} as a number or a param")
        return np.asarray(value, dtype=float)

    def _uncertain_in(self, node: ir.Expr) -> Symbol | None:
        """The first uncertain quantity `node` mentions, through lets, that is not given
        as numbers here (a worst case reported is data)."""
        stack, seen = ir.refs(node), set()
        while stack:
            symbol = stack.pop().symbol
            if symbol.kind is SymbolKind.UNCERTAIN and (
                    symbol not in self.variables or tensor.is_expr(self.variables[symbol])):
                return symbol
            if symbol in self.lets and symbol not in seen:
                seen.add(symbol)
                stack.extend(ir.refs(self.lets[symbol].value))
        return None


def _check_finite(ev: Evaluator, node: ir.Expr, value: Value) -> None:
    """Data computed inside an expression obeys the rule for declared params (E508): an
    inf or NaN (`inv_pos(0)`, `log(0)`, `0 * inv_pos(0)`) would reach the solver, which may
    then report "optimal" for a problem it never saw. Checked at every node, so the error
    points at the innermost expression that made it, and names the first label."""
    if isinstance(value, float | int):  # the common scalar: no array needed
        if math.isfinite(value):
            return
    elif tensor.is_expr(value) or isinstance(value, str):
        return
    array = np.asarray(value)
    if array.dtype.kind not in "fc" or np.all(np.isfinite(array)):
        return
    bad = "NaN" if np.any(np.isnan(array)) else "an infinite value"
    where = ""
    index = ev.shapes.of.get(node, ())
    if array.ndim and len(index) == array.ndim:
        first = np.unravel_index(int(np.flatnonzero(~np.isfinite(array))[0]), array.shape)
        labels = [ev.bindings.labels_of(s)[k] for s, k in zip(index, first, strict=True)]
        where = f" at [{', '.join(str(label) for label in labels)}]"
    raise error("E508", f"this expression evaluates to {bad}{where}", node.span,
                "every number in a model must be finite: check for a division by zero, a "
                "log or sqrt of a negative number or of 0, or a number too large for a float")


def _const(ev: Evaluator, node: ir.Const) -> Value:
    return np.float64(node.value)


def _str(ev: Evaluator, node: ir.Str) -> Value:
    raise error("E208", f"the string \"{node.value}\" is not a number", node.span,
                "strings name files, columns and labels; use a number here")


def _word(ev: Evaluator, node: ir.Word) -> Value:
    raise error("E201", f"undefined name '{node.word}'", node.span,
                "declare it before this line, or fix the spelling")


def _ref(ev: Evaluator, node: ir.Ref) -> Value:
    symbol = node.symbol
    if symbol.kind is SymbolKind.SET:
        return ev.bindings.numeric_labels(symbol, node.span)
    if symbol.kind in (SymbolKind.VARIABLE, SymbolKind.UNCERTAIN):
        if symbol not in ev.variables:
            raise RuntimeError(f"no cvxpy variable for {symbol.name}")  # resolve prevents it
        return ev.variables[symbol]
    if symbol.kind is SymbolKind.LET:
        if symbol not in ev.let_values:
            definition = ev.lets[symbol]
            value = ev(definition.value)
            ev.let_values[symbol] = tensor.align(value, ev.index(definition.value),
                                                 ev.shapes.index(symbol))
        return ev.let_values[symbol]
    if symbol in ev.parameters:  # a swept param: compiled once (compiler/lowering/parametric.py)
        return ev.parameters[symbol]
    value = ev.bindings.values[symbol]
    if value.dtype.kind == "U":
        raise error("E505", f"param '{symbol.name}' holds labels (text), not numbers",
                    node.span, f"compare its labels to get 0/1 data, as in "
                    f'indicator({symbol.name} == "..."), or join them with "prefix" + '
                    f"{symbol.name}")
    return value


def _neg(ev: Evaluator, node: ir.Neg) -> Value:
    return -ev(node.operand)


def _binop(ev: Evaluator, node: ir.BinOp) -> Value:
    op = node.op
    if op is ir.BinOperator.MATMUL:
        return _matmul(ev, node)
    if op is ir.BinOperator.POW:
        base = ev(node.left)
        power = float(ev.constant(node.right, "an exponent"))
        if not np.isfinite(power):  # cvxpy raises OverflowError
            raise error("E508", f"the exponent {power} is not a finite number", node.right.span,
                        "use a finite exponent, such as `x ^ 2`")
        if tensor.is_expr(base):
            return cp.square(base) if power == 2 else cp.power(base, power)
        return np.power(base, power)
    out = ev.index(node)
    left, right = ev.aligned(node.left, out), ev.aligned(node.right, out)
    if op is ir.BinOperator.ADD:
        return left + right
    if op is ir.BinOperator.SUB:
        return left - right
    if op is ir.BinOperator.MUL:
        return tensor.multiply(left, right)
    if tensor.is_expr(right) and not right.is_constant():
        raise error("E406", "division by a decision expression", node.right.span,
                    "divide by data only; for 1/x use inv_pos(x), which is convex for x > 0")
    divisor = np.asarray(right.value if tensor.is_expr(right) else right, dtype=float)
    if (divisor == 0).any():  # numpy would warn and give inf
        raise error("E508", "division by zero", node.right.span,
                    "divide by data that is never 0, or check the param's values")
    return tensor.multiply(left, 1.0 / divisor)


def _matmul(ev: Evaluator, node: ir.BinOp) -> Value:
    quad = _quadratic_form(ev, node)
    if quad is not None:
        return quad
    li, ri = ev.index(node.left), ev.index(node.right)
    left, right = ev(node.left), ev(node.right)
    if ev.saddle is not None and tensor.varies(left) and tensor.varies(right):
        pairs = ev.pairs(node)
        if len(li) == 1 and len(ri) == 1 and len(pairs) == 1:
            return ev.saddle.inner(left, right)
    if ev.batch is not None:
        return tensor.batched_contract(left, li, right, ri, ev.pairs(node), ev.index(node),
                                       ev.batch)
    return tensor.contract(left, li, right, ri, ev.pairs(node))


def _quadratic_form(ev: Evaluator, node: ir.BinOp) -> Value | None:
    """`x @ M @ x` as one atom: quad_form(x, M) for data M (convex for PSD M, where
    x' (M x) is not DCP), or, on the saddle-point backend, dsp's saddle_quad_form for the
    adversary's matrix (convex in x, linear in a PSD M: a worst-case covariance)."""
    inner = node.left
    if ev.batch is not None or not (
            isinstance(inner, ir.BinOp) and inner.op is ir.BinOperator.MATMUL):
        return None
    scale, vector = (None, inner.left) if _same(inner.left, node.right) else \
        _scaled(ev, inner.left)  # `(c x) @ M @ (c x)` as written, or `c * x @ M @ x`
    if not _same(vector, node.right):
        return None
    x, matrix = ev(node.right), ev(inner.right)
    ev(inner.left)
    if not tensor.is_expr(x) or not x.is_affine() or len(ev.index(inner.right)) != 2:
        return None
    if tensor.varies(matrix):
        if ev.saddle is None or not tensor.varies(x) or scale is not None:
            return None
        ev.lowered[inner] = None  # the inner product is not lowered on its own
        return ev.saddle.quad_form(x, matrix)
    if tensor.is_expr(matrix):
        return None
    ev.lowered[inner] = None
    matrix = np.asarray(matrix, dtype=float)
    form = tensor.psd_quadratic(x, (matrix + matrix.T) / 2, ev.factors)
    return form if scale is None else ev(scale) * form


def _same(a: ir.Expr, b: ir.Expr) -> bool:
    """The same vector on both sides of `x @ M @ x`: one name, or the same text (an
    expression has no side effects, so equal text in one model is an equal value)."""
    a, b = _unindexed(a), _unindexed(b)  # `w[asset2] @ corr @ w`: the same w
    if isinstance(a, ir.Ref) and isinstance(b, ir.Ref):
        return a.symbol is b.symbol
    return "".join(a.span.text.split()) == "".join(b.span.text.split())


def _unindexed(node: ir.Expr) -> ir.Expr:
    """A re-indexed vector's own value (`w[asset2]` is w on the alias's axis)."""
    return node.base if isinstance(node, ir.Select) and node.reindex is not None else node


def _scaled(ev: Evaluator, node: ir.Expr) -> tuple[ir.Expr | None, ir.Expr]:
    """`gamma * w` as (gamma, w) for a scalar data factor, so that `gamma * w @ S @ w`
    (which parses as `((gamma * w) @ S) @ w`) is gamma times the quadratic form."""
    if isinstance(node, ir.BinOp) and node.op is ir.BinOperator.MUL:
        for factor, rest in ((node.left, node.right), (node.right, node.left)):
            if not ev.index(factor) and not tensor.is_expr(ev(factor)):
                return factor, rest
    return None, node


def _select(ev: Evaluator, node: ir.Select) -> Value:
    base = ev(node.base)
    if node.reindex is not None:
        return base  # the same values on renamed axes (shapes.py)
    positions = []
    for label_node, index_set in zip(node.labels, ev.index(node.base), strict=False):
        label = _label_of(label_node)
        positions.append(ev.bindings.position(index_set, label, label_node.span))
    return base[tuple(positions)]


def _label_of(node: ir.Expr) -> str | float:
    value = ir.literal(node)
    if value is None:
        raise error("E303", "a label must be a string or a number", node.span,
                    'select by a literal label, as in `w["10Y"]`')
    return value


def _list(ev: Evaluator, node: ir.ListLit) -> Value:
    index = ev.index(node)
    sizes = ev.sizes(index)

    def build(item: ir.Expr, depth: int) -> Any:
        if depth == len(index):
            if isinstance(item, ir.ListLit):  # a ragged list: shapes checks only the first item
                raise error("E305", "this entry should be a number, not a list", item.span,
                            "nest the list one level per index set")
            return float(ev.constant(item, "a list entry"))
        if not isinstance(item, ir.ListLit):
            raise error("E305", "this entry should be a list", item.span,
                        "nest the list one level per index set")
        if len(item.items) != sizes[depth]:
            raise error("E504", f"the list has {len(item.items)} entries but "
                        f"'{index[depth].name}' has {sizes[depth]} labels", item.span,
                        f"give one entry per label of '{index[depth].name}', in its order")
        return [build(child, depth + 1) for child in item.items]

    return np.array(build(node, 0), dtype=float)


def _call(ev: Evaluator, node: ir.Call) -> Value:
    if any(isinstance(a, ir.Over) for a in node.args):  # cvar(a, loss over P), mean(...)
        from compiler.uncertainty.ambiguity import lower_worst_case  # only a DRO model's

        return lower_worst_case(ev, node)

    builtin = lookup(node.func)
    lower = builtin.lower if builtin is not None else None
    if lower is None:  # a sampler or an uncertainty set, compiled by its own pass
        raise error("E901", f"'{node.func}' is not compiled yet", node.func_span,
                    "this construct parses and is checked, but this version cannot solve it; "
                    "see docs/status.md")
    return lower(ev, node)


def _attr(ev: Evaluator, node: ir.Attr) -> Value:
    return ev.bindings.table_column(node, ev.index(node))


def _over(ev: Evaluator, node: ir.Over) -> Value:
    raise error("E208", f"'over {node.ambiguity.name}' outside cvar(...) or mean(...)",
                node.span, "take the worst case with cvar(level, loss over P) or mean(loss "
                "over P)")


def _range(ev: Evaluator, node: ir.Range) -> Value:
    raise error("E305", "a range here", node.span,
                "a range `a..b` is a set's value only: `set t = 1..30`")


DISPATCH: dict[type, Callable[[Evaluator, Any], Value]] = {
    ir.Const: _const,
    ir.Str: _str,
    ir.Word: _word,
    ir.Ref: _ref,
    ir.Neg: _neg,
    ir.BinOp: _binop,
    ir.Select: _select,
    ir.ListLit: _list,
    ir.Call: _call,
    ir.Attr: _attr,
    ir.Range: _range,
    ir.Over: _over,
}
