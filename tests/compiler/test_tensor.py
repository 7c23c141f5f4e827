"""Named-axis helpers against numpy's einsum, for numpy and cvxpy values alike."""

import cvxpy as cp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.lowering import tensor
from compiler.passes.symbols import Symbol, SymbolKind
from dsl.source import synthetic_span

A, B, C, W = (Symbol(n, SymbolKind.SET, synthetic_span()) for n in "abcw")
SIZES = {A: 2, B: 3, C: 4, W: 5}


def _random(index):
    return np.random.default_rng(len(index)).normal(size=tuple(SIZES[s] for s in index))


@settings(max_examples=30, deadline=None)
@given(st.permutations([A, B, C]), st.permutations([A, B, C]))
def test_align_permutes_like_transpose(src, dst):
    value = _random(tuple(src))
    moved = tensor.align(value, tuple(src), tuple(dst))
    expected = np.einsum(f"{''.join(s.name for s in src)}->{''.join(s.name for s in dst)}",
                         value)
    np.testing.assert_allclose(moved, expected)


def test_batched_contract_keeps_the_batch_axis_on_both_sides():
    left, right = _random((W, A)), _random((W, A)) + 1
    out = tensor.batched_contract(left, (W, A), right, (W, A), [(A, A)], (W,), W)
    np.testing.assert_allclose(out, np.einsum("wa,wa->w", left, right))
    x = cp.Variable((5, 2))
    x.value = left
    expr = tensor.batched_contract(x, (W, A), right, (W, A), [(A, A)], (W,), W)
    np.testing.assert_allclose(expr.value, np.einsum("wa,wa->w", left, right))


def test_batched_contract_with_the_batch_on_one_side():
    left, right = _random((A, W, B)), _random((B, C))
    out = tensor.batched_contract(left, (A, W, B), right, (B, C), [(B, B)], (W, A, C), W)
    np.testing.assert_allclose(out, np.einsum("awb,bc->wac", left, right))


def test_reduce_all_but_the_batch():
    value = _random((A, W, B))
    out = tensor.reduce_all_but(value, (A, W, B), W, lambda v, axis: np.sum(v, axis=axis))
    np.testing.assert_allclose(out, value.sum(axis=(0, 2)))


def test_along_applies_a_matrix_on_one_axis():
    value = _random((A, B))
    matrix = np.arange(9.0).reshape(3, 3)
    np.testing.assert_allclose(tensor.along(value, 1, matrix), value @ matrix.T)
