"""Arrays and cvxpy expressions over named axes: align, broadcast, contract, reduce.

Every lowered value has one axis per index set of its `Shapes` entry, in that order. These
helpers move between such orders and treat numpy arrays and cvxpy expressions alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import cvxpy as cp
import numpy as np

from compiler.passes.symbols import Symbol

Index = tuple[Symbol, ...]
Value = Any  # np.ndarray (0-d for scalars) or cp.Expression


def is_expr(value: Value) -> bool:
    return isinstance(value, cp.Expression)


def varies(value: Value) -> bool:
    """A cvxpy expression that holds a variable (not a constant wrapped as one)."""
    return is_expr(value) and not value.is_constant()


def nodes(value: Any) -> Iterator[Any]:
    """Every node of a cvxpy expression tree (an objective, a constraint, an atom), the
    root first; shared subtrees as often as they are reached."""
    stack = [value]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(getattr(node, "args", ()))


def permute(value: Value, order: list[int]) -> Value:
    if order == sorted(order):
        return value
    if is_expr(value):
        if len(order) == 2:
            return value.T
        return cp.permute_dims(value, order)
    return np.transpose(value, order)


def reshape(value: Value, shape: tuple[int, ...]) -> Value:
    if tuple(value.shape) == shape:
        return value
    if is_expr(value):
        return cp.reshape(value, shape, order="C")
    return np.reshape(value, shape)


def align(value: Value, src: Index, dst: Index) -> Value:
    """Reorder `value` (over `src`) to `dst`'s order with size-1 axes for sets it lacks."""
    if src == dst or not src:
        return value
    present = [s for s in dst if s in src]
    value = permute(value, [src.index(s) for s in present])
    if len(present) == len(dst):
        return value
    sizes = dict(zip(present, value.shape, strict=True))
    return reshape(value, tuple(sizes.get(s, 1) for s in dst))


def broadcast(value: Value, src: Index, dst: Index, shape: tuple[int, ...]) -> Value:
    """`value` over `src` as a full array or expression over `dst` of the given shape."""
    value = align(value, src, dst)
    if tuple(getattr(value, "shape", ())) == shape:
        return value
    if is_expr(value):
        if value.shape == ():
            return value * np.ones(shape) if shape else value
        return cp.broadcast_to(value, shape)
    return np.broadcast_to(value, shape)


def multiply(a: Value, b: Value) -> Value:
    if is_expr(a) or is_expr(b):
        if getattr(a, "shape", ()) == () or getattr(b, "shape", ()) == ():
            return a * b
        return cp.multiply(a, b)
    return np.multiply(a, b)


def contract(left: Value, li: Index, right: Value, ri: Index,
             pairs: list[tuple[Symbol, Symbol]]) -> Value:
    """Sum over the paired axes; the result's axes are left's kept then right's kept."""
    l_axes = [li.index(a) for a, _ in pairs]
    r_axes = [ri.index(b) for _, b in pairs]
    if not is_expr(left) and not is_expr(right):
        return np.tensordot(left, right, axes=(l_axes, r_axes))
    simple = (len(pairs) == 1 and l_axes[0] == len(li) - 1 and r_axes[0] == 0
              and len(li) <= 2 and len(ri) <= 2)
    if simple:
        return left @ right
    kept_l = [k for k in range(len(li)) if k not in l_axes]
    kept_r = [k for k in range(len(ri)) if k not in r_axes]
    lsh, rsh = tuple(left.shape), tuple(right.shape)
    csize = math.prod(lsh[k] for k in l_axes)
    left2 = reshape(permute(left, kept_l + l_axes),
                    (math.prod(lsh[k] for k in kept_l), csize))
    right2 = reshape(permute(right, r_axes + kept_r),
                     (csize, math.prod(rsh[k] for k in kept_r)))
    out_shape = tuple(lsh[k] for k in kept_l) + tuple(rsh[k] for k in kept_r)
    product = left2 @ right2
    if out_shape == ():
        return product[0, 0]
    return reshape(product, out_shape)


def along(value: Value, axis: int, matrix: np.ndarray) -> Value:
    """Apply an n x n `matrix` along one axis: out[.., t, ..] = sum_s M[t, s] value[.., s, ..]."""
    ndim = len(value.shape)
    order = [axis] + [k for k in range(ndim) if k != axis]
    moved = permute(value, order)
    shape = tuple(moved.shape)
    flat = reshape(moved, (shape[0], math.prod(shape[1:]))) if ndim > 1 else moved
    out = matrix @ flat
    if ndim > 1:
        out = reshape(out, shape)
    inverse = [order.index(k) for k in range(ndim)]
    return permute(out, inverse)


def take(value: Value, axis: int, position: int) -> Value:
    index: list[Any] = [slice(None)] * len(value.shape)
    index[axis] = position
    return value[tuple(index)]


def reduce_sum(value: Value, axis: int | None) -> Value:
    if is_expr(value):
        return cp.sum(value) if axis is None else cp.sum(value, axis=axis)
    return np.sum(value) if axis is None else np.sum(value, axis=axis)


def reduce_all_but(value: Value, index: Index, keep: Symbol,
                   reducer: Any) -> Value:
    """Reduce every axis except `keep` (a batch axis: rolling windows), which comes first."""
    value = align(value, index, (keep,) + tuple(s for s in index if s is not keep))
    rows = value.shape[0]
    flat = reshape(value, (rows, math.prod(value.shape[1:]) if len(value.shape) > 1 else 1))
    return reducer(flat, 1)


def batched_contract(left: Value, li: Index, right: Value, ri: Index,
                     pairs: list[tuple[Symbol, Symbol]], out: Index, batch: Symbol) -> Value:
    """`contract` when a batch axis may sit on both sides: it stays, paired like a label."""
    if batch in li and batch in ri:
        summed = [a for a, _ in pairs]
        if (is_expr(left) != is_expr(right)) and len(out) == 1 and len(summed) == 1 and \
                len(li) == 2 and len(ri) == 2:
            # (window, n) . (window, n) -> (window,): one multiply and one row sum
            a = align(left, li, (batch, summed[0]))
            b = align(right, ri, (batch, summed[0]))
            product = cp.multiply(a, b) if is_expr(a) or is_expr(b) else a * b
            return cp.sum(product, axis=1)
        union = out + tuple(summed)
        product = multiply(align(left, li, union), align(right, ri, union))
        shape = tuple(product.shape)
        rows = math.prod(shape[: len(out)])
        flat = reshape(product, (rows, math.prod(shape[len(out):])))
        total = cp.sum(flat, axis=1) if is_expr(flat) else np.sum(flat, axis=1)
        return reshape(total, shape[: len(out)])
    result = contract(left, li, right, ri, pairs)
    gone_l, gone_r = {a for a, _ in pairs}, {b for _, b in pairs}
    actual = tuple(s for s in li if s not in gone_l) + tuple(s for s in ri if s not in gone_r)
    return align(result, actual, out)


def psd_quadratic(x: cp.Expression, matrix: np.ndarray, factors: Any = None) -> cp.Expression:
    """x' P x for a symmetric data matrix P. In factor form, `sum_squares(L' x)` with
    L L' = P (a Cholesky factor), when P is positive definite: cvxpy then needs no
    eigendecomposition of P, and the problem holds L's n(n+1)/2 nonzeros instead of a dense
    P (the robust mean at n = 500: 0.58x the hand SOCP, from 1.12x). A singular or
    indefinite P stays `quad_form` (cvxpy judges it, `discipline` names its smallest
    eigenvalue). `factors` (factors.FactorProducts, the robust counterpart's): L'x as a
    variable y that an ellipsoid's norm over the same L shares."""
    try:
        factor = np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return cp.quad_form(x, matrix)
    shared = factors.product(factor, x) if factors is not None else None
    return cp.sum_squares(shared if shared is not None else factor.T @ x)
