"""Builtin functions: DSL name -> lowering to numpy (data) or cvxpy (decisions).

Names follow cvxpy where the mapping is one-to-one (`sum`, `abs`, `quad_form`, `norm1`);
keyword forms are mapped explicitly: `cvar(level, losses)` -> `cp.cvar(losses, level)`,
`log_sum_exp(x, weights = w)` -> `log_sum_exp(x + log w)` for data weights. Signatures
are in `signatures.py`, index rules in `shapes.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cvxpy as cp
import numpy as np
from scipy import stats

from compiler import fixed_income, ir, labels, tensor
from compiler.evaluate import Evaluator
from compiler.fixed_income_builtins import LOWER as FIXED_INCOME
from compiler.shapes import union
from compiler.symbols import Symbol, SymbolKind
from dsl.errors import error

Value = Any


def _over_axis(ev: Evaluator, node: ir.Call) -> int | None:
    over = node.kwarg("over")
    if over is None:
        return None
    if not isinstance(over, ir.Ref):  # shapes guarantees a set reference
        raise RuntimeError("'over' is not a set reference")
    return ev.index(node.args[0]).index(over.symbol)


def _axis_or_only(ev: Evaluator, node: ir.Call) -> int:
    axis = _over_axis(ev, node)
    return 0 if axis is None else axis


def _batch(ev: Evaluator, node: ir.Call) -> Symbol | None:
    """The batch axis (rolling windows) a full reduction must keep, if its argument has one."""
    if node.kwarg("over") is None and ev.batch is not None and \
            ev.batch in ev.index(node.args[0]):
        return ev.batch
    return None


def _sum(ev: Evaluator, node: ir.Call) -> Value:
    arg = node.args[0]
    if ev.saddle is not None and node.kwarg("over") is None and isinstance(arg, ir.BinOp) \
            and arg.op is ir.BinOperator.MUL:
        out = ev.index(arg)
        a, b = ev.aligned(arg.left, out), ev.aligned(arg.right, out)
        if all(tensor.is_expr(v) and not v.is_constant() for v in (a, b)):
            shape = ev.sizes(out)  # sum(x * y) of a decision and an adversary: an inner product
            return ev.saddle.inner(_flat(tensor.broadcast(a, out, out, shape)),
                                   _flat(tensor.broadcast(b, out, out, shape)))
    value = ev(node.args[0])
    batch = _batch(ev, node)
    if batch is not None:
        return tensor.reduce_all_but(value, ev.index(node.args[0]), batch,
                                     lambda v, axis: tensor.reduce_sum(v, axis))
    return tensor.reduce_sum(value, _over_axis(ev, node))


def _mean(ev: Evaluator, node: ir.Call) -> Value:
    value = ev(node.args[0])
    batch = _batch(ev, node)
    if batch is not None:
        count = max(1, int(np.prod(value.shape)) // value.shape[0])
        return tensor.reduce_all_but(value, ev.index(node.args[0]), batch,
                                     lambda v, axis: tensor.reduce_sum(v, axis)) / count
    axis = _over_axis(ev, node)
    count = value.shape[axis] if axis is not None else max(1, int(np.prod(value.shape)))
    return tensor.reduce_sum(value, axis) / count


def _extremum(numpy_reduce: Callable[..., Any], numpy_pair: Callable[..., Any],
              cvx_reduce: Callable[..., Any], cvx_pair: Callable[..., Any]
              ) -> Callable[[Evaluator, ir.Call], Value]:
    def lower(ev: Evaluator, node: ir.Call) -> Value:
        if len(node.args) == 2:
            out = ev.index(node)
            a, b = (ev.aligned(arg, out) for arg in node.args)
            if tensor.is_expr(a) or tensor.is_expr(b):
                shape = ev.sizes(out)
                return cvx_pair(tensor.broadcast(a, out, out, shape),
                                tensor.broadcast(b, out, out, shape))
            return numpy_pair(a, b)
        value = ev(node.args[0])
        batch = _batch(ev, node)
        if batch is not None:
            reduce = cvx_reduce if tensor.is_expr(value) else numpy_reduce
            return tensor.reduce_all_but(value, ev.index(node.args[0]), batch,
                                         lambda v, axis: reduce(v, axis=axis))
        axis = _over_axis(ev, node)
        if tensor.is_expr(value):
            return cvx_reduce(value) if axis is None else cvx_reduce(value, axis=axis)
        return numpy_reduce(value) if axis is None else numpy_reduce(value, axis=axis)
    return lower


def _first_or_last(position: int) -> Callable[[Evaluator, ir.Call], Value]:
    def lower(ev: Evaluator, node: ir.Call) -> Value:
        value = ev(node.args[0])
        if not value.shape:
            return value
        return tensor.take(value, _axis_or_only(ev, node), position)
    return lower


def _diff(ev: Evaluator, node: ir.Call) -> Value:
    """x[t] - x[t-1] along a set, 0 at its first label (pandas' `.diff().fillna(0)`)."""
    value = ev(node.args[0])
    if not value.shape:
        return value * 0
    axis = _axis_or_only(ev, node)
    n = value.shape[axis]
    matrix = np.eye(n) - np.eye(n, k=-1)
    matrix[0, 0] = 0.0
    return tensor.along(value, axis, matrix)


def _count(ev: Evaluator, node: ir.Call) -> Value:
    arg = node.args[0]
    if isinstance(arg, ir.Ref) and arg.symbol.kind is SymbolKind.SET:
        return np.float64(ev.bindings.size(arg.symbol))
    value = ev(arg)
    return np.float64(int(np.prod(value.shape)))


def _elementwise(numpy_fn: Callable[[Any], Any], cvx_fn: Callable[[Any], Any]
                 ) -> Callable[[Evaluator, ir.Call], Value]:
    def lower(ev: Evaluator, node: ir.Call) -> Value:
        value = ev(node.args[0])
        return cvx_fn(value) if tensor.is_expr(value) else numpy_fn(np.asarray(value))
    return lower


def _flat(value: Value) -> Value:
    if tensor.is_expr(value):
        # a scalar too: callers index the result (a weighted log-sum-exp of one term)
        return cp.vec(value, order="C") if len(value.shape) != 1 else value
    return np.ravel(value)


def _norm(p: int | str) -> Callable[[Evaluator, ir.Call], Value]:
    def lower(ev: Evaluator, node: ir.Call) -> Value:
        value = _flat(ev(node.args[0]))
        if tensor.is_expr(value):
            return cp.norm(value, p)
        order = np.inf if p == "inf" else float(p)
        return np.float64(np.linalg.norm(value, order))
    return lower


def _sum_squares(ev: Evaluator, node: ir.Call) -> Value:
    value = ev(node.args[0])
    return cp.sum_squares(value) if tensor.is_expr(value) else np.sum(np.square(value))


def _quad_form(ev: Evaluator, node: ir.Call) -> Value:
    x_node, p_node = node.args
    x_set = ev.index(x_node)[0]
    p_index = ev.index(p_node)
    other = p_index[1] if p_index[0] is x_set else p_index[0]
    matrix = tensor.align(ev.constant(
        p_node, "the quad_form matrix", "write `x @ S @ x` for an uncertain matrix S: the "
        "saddle-point backend takes it when every S in its set is PSD (`uncertain S[a, a2] "
        "psd:`)"), p_index, (x_set, other))
    matrix = (matrix + matrix.T) / 2  # x' P x only sees the symmetric part
    x = ev(x_node)
    if not tensor.is_expr(x):
        return np.float64(x @ matrix @ x)
    return cp.quad_form(x, tensor.psd_checked(matrix))


def _trace(ev: Evaluator, node: ir.Call) -> Value:
    matrix = ev(node.args[0])
    return cp.trace(matrix) if tensor.is_expr(matrix) else np.float64(np.trace(matrix))


def _diag(ev: Evaluator, node: ir.Call) -> Value:
    value = ev(node.args[0])  # a vector becomes a matrix, a square matrix its diagonal
    return cp.diag(value) if tensor.is_expr(value) else np.diag(np.asarray(value, float))


def _outer(ev: Evaluator, node: ir.Call) -> Value:
    out = ev.index(node)
    return tensor.multiply(ev.aligned(node.args[0], out), ev.aligned(node.args[1], out))


def _log_sum_exp(ev: Evaluator, node: ir.Call) -> Value:
    x_node = node.args[0]
    weights_node = node.kwarg("weights")
    x = ev(x_node)
    if weights_node is None:
        flat = _flat(x)
        return cp.log_sum_exp(flat) if tensor.is_expr(flat) else np.float64(
            np.logaddexp.reduce(flat))
    index = union(ev.index(x_node), ev.index(weights_node))
    x = tensor.broadcast(x, ev.index(x_node), index, ev.sizes(index))
    weights = tensor.broadcast(ev(weights_node), ev.index(weights_node), index, ev.sizes(index))
    if tensor.is_expr(weights) and not weights.is_constant():
        if tensor.is_expr(x) and not x.is_constant():
            if ev.saddle is None:
                raise error("E412", "log_sum_exp with decisions in both the exponents and "
                            "the weights", node.span,
                            "this is a saddle term (convex in the exponents, concave in the "
                            "weights): make the exponents' variable uncertain, so the "
                            "saddle-point backend can take it")
            # log sum w exp(x): convex in x, concave in w >= 0 (the robust bond objective).
            # Terms whose weight is zero by its data factor (a bond's cash flow in a period
            # after it matures) are left out: they add nothing and make the cone solvers fail.
            keep = np.flatnonzero(_data_factor(ev, weights_node, index) != 0)
            # The exponents' constant part moves into the weights (w e^(c + Bu) =
            # (w e^c) e^(Bu)): the floor form with spreads fails in Clarabel otherwise.
            offset = (_flat(_at_zero(ev, x_node, index))[keep] if ev.saddle.fold
                      else np.zeros(keep.size))
            return ev.saddle.weighted_log_sum_exp(
                _flat(x)[keep] - offset, cp.multiply(np.exp(offset), _flat(weights)[keep]))
        # log(sum(w * exp(x))) with data x is the log of an affine function: concave in w.
        return cp.log(cp.sum(cp.multiply(_flat(weights), np.exp(_flat(np.asarray(x))))))
    weights = np.asarray(weights.value if tensor.is_expr(weights) else weights, dtype=float)
    if (weights < 0).any():
        raise error("E508", "log_sum_exp weights must be nonnegative", weights_node.span,
                    "use nonnegative weights (they multiply exponentials)")
    keep = _flat(weights) > 0
    if not keep.any():  # log(0): cvxpy rejects the empty sum
        raise error("E508", "log_sum_exp weights are all zero", weights_node.span,
                    "give at least one positive weight")
    flat = _flat(x)
    shifted = flat[np.flatnonzero(keep)] + np.log(_flat(weights)[keep])
    return cp.log_sum_exp(shifted) if tensor.is_expr(shifted) else np.float64(
        np.logaddexp.reduce(shifted))


def _at_zero(ev: Evaluator, node: ir.Expr, index: tuple[Symbol, ...]) -> np.ndarray:
    """`node` with every decision and uncertain quantity at 0: an affine term's constant."""
    zeros = {s: np.zeros(v.shape) for s, v in ev.variables.items()}
    value = Evaluator(ev.shapes, ev.bindings, zeros, ev.lets)(node)  # type: ignore[arg-type]
    return np.asarray(tensor.broadcast(value, ev.index(node), index, ev.sizes(index)),
                      dtype=float)


def _data_factor(ev: Evaluator, node: ir.Expr, index: tuple[Symbol, ...]) -> np.ndarray:
    """The data side of a product `decision * data` over `index`, flat; ones if there is none."""
    sizes = ev.sizes(index)
    factor = np.ones(sizes)
    if isinstance(node, ir.BinOp) and node.op is ir.BinOperator.MUL:
        for side in (node.left, node.right):
            if ir.is_data(side):
                value = np.asarray(ev.constant(side, "a weight"), dtype=float)
                factor = factor * tensor.broadcast(value, ev.index(side), index, sizes)
    return np.ravel(factor)


def _cvar(ev: Evaluator, node: ir.Call) -> Value:
    level = float(ev.constant(node.args[0], "the cvar level"))
    if not 0 < level < 1:
        raise error("E508", f"cvar level {level} is not between 0 and 1", node.args[0].span,
                    "give the confidence level, e.g. 0.95 for the worst 5% of scenarios")
    losses = ev(node.args[1])
    if tensor.is_expr(losses):
        return cp.cvar(losses, level)
    return np.float64(cvar_of_sample(np.asarray(losses, dtype=float), level))


def cvar_of_sample(losses: np.ndarray, level: float) -> float:
    """Rockafellar-Uryasev CVaR of equally likely losses: min_a a + E[(L - a)+] / (1 - level)."""
    ordered = np.sort(losses)[::-1]
    tail = (1 - level) * ordered.size
    whole = int(np.floor(tail))
    total = ordered[:whole].sum() + (tail - whole) * (ordered[whole] if whole < ordered.size
                                                      else 0.0)
    return float(total / tail)


def _chi2_quantile(ev: Evaluator, node: ir.Call) -> Value:
    p = float(ev.constant(node.args[0], "the probability"))
    dof = float(ev.constant(node.args[1], "the degrees of freedom"))
    if not 0 < p < 1 or dof <= 0:
        raise error("E508", "chi2_quantile needs 0 < p < 1 and dof > 0", node.span,
                    "e.g. chi2_quantile(0.5, 13)")
    return np.float64(stats.chi2.ppf(p, dof))


def _interp_map(ev: Evaluator, node: ir.Call) -> Value:
    points, keys = ev.index(node)
    at = [ev.bindings.numeric_labels(s, a.span) for s, a in zip((points, keys), node.args,
                                                                 strict=True)]
    if np.any(np.diff(at[1]) <= 0):
        raise error("E508", f"the key points of '{keys.name}' are not increasing",
                    node.args[1].span, "list the key points from shortest to longest")
    return fixed_income.interpolation_matrix(at[0], at[1])


def _csv(ev: Evaluator, node: ir.Call) -> Value:
    return ev.bindings.csv_value(node, ev.index(node))


LOWER: dict[str, Callable[[Evaluator, ir.Call], Value]] = {
    "sum": _sum,
    "mean": _mean,
    "max": _extremum(np.max, np.maximum, cp.max, cp.maximum),
    "min": _extremum(np.min, np.minimum, cp.min, cp.minimum),
    "first": _first_or_last(0),
    "last": _first_or_last(-1),
    "diff": _diff,
    "count": _count,
    "abs": _elementwise(np.abs, cp.abs),
    "pos": _elementwise(lambda v: np.maximum(v, 0), cp.pos),
    "neg": _elementwise(lambda v: np.maximum(-v, 0), cp.neg),
    "square": _elementwise(np.square, cp.square),
    "sqrt": _elementwise(np.sqrt, cp.sqrt),
    "exp": _elementwise(np.exp, cp.exp),
    "log": _elementwise(np.log, cp.log),
    "inv_pos": _elementwise(lambda v: 1 / v, cp.inv_pos),
    "norm1": _norm(1),
    "norm2": _norm(2),
    "norm_inf": _norm("inf"),
    "sum_squares": _sum_squares,
    "quad_form": _quad_form,
    "trace": _trace,
    "outer": _outer,
    "diag": _diag,
    "log_sum_exp": _log_sum_exp,
    "cvar": _cvar,
    "chi2_quantile": _chi2_quantile,
    "csv": _csv,
    "indicator": labels.indicator,
    "interp_map": _interp_map,
    **FIXED_INCOME,  # bond_price, dv01, duration, convexity, key_rate_durations, carry, ...
}
