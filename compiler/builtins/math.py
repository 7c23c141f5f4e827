"""Reductions, elementwise functions and norms: sum ... norm_inf, and log1p."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from compiler.builtins import rules
from compiler.builtins.registry import Builtin, Facts, UnitsRule, Value, register, signature
from compiler.lowering import tensor
from compiler.passes import ir
from compiler.passes.symbols import SymbolKind

if TYPE_CHECKING:
    from compiler.lowering.evaluate import Evaluator


def _sum(ev: Evaluator, node: ir.Call) -> Value:
    arg = node.args[0]
    if ev.saddle is not None and node.kwarg("over") is None and isinstance(arg, ir.BinOp) \
            and arg.op is ir.BinOperator.MUL:
        out = ev.index(arg)
        a, b = ev.aligned(arg.left, out), ev.aligned(arg.right, out)
        if all(tensor.is_expr(v) and not v.is_constant() for v in (a, b)):
            shape = ev.sizes(out)  # sum(x * y) of a decision and an adversary: an inner product
            return ev.saddle.inner(rules.flat(tensor.broadcast(a, out, out, shape)),
                                   rules.flat(tensor.broadcast(b, out, out, shape)))
    value = ev(node.args[0])
    batch = rules.batch_axis(ev, node)
    if batch is not None:
        return tensor.reduce_all_but(value, ev.index(node.args[0]), batch,
                                     lambda v, axis: tensor.reduce_sum(v, axis))
    return tensor.reduce_sum(value, rules.over_axis(ev, node))


def _mean(ev: Evaluator, node: ir.Call) -> Value:
    value = ev(node.args[0])
    batch = rules.batch_axis(ev, node)
    if batch is not None:
        count = max(1, int(np.prod(value.shape)) // value.shape[0])
        return tensor.reduce_all_but(value, ev.index(node.args[0]), batch,
                                     lambda v, axis: tensor.reduce_sum(v, axis)) / count
    axis = rules.over_axis(ev, node)
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
        batch = rules.batch_axis(ev, node)
        if batch is not None:
            reduce = cvx_reduce if tensor.is_expr(value) else numpy_reduce
            return tensor.reduce_all_but(value, ev.index(node.args[0]), batch,
                                         lambda v, axis: reduce(v, axis=axis))
        axis = rules.over_axis(ev, node)
        if tensor.is_expr(value):
            return cvx_reduce(value) if axis is None else cvx_reduce(value, axis=axis)
        return numpy_reduce(value) if axis is None else numpy_reduce(value, axis=axis)
    return lower


def _first_or_last(position: int) -> Callable[[Evaluator, ir.Call], Value]:
    def lower(ev: Evaluator, node: ir.Call) -> Value:
        value = ev(node.args[0])
        if not value.shape:
            return value
        return tensor.take(value, rules.axis_or_only(ev, node), position)
    return lower


def _diff(ev: Evaluator, node: ir.Call) -> Value:
    """x[t] - x[t-1] along a set, 0 at its first label (pandas' `.diff().fillna(0)`)."""
    value = ev(node.args[0])
    if not value.shape:
        return value * 0
    axis = rules.axis_or_only(ev, node)
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


def _sqrt_hint(node: ir.Call) -> str | None:
    inner = node.args[0] if node.args else None
    if isinstance(inner, ir.Call) and inner.func in ("sum_squares", "quad_form"):
        return ("sqrt of a sum of squares is a norm, which DCP sees only as an atom: write "
                "norm2(x) for sqrt(sum_squares(x)), and norm2(L @ x) for sqrt(quad_form(x, S)) "
                "with a factor L of S (S = L'L)")
    return None


def _log_hint(node: ir.Call) -> str | None:
    inner = node.args[0] if node.args else None
    if isinstance(inner, ir.Call) and inner.func == "sum" and inner.args and \
            isinstance(inner.args[0], ir.Call) and inner.args[0].func == "exp":
        return ("log(sum(exp(x))) is convex only as one atom: write log_sum_exp(x) (with "
                "`weights = w` for log(sum(w * exp(x))))")
    return None


def _reduction(name: str, lower: Callable[[Evaluator, ir.Call], Value], doc: str,
               facts: Facts, max_args: int = 1, usage: str = "", **more: Any) -> Builtin:
    pair = max_args == 2  # max(a, b), min(a, b)
    return Builtin(name=name, signature=signature(
        1, max_args, "over", usage=usage or f"{name}(x), {name}(x, over = S)"),
        doc=doc, shape=rules.EXTREMUM if pair else rules.REDUCTION,
        units=rules.KEEP_OR_SAME if pair else rules.KEEP, lower=lower, facts=facts,
        batched=True, **more)


def _elementwise(name: str, numeric: Callable[[Any], Any], atom: Callable[[Any], Any],
                 doc: str, facts: Facts, units: UnitsRule = rules.PURE_IF_PURE,
                 **more: Any) -> Builtin:
    return Builtin(name=name, signature=signature(1, 1, usage=f"{name}(x)"), doc=doc,
                   shape=rules.ELEMENTWISE, units=units,
                   lower=rules.elementwise(numeric, atom), numeric=numeric, atom=atom,
                   facts=facts, batched=True, **more)


def _norm(name: str, numeric: Callable[[Any], Any], atom: Callable[[Any], Any], doc: str,
          units: UnitsRule = rules.KEEP) -> Builtin:
    return Builtin(name=name, signature=signature(1, 1, usage=f"{name}(x)"), doc=doc,
                   shape=rules.SCALAR, units=units, lower=rules.whole(numeric, atom),
                   numeric=numeric, atom=atom, facts=Facts("convex", sign="nonneg"))


register(
    _reduction("sum", _sum, "the sum of all elements, or along S only", Facts(
        "affine", "increasing"), dsp_atom="inner"),
    _reduction("mean", _mean, "the mean of all elements, or along S only",
               Facts("affine", "increasing")),
    _reduction("max", _extremum(np.max, np.maximum, cp.max, cp.maximum),
               "the largest element, or along S only; max(a, b) elementwise",
               Facts("convex", "increasing"), 2,
               "max(x), max(x, over = S), max(a, b)"),
    _reduction("min", _extremum(np.min, np.minimum, cp.min, cp.minimum),
               "the smallest element, or along S only; min(a, b) elementwise",
               Facts("concave", "increasing"), 2,
               "min(x), min(x, over = S), min(a, b)"),
    *(Builtin(name=name, signature=signature(1, 1, "over", usage=f"{name}(x), "
                                             f"{name}(x, over = S)"),
              doc=f"the value at the {name} label of x's only set, or of S",
              shape=rules.END, units=rules.KEEP, lower=_first_or_last(position),
              facts=Facts("affine", "increasing"))
      for name, position in (("first", 0), ("last", -1))),
    Builtin(name="diff", signature=signature(1, 1, "over", usage="diff(x, over = S)"),
            doc="x[t] - x[t-1] along S; 0 at S's first label", shape=rules.ALONG,
            units=rules.KEEP, lower=_diff, facts=Facts("affine")),
    Builtin(name="count", signature=signature(1, 1, usage="count(S), count(x)"),
            doc="the number of labels of a set, or of elements of x", shape=rules.SCALAR,
            units=rules.DIMENSIONLESS, lower=_count),
    _elementwise("abs", np.abs, cp.abs, "|x|, elementwise", Facts("convex", sign="nonneg"),
                 rules.KEEP),
    _elementwise("pos", lambda v: np.maximum(v, 0), cp.pos, "max(x, 0), elementwise",
                 Facts("convex", "increasing", "nonneg"), rules.KEEP),
    _elementwise("neg", lambda v: np.maximum(-v, 0), cp.neg, "max(-x, 0), elementwise",
                 Facts("convex", "decreasing", "nonneg"), rules.KEEP),
    _elementwise("square", np.square, cp.square, "x², elementwise",
                 Facts("convex", sign="nonneg"), rules.SQUARED),
    _elementwise("sqrt", np.sqrt, cp.sqrt, "√x, elementwise (x ≥ 0)",
                 Facts("concave", "increasing", "nonneg"), dcp_hint=_sqrt_hint),
    _elementwise("exp", np.exp, cp.exp, "eˣ, elementwise", Facts("convex", "increasing",
                                                                "nonneg")),
    _elementwise("log", np.log, cp.log, "the natural log, elementwise (x > 0)",
                 Facts("concave", "increasing"), dcp_hint=_log_hint),
    _elementwise("log1p", np.log1p, cp.log1p, "log(1 + x), elementwise (x > -1), accurate "
                 "for small x", Facts("concave", "increasing")),
    _elementwise("inv_pos", lambda v: 1 / v, cp.inv_pos, "1/x, elementwise (x > 0)",
                 Facts("convex", "decreasing", "nonneg")),
    _norm("norm1", lambda v: np.linalg.norm(v, 1), lambda v: cp.norm(v, 1),
          "Σ|x| over all elements"),
    _norm("norm2", lambda v: np.linalg.norm(v, 2), lambda v: cp.norm(v, 2),
          "√(Σx²) over all elements"),
    _norm("norm_inf", lambda v: np.linalg.norm(v, np.inf), lambda v: cp.norm(v, "inf"),
          "max |x| over all elements"),
    _norm("sum_squares", lambda v: np.sum(np.square(v)), cp.sum_squares,
          "Σx² over all elements", rules.SQUARED),
)
