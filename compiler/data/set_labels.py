"""Label-valued data: text params, `"y_" + key`, and comparisons in `indicator(...)`.

A param bound from a text column (each bond's rating) holds labels, not numbers, and so
does a set whose labels are not all numbers (`asset == asset2` compares names). Labels do
two things only: `+` joins them into the labels of another set (`"s_" + rating` names a
spread factor), and `==` inside `indicator(...)` turns them into 0/1 data aligned by name,
so a one-hot loading matrix is one line: `indicator("s_" + rating == factor)`. Used as a
number anywhere else, a label is a located error (E505 at the param, E208 at a string).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from compiler.data import sandbox as data
from compiler.lowering import tensor
from compiler.passes import ir
from compiler.passes.symbols import Symbol, SymbolKind
from dsl.ast import Relation
from dsl.errors import error

if TYPE_CHECKING:
    from compiler.lowering.evaluate import Evaluator

COMPARE: dict[Relation, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    Relation.EQ: operator.eq, Relation.LE: operator.le, Relation.GE: operator.ge}


def holds_text(value: object) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "U"


def is_text(ev: Evaluator, node: ir.Expr) -> bool:
    """True if `node` is label-valued: a string, a label param, a text column, or a join."""
    if isinstance(node, ir.Str):
        return True
    if isinstance(node, ir.Ref) and node.symbol.kind is SymbolKind.SET:
        # a set's labels compare as text unless every one is a number (`1..5`, years)
        return not _numeric(ev.bindings.labels_of(node.symbol))
    if isinstance(node, ir.Ref):
        return node.symbol.kind is SymbolKind.PARAM and holds_text(
            ev.bindings.values.get(node.symbol))
    if isinstance(node, ir.BinOp):
        return node.op is ir.BinOperator.ADD and (is_text(ev, node.left)
                                                 or is_text(ev, node.right))
    if isinstance(node, ir.Attr):
        return ev.bindings.is_text_column(node)
    return False


def _numeric(labels: list[object]) -> bool:
    try:
        for label in labels:
            float(label)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def text(ev: Evaluator, node: ir.Expr) -> np.ndarray:
    """`node`'s labels as strings, axes as `ev.index(node)`; numbers become their label text."""
    if isinstance(node, ir.Str):
        return np.array(node.value)
    if isinstance(node, ir.Ref) and node.symbol.kind is SymbolKind.SET:
        return np.array(ev.bindings.texts_of(node.symbol))
    if isinstance(node, ir.Ref) and holds_text(ev.bindings.values.get(node.symbol)):
        return ev.bindings.values[node.symbol]
    if isinstance(node, ir.BinOp) and node.op is ir.BinOperator.ADD:
        out = ev.index(node)
        left = tensor.align(text(ev, node.left), ev.index(node.left), out)
        right = tensor.align(text(ev, node.right), ev.index(node.right), out)
        return np.asarray(np.char.add(left, right))
    if isinstance(node, ir.Attr) and ev.bindings.is_text_column(node):
        return ev.bindings.table_labels(node, ev.index(node))
    values = ev.constant(node, "a label")
    texts = data.label_texts([float(v) for v in values.ravel()])
    return np.array(texts).reshape(values.shape)


def full_text(ev: Evaluator, node: ir.Expr, index: tuple[Symbol, ...], sizes: tuple[int, ...]
              ) -> np.ndarray:
    """A label-valued param's labels over its declared index (broadcast where it lacks a set)."""
    return np.broadcast_to(tensor.align(text(ev, node), ev.index(node), index), sizes).copy()


def indicator(ev: Evaluator, node: ir.Call) -> np.ndarray:
    """1.0 where the comparison (a chain: every link) holds, else 0.0, over its terms' sets."""
    test = node.args[0]
    if not isinstance(test, ir.Test):  # resolve guarantees it
        raise RuntimeError("indicator without a comparison")
    out = ev.index(test)
    labels = any(is_text(ev, term) for term in test.terms)
    if labels and any(op is not Relation.EQ for op in test.ops):
        raise error("E208", "labels compare with '==' only", test.span,
                    "order comparisons (<=, >=) need numbers; labels are equal or not")
    values = [tensor.align(text(ev, t) if labels else ev.constant(t, "a compared value"),
                           ev.index(t), out) for t in test.terms]
    holds = np.ones((1,) * len(out), dtype=bool)
    for op, left, right in zip(test.ops, values, values[1:], strict=False):
        holds = holds & COMPARE[op](left, right)
    return tensor.broadcast(holds.astype(float), out, out, ev.sizes(out))
