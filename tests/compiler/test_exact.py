"""Exact nonconvex forms: the mixed-integer rewrite equals the best of enumerating every
branch (sign, or zero) with continuous solves — the architecture's property test 6."""

import itertools

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import compile_model, loads
from dsl import SpecError

MODEL = """
model tiny "three positions with a minimum size"
set asset = ["a", "b", "c"]
param edge[asset] = {edge}
param cost[asset] = {cost}
param cap[asset] = {cap}
param gross = {gross}
param floor = {floor}
variable w[asset]
maximize net: sum(edge * w - cost * abs(w))
subject to
    size: abs(w) <= cap
    budget: sum(abs(w)) <= gross
    minimum: {minimum}
"""


def _branch_best(edge, cost, cap, gross, floor, allow_zero):
    """Enumerate the branches of each |w_i| >= floor (or w_i == 0) and solve each LP."""
    best = -np.inf
    branches = (-1, 0, 1) if allow_zero else (-1, 1)
    for pattern in itertools.product(branches, repeat=3):
        w = cp.Variable(3)
        cons = [cp.abs(w) <= cap, cp.sum(cp.abs(w)) <= gross]
        for i, sign in enumerate(pattern):
            cons.append(w[i] == 0 if sign == 0 else sign * w[i] >= floor)
        problem = cp.Problem(cp.Maximize(edge @ w - cost @ cp.abs(w)), cons)
        problem.solve(solver="CLARABEL")
        if problem.status == "optimal":
            best = max(best, problem.value)
    return best


vectors = st.lists(st.floats(-1, 1, allow_nan=False).map(lambda v: round(v, 3)), min_size=3,
                   max_size=3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edge=vectors,
       cost=st.lists(st.floats(0, 0.5).map(lambda v: round(v, 3)), min_size=3, max_size=3),
       cap=st.lists(st.floats(0.1, 2).map(lambda v: round(v, 3)), min_size=3, max_size=3),
       gross=st.floats(0.2, 4).map(lambda v: round(v, 3)),
       floor=st.floats(0.01, 0.5).map(lambda v: round(v, 3)),
       allow_zero=st.booleans())
def test_exact_form_equals_branch_enumeration(edge, cost, cap, gross, floor, allow_zero):
    minimum = "w == 0 or abs(w) >= floor" if allow_zero else "abs(w) >= floor"
    text = MODEL.format(edge=edge, cost=cost, cap=cap, gross=gross, floor=floor,
                        minimum=minimum)
    expected = _branch_best(np.array(edge), np.array(cost), np.array(cap), gross, floor,
                            allow_zero)
    result = compile_model(loads(text)).solve()
    if expected == -np.inf:
        assert result.status.startswith("infeasible")
    else:
        assert result.status == "optimal"
        assert result.objective == pytest.approx(expected, abs=1e-6)
        w = result.values["w"].to_numpy()
        holds = np.abs(w) >= floor - 1e-7
        if allow_zero:
            holds |= np.abs(w) <= 1e-7
        assert holds.all()


def test_no_finite_bound_is_a_located_error():
    text = """model m "no bound"
set s = ["a", "b"]
variable w[s]
maximize carry: sum(w) - sum(abs(w))
subject to
    haircut: abs(w) >= 0.02
"""
    with pytest.raises(SpecError) as info:
        compile_model(loads(text, "m.saddle"))
    diagnostic = info.value.diagnostics[0]
    assert diagnostic.code == "E404"
    assert (diagnostic.span.line, diagnostic.span.column) == (6, 5)
    assert "abs(w) <= L" in diagnostic.help


def test_declared_bounds_give_the_big_m():
    text = """model m "bounded"
set s = ["a", "b"]
variable w[s] >= -1 <= 3
maximize carry: sum(w) - 2 * sum(abs(w))
subject to
    haircut: abs(w) >= 0.5
"""
    compiled = compile_model(loads(text))
    assert compiled.lowered.exact["haircut"].big_m.tolist() == [3.0, 3.0]
    result = compiled.solve()
    # each position costs more than it earns, so each sits at the cheapest side: +0.5
    assert result.objective == pytest.approx(-1.0)
    assert any("declared bounds" in n for n in result.notes)


def test_exact_form_must_be_on_a_variable():
    text = """model m "expr"
set s = ["a", "b"]
variable w[s] >= -1 <= 1
maximize carry: sum(w)
subject to
    haircut: abs(2 * w) >= 0.5
"""
    with pytest.raises(SpecError) as info:
        compile_model(loads(text))
    assert info.value.codes == ["E405"]


def test_zero_or_minimum_size_with_a_zero_position_is_optimal() -> None:
    """A new user's trial: `w == 0 or abs(w) >= a` solved by SCIP with a position at 0 was
    reported solver_error (its slack read |w| - a = -a at w = 0). The brute force over the
    supports (a plain cvxpy QP each) gives the optimum."""
    mu, a = np.array([0.05, 0.04, -0.20]), 0.05
    best = -np.inf
    for support in itertools.product([False, True], repeat=3):
        w = cp.Variable(3)
        rows = [cp.sum(w) == 1, w >= 0, w <= 1]
        rows += [w[i] >= a if on else w[i] == 0 for i, on in enumerate(support)]
        problem = cp.Problem(cp.Maximize(mu @ w - 0.1 * cp.sum_squares(w)), rows)
        problem.solve()
        if problem.status == "optimal":
            best = max(best, float(problem.value))
    result = compile_model(loads('''model m "min size"
set asset = ["A", "B", "C"]
param mu[asset] in % = [5, 4, -20]
variable w[asset] >= 0 <= 1
maximize ret:
    mu @ w - 0.1 * sum_squares(w)
subject to
    budget: sum(w) == 1
    size: w == 0 or abs(w) >= 0.05
''')).solve()
    assert result.status == "optimal"
    assert result.objective == pytest.approx(best, abs=1e-6)
    slack = result.constraints["size"].slack
    assert abs(slack["C"]) <= 1e-6 and slack["A"] == pytest.approx(
        result.values["w"]["A"] - a, abs=1e-9)
