"""Named index sets (E3xx), and the name-erased algebra against numpy broadcasting."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from saddle_testing import HEADER, compile_text, first_error

from compiler.passes.resolve import resolve
from compiler.passes.shapes import check_shapes, contraction, union
from compiler.passes.symbols import Symbol, SymbolKind
from dsl import parse
from dsl.source import synthetic_span


def shapes_of(body: str):
    model = resolve(parse(HEADER + body))
    return model, check_shapes(model)


def test_arithmetic_aligns_by_name_and_unions():
    """An outer sum of values on unrelated sets is written with the sets named."""
    model, shapes = shapes_of('set a = [1, 2]\nset b = ["x", "y", "z"]\n'
                              "param p[a] = [1, 2]\nparam q[b] = [1, 2, 3]\n"
                              "let both = p[a] + q[b]\nvariable v\nminimize o: v\n")
    assert [s.name for s in shapes.lets[model.symbols["both"]]] == ["a", "b"]


def test_matmul_contracts_the_shared_set_and_aliases():
    body = ('set asset = ["a", "b"]\nset asset2 = asset\n'
            "param cov[asset, asset2] = [[2, 1], [1, 3]]\nvariable w[asset]\n"
            "let risk = w @ cov @ w\nminimize o: risk\nsubject to\n    budget: sum(w) == 1\n")
    model, shapes = shapes_of(body)
    assert shapes.lets[model.symbols["risk"]] == ()
    result = compile_text(body).solve()
    # min w'Cw on the budget line: w = C^-1 1 / (1' C^-1 1)
    cov = np.array([[2.0, 1.0], [1.0, 3.0]])
    ones = np.ones(2)
    w = np.linalg.solve(cov, ones) / (ones @ np.linalg.solve(cov, ones))
    assert result.objective == pytest.approx(w @ cov @ w, rel=1e-6)
    np.testing.assert_allclose(result.values["w"].to_numpy(), w, atol=1e-5)


def test_quad_form_matches_the_alias_form():
    body = ('set asset = ["a", "b"]\nset asset2 = asset\n'
            "param cov[asset, asset2] = [[2, 1], [1, 3]]\nvariable w[asset]\n"
            "minimize o: quad_form(w, cov)\nsubject to\n    budget: sum(w) == 1\n")
    assert compile_text(body).solve().objective == pytest.approx(5 / 3, rel=1e-6)


def test_shape_errors():
    sets = 'set a = [1, 2]\nset b = [1, 2, 3]\nparam p[a] = [1, 2]\nparam q[b] = [1, 2, 3]\n'
    assert first_error(sets + "variable x[a]\nminimize o: x\n").code == "E304"
    assert first_error(sets + "variable x[a]\nminimize o: sum(x @ q)\n").code == "E302"
    assert first_error(sets + "param r[a] = q\nvariable x\nminimize o: x\n").code == "E301"
    assert first_error(sets + "variable x[a]\nminimize o: sum(x, over = b)\n").code == "E303"
    assert first_error(sets + "param r[a, b] = [1, 2]\nvariable x\nminimize o: x\n"
                       ).code == "E305"


def _sets(names):
    return tuple(Symbol(n, SymbolKind.SET, synthetic_span()) for n in names)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_alignment_by_name_agrees_with_an_explicit_loop(data):
    """Erase names: `x + y` over the union of their sets, element by element."""
    from compiler.lowering.tensor import align

    pool = _sets("abcd")
    sizes = {s: data.draw(st.integers(1, 3)) for s in pool}
    left = tuple(data.draw(st.permutations(pool))[: data.draw(st.integers(0, 3))])
    right = tuple(data.draw(st.permutations(pool))[: data.draw(st.integers(0, 3))])
    out = union(left, right)
    rng = np.random.default_rng(0)
    x = rng.normal(size=tuple(sizes[s] for s in left))
    y = rng.normal(size=tuple(sizes[s] for s in right))
    total = align(x, left, out) + align(y, right, out)
    assert total.shape == tuple(sizes[s] for s in out)
    for position in itertools.product(*(range(sizes[s]) for s in out)):
        at = dict(zip(out, position, strict=True))
        expected = x[tuple(at[s] for s in left)] + y[tuple(at[s] for s in right)]
        assert total[position] == pytest.approx(expected)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_contraction_agrees_with_einsum(data):
    pool = _sets("abcd")
    sizes = {s: data.draw(st.integers(1, 3)) for s in pool}
    left = tuple(data.draw(st.permutations(pool))[: data.draw(st.integers(1, 3))])
    right = tuple(data.draw(st.permutations(pool))[: data.draw(st.integers(1, 3))])
    pairs = contraction(left, right)
    if not pairs:
        assert not set(left) & set(right)
        return
    from compiler.lowering.tensor import contract

    rng = np.random.default_rng(1)
    x = rng.normal(size=tuple(sizes[s] for s in left))
    y = rng.normal(size=tuple(sizes[s] for s in right))
    kept = [s for s in left if s not in right] + [s for s in right if s not in left]
    spec = (f"{''.join(s.name for s in left)},{''.join(s.name for s in right)}->"
            f"{''.join(s.name for s in kept)}")
    np.testing.assert_allclose(contract(x, left, y, right, pairs), np.einsum(spec, x, y))
