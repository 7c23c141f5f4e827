"""Matrices from vectors and back: trace, outer, diag."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cvxpy as cp
import numpy as np

from compiler.builtins import rules
from compiler.builtins.registry import (
    Builtin,
    Facts,
    Index,
    ShapeCall,
    ShapeRule,
    Value,
    register,
    signature,
)
from compiler.lowering import tensor
from compiler.passes import ir
from compiler.passes.alignment import aliases
from compiler.passes.symbols import index_text
from dsl.errors import error

if TYPE_CHECKING:
    from compiler.lowering.evaluate import Evaluator


def _trace_shape(call: ShapeCall) -> Index:
    (matrix,) = call.args
    if len(matrix) != 2 or matrix[0].root is not matrix[1].root:
        raise error("E303", f"trace of a value indexed by {index_text(matrix)}", call.node.span,
                    "trace needs a square matrix indexed by a set and its alias, e.g. "
                    "[asset, asset2] with `set asset2 = asset`")
    return ()


def _trace(ev: Evaluator, node: ir.Call) -> Value:
    matrix = ev(node.args[0])
    return cp.trace(matrix) if tensor.is_expr(matrix) else np.float64(np.trace(matrix))


def _outer_shape(call: ShapeCall) -> Index:
    left, right = call.args
    shared = [s for s in left if s in right]
    if shared:
        s = shared[0]
        alias = next((a for a in aliases(call.model, s) if a is not s), None)
        hint = (f"write outer(a, b[{alias.name}]) to put b on '{alias.name}'" if alias
                else f"declare an alias, `set {s.name}2 = {s.root.name}`, and write "
                     f"outer(a, b[{s.name}2])")
        raise error("E303", f"outer of two values that share '{s.name}'", call.node.span,
                    f"outer(a, b) pairs every label of a's sets with every label of "
                    f"b's: {hint}")
    return rules.union(left, right)


def _outer(ev: Evaluator, node: ir.Call) -> Value:
    out = ev.index(node)
    return tensor.multiply(ev.aligned(node.args[0], out), ev.aligned(node.args[1], out))


def _diag_shape(call: ShapeCall) -> Index:
    """diag(v[S]) is the matrix [S, S2] (S2 S's first alias); diag(M[S, S2]) the vector
    [S] of M's diagonal."""
    (index,) = call.args
    if len(index) == 2 and index[0].root is index[1].root:
        return index[:1]
    if len(index) != 1:
        raise error("E303", f"diag of a value indexed by {index_text(index)}", call.node.span,
                    "diag takes a vector v[S] (giving the matrix [S, S2]) or a square "
                    "matrix M[S, S2] (giving its diagonal [S])")
    s = index[0]
    alias = next((a for a in aliases(call.model, s) if a is not s), None)
    if alias is None:
        raise error("E303", f"diag of a vector on '{s.name}' needs an alias of "
                    f"'{s.name}' for its second axis", call.node.span,
                    f"declare one, e.g. `set {s.name}2 = {s.root.name}`")
    return (s, alias)


def _diag(ev: Evaluator, node: ir.Call) -> Value:
    value = ev(node.args[0])  # a vector becomes a matrix, a square matrix its diagonal
    return cp.diag(value) if tensor.is_expr(value) else np.diag(np.asarray(value, float))


register(
    Builtin(name="trace", signature=signature(1, 1, usage="trace(M)"),
            doc="the sum of the diagonal of M[S, S2] (S2 an alias of S)",
            shape=ShapeRule("scalar", _trace_shape), units=rules.keep("M's"), lower=_trace,
            facts=Facts("affine", "increasing")),
    Builtin(name="outer", signature=signature(2, 2, usage="outer(a, b)"),
            doc="a ⊗ b for values with no common set (outer(v, v[S2]) for a vector with "
                "itself)",
            shape=ShapeRule("the union of a's and b's", _outer_shape), units=rules.PRODUCT,
            lower=_outer),
    Builtin(name="diag", signature=signature(1, 1, usage="diag(v), diag(M)"),
            doc="the matrix with v[S] on its diagonal, indexed [S, S2] (S2 S's first alias); "
                "the diagonal of M[S, S2]",
            shape=ShapeRule("[S, S2] / [S]", _diag_shape),
            units=rules.keep("v's, M's"), lower=_diag,
            facts=Facts("affine", "increasing")),
)
