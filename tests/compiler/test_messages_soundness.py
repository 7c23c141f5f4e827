"""Located errors that tell the truth, and spellings that now mean what they say."""

import cvxpy as cp
import numpy as np
import pytest
from saddle_testing import compile_text, first_error

HEAD = 'set a = ["x", "y"]\nset a2 = a\nparam S[a, a2] = [[2, 1], [1, 3]]\nvariable w[a]\n'
S = np.array([[2.0, 1.0], [1.0, 3.0]])


@pytest.mark.parametrize("term", ["gamma * w @ S @ w", "gamma * (w @ S @ w)", "w @ S @ w * gamma",
                                  "gamma * w[a2] @ S @ w", "gamma * w @ S @ w[a2]"])
def test_a_scaled_quadratic_form_in_every_spelling(term):
    """`gamma * w @ S @ w` parses as ((gamma * w) @ S) @ w: it was E401."""
    result = compile_text(HEAD + f"param gamma = 2\nminimize o: {term} - sum(w)\n").solve()
    x = cp.Variable(2)
    oracle = cp.Problem(cp.Minimize(2 * cp.quad_form(x, S) - cp.sum(x)))
    oracle.solve(solver=cp.CLARABEL)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(oracle.value, rel=1e-6)


@pytest.mark.parametrize(("objective", "atom"), [
    ("sqrt(quad_form(w, S))", "norm2"),
    ("sqrt(sum_squares(w))", "norm2(x)"),
    ("log(sum(exp(w)))", "log_sum_exp(x)"),
])
def test_a_composition_dcp_cannot_see_names_the_atom(objective, atom):
    diagnostic = first_error(HEAD + f"minimize o: {objective}\nsubject to\n    b: sum(w) == 1\n")
    assert diagnostic.code == "E401" and atom in diagnostic.help


def test_a_second_rebalance_line_is_refused():
    body = ('set day = ["2024-01-02", "2024-01-03", "2024-02-01"]\n'
            "param r[day] = [0.01, 0.02, 0.03]\nvariable x >= 0 <= 1\n"
            "maximize o: sum(r) * x\nrebalance every month on day\n"
            "rebalance every quarter on day\n")
    diagnostic = first_error(body)
    assert diagnostic.code == "E211" and "second `rebalance`" in diagnostic.message


def test_the_scenario_draw_set_has_the_documented_name():
    """docs/language.md: `scenarios shock[1000, tenor]` has rows in a set named shock_draw."""
    body = ('set tenor = ["a", "b"]\nscenarios shock[200, tenor] ~ normal(0, 1, seed = 7)\n'
            "variable w[tenor]\nlet pnl[shock_draw] = shock @ w\n"
            "minimize o: cvar(0.9, -pnl)\nsubject to\n    b: sum(w) == 1\n")
    result = compile_text(body).solve()
    shock = np.random.default_rng(7).normal(0, 1, size=(200, 2))
    x, t = cp.Variable(2), cp.Variable()
    losses = -(shock @ x)
    oracle = cp.Problem(cp.Minimize(t + cp.sum(cp.pos(losses - t)) / (0.1 * 200)),
                        [cp.sum(x) == 1])
    oracle.solve(solver=cp.CLARABEL)
    assert result.objective == pytest.approx(oracle.value, rel=1e-6)


def test_a_quadratic_form_of_an_affine_vector():
    """`(w - c) @ S @ (w - c)` is quad_form(w - c, S), as `w @ S @ w` is (fuzz finding F7)."""
    body = HEAD + "param c[a] = [1, -1]\nminimize o: (w - c) @ S @ (w - c) + sum(w)\n"
    result = compile_text(body).solve()
    x = cp.Variable(2)
    oracle = cp.Problem(cp.Minimize(cp.quad_form(x - np.array([1, -1]), S) + cp.sum(x)))
    oracle.solve(solver=cp.CLARABEL)
    assert result.objective == pytest.approx(oracle.value, rel=1e-6)


def test_a_quadratic_constraint_reports_its_dual():
    """min w1 + w2 s.t. w1^2 + w2^2 <= 3: w = -sqrt(1.5), dual 1 / (2 sqrt(1.5)) by KKT
    (fuzz finding F1: the report crashed on the dual's shape)."""
    result = compile_text('set s = ["a", "b"]\nvariable w[s] >= -2 <= 2\nminimize o: sum(w)\n'
                          "subject to\n    c: sum_squares(w) <= 3\n").solve()
    assert result.objective == pytest.approx(-2 * np.sqrt(1.5), rel=1e-7)
    # an interior-point dual: ~4e-5 relative (Clarabel's tolerances)
    assert result.constraints["c"].dual == pytest.approx(1 / (2 * np.sqrt(1.5)), rel=1e-4)
    assert result.constraints["c"].binding
