"""Robust models that used to end in an internal error (exit 70, a raw exception, E900) or a
misleading message: each now solves correctly or fails with a located, truthful error.

Every expected number comes from outside Saddle: a closed form worked by hand in the test's
docstring, or a plain-cvxpy problem written here with the set's support function
(box [lo, hi]: max_u a'u = sum max(a lo, a hi); ball: a'c + r ||a||_2). Both robust backends
must agree with it. Errors are checked by code and by the text they point at.
"""

from __future__ import annotations

import math
from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from saddle_testing import compile_text, first_error
from test_cli_process import run

BACKENDS = ("counterpart", "dsp")
TOL = 1e-5


def solved(body: str, backend: str):
    result = compile_text(body, backend=backend).solve()
    # the certificate (compiler/backends/certificate.py) may not measure every row it took: the
    # answer itself is checked against the independent value below
    assert result.status.startswith("optimal"), (backend, result.status, result.notes)
    return result


def close(got: float, expected: float, tol: float = TOL) -> bool:
    return abs(got - expected) <= tol * (1.0 + abs(expected))


def reference(objective, constraints) -> tuple[float, cp.Problem]:
    problem = cp.Problem(objective, constraints)
    problem.solve(solver="CLARABEL")
    assert problem.status == "optimal"
    return float(problem.value), problem


def located(body: str, code: str, text: str, **kwargs) -> None:
    diagnostic = first_error(body, **kwargs)
    assert diagnostic.code == code, (diagnostic.code, diagnostic.message)
    assert " ".join(diagnostic.span.text.split()) == text, diagnostic.span.text


# ---- 1. a rolling model with an uncertain quantity ----

def test_rolling_robust_model_is_located_at_the_uncertain_declaration(tmp_path: Path) -> None:
    days = pd.bdate_range("2024-01-01", periods=30).strftime("%Y-%m-%d")
    frame = pd.DataFrame({"x": np.linspace(0.01, 0.02, 30), "y": 0.015}, index=days)
    frame.index.name = "date"
    frame.to_csv(tmp_path / "r.csv")
    body = """set day = csv("r.csv").date
set a = ["x", "y"]
series ret[day, a] = csv("r.csv")
variable w[a] >= 0
uncertain u[a] in box(-0.01, 0.01)
rebalance every week on day
maximize f: sum(w * (mean(ret, over = day) + u))
subject to
    budget: sum(w) == 1
"""
    located(body, "E901", "u", base_dir=tmp_path)


def test_every_on_a_robust_model_is_located_too() -> None:
    body = """set a = ["x", "y"]
variable w[a] >= 0 <= 1
uncertain u[a] in box(-0.01, 0.01)
maximize f: sum(w * (0.05 + u))
"""
    located(body, "E901", "u", every="month")


# ---- 2. a nonconvex uncertain block ----

@pytest.mark.parametrize("line", ["u * u >= 1", "square(u) >= 0.5"])
@pytest.mark.parametrize("backend", ("auto",) + BACKENDS)
def test_nonconvex_block_line_is_e410_at_the_line(line: str, backend: str) -> None:
    body = f"""set i = ["a", "b"]
variable x[i] >= 0
uncertain u[i]:
    cap: u <= 2
    lo: {line}
minimize f: sum(x)
subject to
    r: x @ u >= 1
"""
    located(body, "E410", f"lo: {line}", backend=backend)


def test_nonconvex_block_line_in_a_worst_case_analysis() -> None:
    body = """set i = ["a", "b"]
uncertain u[i]:
    cap: u <= 2
    lo: square(u) >= 0.5
minimize f: sum(u)
"""
    located(body, "E410", "lo: square(u) >= 0.5")


# ---- 3. an uncertain quantity in a set's arguments ----

@pytest.mark.parametrize("backend", ("auto",) + BACKENDS)
def test_uncertain_quantity_in_set_arguments_is_located(backend: str) -> None:
    body = """set i = ["a", "b"]
variable x[i] >= 0
uncertain u[i] in box(-1, 1)
uncertain v[i] in box(u, 2)
minimize f: sum(x)
subject to
    r: x @ v >= 1
"""
    located(body, "E406", "u", backend=backend)


def test_uncertain_set_data_is_a_clean_cli_error(tmp_path: Path) -> None:
    path = tmp_path / "m.saddle"
    path.write_text('model m "test"\nset i = ["a", "b"]\nvariable x[i] >= 0\n'
                    "uncertain u[i] in box(-1, 1)\nuncertain v[i] in box(u, 2)\n"
                    "minimize f: sum(x)\nsubject to\n    r: x @ v >= 1\n")
    done = run("solve", str(path))
    assert done.returncode == 1, done.stderr
    assert "error[E406]" in done.stderr and "internal error" not in done.stderr


# ---- 4. the adversary would maximize a convex function of u ----

@pytest.mark.parametrize("backend", ("auto",) + BACKENDS)
def test_convex_in_u_against_the_adversary_is_e412_at_the_term(backend: str) -> None:
    body = """set i = ["a", "b"]
variable w[i]
uncertain u[i] in box(-1, 1)
maximize f: sum(w)
subject to
    r: sum_squares(w + u) <= 4
"""
    located(body, "E412", "sum_squares(w + u)", backend=backend)


# ---- 5. abs and max of terms affine in u: split into rows ----

ABS_BOX = """set i = ["a", "b"]
param mu[i] = [1, 2]
variable w[i] >= -5 <= 5
uncertain u[i] in box(-1, 1)
maximize f: mu @ w - 0.5 * sum_squares(w)
subject to
    r: abs(w @ u) <= 2
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_abs_of_an_affine_term_over_a_box(backend: str) -> None:
    """max over the box of |w'u| = ||w||_1."""
    w = cp.Variable(2)
    mu = np.array([1.0, 2.0])
    expected, _ = reference(cp.Maximize(mu @ w - 0.5 * cp.sum_squares(w)),
                            [cp.norm1(w) <= 2, w >= -5, w <= 5])
    result = solved(ABS_BOX, backend)
    assert close(result.objective, expected)


ABS_BALL = """set i = ["a", "b"]
param mu[i] = [1, 2]
param c[i] = [0.5, -0.2]
variable w[i] >= -5 <= 5
uncertain u[i] in ball(c, 0.3)
maximize f: mu @ w - 0.5 * sum_squares(w)
subject to
    r: 2 >= abs(w @ u)
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_abs_over_an_off_center_ball_and_its_worst_case(backend: str) -> None:
    """max over the ball of |w'u| = |w'c| + r ||w||_2 (both signs of w'u are tried)."""
    w = cp.Variable(2)
    mu, c = np.array([1.0, 2.0]), np.array([0.5, -0.2])
    expected, _ = reference(cp.Maximize(mu @ w - 0.5 * cp.sum_squares(w)),
                            [cp.abs(c @ w) + 0.3 * cp.norm(w, 2) <= 2, w >= -5, w <= 5])
    result = solved(ABS_BALL, backend)
    assert close(result.objective, expected)
    x = np.asarray(result.values["w"], dtype=float)
    u = np.asarray(result.worst_case["r"]["u"], dtype=float)
    assert np.linalg.norm(u - c) <= 0.3 + 1e-5  # in the set
    worst = abs(c @ x) + 0.3 * np.linalg.norm(x)
    assert abs(x @ u) == pytest.approx(worst, abs=1e-4)  # and the adversary's best


MAX_BOX = """set i = ["a", "b"]
param mu[i] = [0.5, 3]
variable w[i] >= -5 <= 5
uncertain u[i] in box(0.5, 1)
maximize f: mu @ w - 0.5 * sum_squares(w)
subject to
    r: max(w * u) <= 1
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_of_affine_terms_is_each_term_robust(backend: str) -> None:
    """max_i w_i u_i <= 1 for all u in [0.5, 1]^2 <=> max(0.5 w_i, w_i) <= 1: w = (0.5, 1),
    f = 0.25 + 3 - 0.5 (0.25 + 1) = 2.625."""
    result = solved(MAX_BOX, backend)
    assert close(result.objective, 2.625)
    np.testing.assert_allclose(np.asarray(result.values["w"], dtype=float), [0.5, 1.0],
                               atol=1e-4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_norm_inf_and_min_split_too(backend: str) -> None:
    """norm_inf(w * u) <= 1 and min(w * u) >= -0.8 over u in [0.5, 1]^2: |w_i| <= 1 and
    min(0.5 w_i, w_i) >= -0.8, i.e. -0.8 <= w_i <= 1."""
    body = """set i = ["a", "b"]
param mu[i] = [-3, 3]
variable w[i] >= -5 <= 5
uncertain u[i] in box(0.5, 1)
maximize f: mu @ w - 0.5 * sum_squares(w)
subject to
    top: norm_inf(w * u) <= 1
    bottom: min(w * u) >= -0.8
"""
    w = cp.Variable(2)
    expected, _ = reference(cp.Maximize(np.array([-3.0, 3.0]) @ w - 0.5 * cp.sum_squares(w)),
                            [cp.abs(w) <= 1, cp.minimum(0.5 * w, w) >= -0.8])
    assert close(expected, 2.4 + 3.0 - 0.5 * (0.64 + 1))  # w = (-0.8, 1)
    assert close(solved(body, backend).objective, expected)


def test_abs_rows_take_integer_decisions() -> None:
    """The split rows are the counterpart's, so integer decisions stay allowed: with
    |n_a| + |n_b| <= 2 (the box's worst case), the best of n_a + 2 n_b is n = (0, 2)."""
    body = """set i = ["a", "b"]
variable n[i] integer >= -3 <= 3
uncertain u[i] in box(-1, 1)
maximize f: n["a"] + 2 * n["b"]
subject to
    r: abs(n @ u) <= 2
"""
    result = compile_text(body).solve()
    assert result.status.startswith("optimal")
    assert result.objective == pytest.approx(4.0, abs=1e-6)


# ---- 6. a decision in the exponents of a weighted log_sum_exp ----

@pytest.mark.parametrize("backend", ("auto",) + BACKENDS)
def test_decision_and_uncertainty_in_the_exponents(backend: str) -> None:
    body = """set t = 1..3
param cf[t] = [1, 1, 2]
variable x >= -1 <= 1
uncertain u[t] in box(-0.1, 0.1)
minimize f: log_sum_exp(-t * (x + u), weights = cf) + square(x)
"""
    located(body, "E412", "log_sum_exp(-t * (x + u), weights = cf)", backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_decisions_in_exponents_and_weights(backend: str) -> None:
    body = """set t = 1..3
param cf[t] = [1, 1, 2]
variable x >= -1 <= 1
variable h[t] >= 0 <= 1
uncertain u[t] in box(-0.1, 0.1)
maximize f: log_sum_exp(-t * (x + u), weights = h * cf) - sum(h)
"""
    diagnostic = first_error(body, backend=backend)
    assert diagnostic.code in ("E412", "E413")
    assert diagnostic.span.text.startswith("log_sum_exp")


# ---- 7. a convex term weighted by a polyhedral (or box) uncertain quantity ----

CRASH_MIN = """set i = ["a", "b"]
param c[i] = [1, 2]
variable x
uncertain u[i]:
    lo: u >= 0
    total: sum(u) == 1
minimize f: sum(u * square(x - c))
"""


@pytest.mark.parametrize("backend", ("auto",) + BACKENDS)
def test_polyhedral_weights_on_a_convex_term(backend: str) -> None:
    """min_x max_i (x - c_i)^2 = 0.25 at x = 1.5; the worst case is any mix of the two."""
    result = solved(CRASH_MIN, backend)
    assert close(result.objective, 0.25)
    assert float(result.values["x"]) == pytest.approx(1.5, abs=1e-4)
    u = np.asarray(result.worst_case["objective"]["u"], dtype=float)
    assert (u >= -1e-6).all() and u.sum() == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_box_weights_on_a_convex_term(backend: str) -> None:
    """u in [0.5, (1, 3)]: the adversary takes the top, min_x (x-1)^2 + 3 (x-2)^2 = 0.75 at
    x = 1.75."""
    body = CRASH_MIN.replace("""uncertain u[i]:
    lo: u >= 0
    total: sum(u) == 1
""", "param hi[i] = [1, 3]\nuncertain u[i] in box(0.5, hi)\n")
    result = solved(body, backend)
    assert close(result.objective, 0.75)
    assert float(result.values["x"]) == pytest.approx(1.75, abs=1e-4)


@pytest.mark.parametrize("backend", ("auto",) + BACKENDS)
def test_convex_term_weighted_by_a_quantity_that_can_be_negative(backend: str) -> None:
    body = CRASH_MIN.replace("""uncertain u[i]:
    lo: u >= 0
    total: sum(u) == 1
""", "uncertain u[i] in box(-1, 1)\n")
    diagnostic = first_error(body, backend=backend)
    assert diagnostic.code in ("E412", "E413")
    assert diagnostic.span.text == "sum(u * square(x - c))"


# ---- 8. a scalar weighted log_sum_exp ----

def test_scalar_weighted_log_sum_exp() -> None:
    """log(2 e^x) + x^2 = log 2 + x + x^2: least at x = -1/2, log 2 - 1/4."""
    result = compile_text("variable x\nminimize f: log_sum_exp(x, weights = 2) + square(x)\n"
                          ).solve()
    assert result.status == "optimal"
    assert close(result.objective, math.log(2) - 0.25)


# ---- 9. a solver that cannot take the saddle-point form ----

FLOOR_EXP = """set t = 1..2
variable h[t] >= 0
uncertain d[t] in box(-0.01, 0.01)
minimize cost: sum(h)
subject to
    floor: h @ exp(-t * d) >= 1
"""


def test_scipy_on_the_saddle_point_form_is_a_solver_error(tmp_path: Path) -> None:
    path = tmp_path / "floor.saddle"
    path.write_text('model floor "test"\n' + FLOOR_EXP)
    done = run("solve", str(path), "--solver", "SCIPY", "--backend", "dsp")
    assert done.returncode == 4, done.stderr
    assert "solver_error" in done.stdout and "internal error" not in done.stderr


# ---- 10. a robust floor on an exp of an uncertain shift ----

@pytest.mark.parametrize("backend", ("auto", "dsp"))
def test_robust_floor_on_an_exp(backend: str) -> None:
    """h @ exp(-t d) is convex in d, so its worst case is at d = 0.01 for every t: min sum(h)
    s.t. sum_t h_t exp(-0.01 t) >= 1."""
    h = cp.Variable(2, nonneg=True)
    expected, _ = reference(cp.Minimize(cp.sum(h)),
                            [np.exp(-0.01 * np.array([1.0, 2.0])) @ h >= 1])
    assert close(expected, math.exp(0.01))  # all on t = 1
    result = solved(FLOOR_EXP, backend)
    assert result.worst_case and compile_text(FLOOR_EXP, backend=backend).backend == "dsp"
    assert close(result.objective, expected)
    d = np.asarray(result.worst_case["floor"]["d"], dtype=float)
    assert d[0] == pytest.approx(0.01, abs=1e-5)  # the element that carries the floor


def test_robust_floor_on_an_exp_needs_the_sign_of_h() -> None:
    """With h free, h @ exp(-t d) is not convex in d: E412 at the constraint's term."""
    located(FLOOR_EXP.replace("variable h[t] >= 0", "variable h[t] >= -1"), "E412",
            "h @ exp(-t * d)")


# ---- 11. the error points at the term to blame ----

def test_e412_blames_the_constraint_not_an_objective_without_u() -> None:
    body = FLOOR_EXP.replace("variable h[t] >= 0", "variable h[t] >= -1")
    diagnostic = first_error(body, backend="dsp")
    assert diagnostic.code == "E412"
    assert diagnostic.span.line == 7  # the constraint (the header is line 1), not `cost`


def test_e412_blames_the_bad_term_not_the_linear_one() -> None:
    body = """set i = ["a", "b"]
param mu[i] = [1, 2]
variable w[i] >= 0 <= 1
uncertain u[i] in box(-1, 1)
maximize f: w @ (mu + u) - sum(w * exp(u))
"""
    located(body, "E412", "sum(w * exp(u))")


def test_e412_for_a_let_used_by_a_robust_row_only() -> None:
    """An unused-looking let (used only by a robust row) is not blamed on the objective."""
    body = """set i = ["a", "b"]
param mu[i] = [1, 2]
variable w[i] >= -1 <= 1
uncertain u[i] in box(-1, 1)
let risk = w @ exp(u)
maximize f: w @ (mu + u)
subject to
    r: risk <= 1
"""
    located(body, "E412", "risk", backend="dsp")


def test_e406_says_uncertain_for_a_quad_form_matrix() -> None:
    body = """set i = ["a", "b"]
set j = i
param s0[i, j] = [[1, 0], [0, 1]]
variable w[i] >= 0
uncertain S[i, j] in box(s0 - 0.1, s0 + 0.1)
minimize risk: quad_form(w, S)
subject to
    b: sum(w) == 1
"""
    diagnostic = first_error(body, backend="dsp")
    assert diagnostic.code == "E406" and diagnostic.span.text == "S"
    assert "uncertain" in diagnostic.message and "decision" not in diagnostic.message


INDEXED = """set i = ["a", "b"]
set j = ["x", "y", "z"]
param cap[i] = [1, 2]
param load[i, j] = [[1, 0.5, 0.2], [0.3, 1, 0.4]]
variable w[j] >= -3 <= 3
uncertain u[j] in box(-0.5, 1)
maximize f: sum(w) - 0.1 * sum_squares(w)
subject to
    r: abs(load @ (w * u)) <= cap
    s: max(load * w * u, over = j) <= 0.6 * cap
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_indexed_abs_and_max_over_a_set(backend: str) -> None:
    """Per label i: |sum_j load_ij w_j u_j| <= cap_i and max_j load_ij w_j u_j <= 0.6 cap_i
    for every u in [-0.5, 1]^3; over the box, max a'u = sum_j max(-0.5 a_j, a_j)."""
    w = cp.Variable(3)
    load, cap = np.array([[1, 0.5, 0.2], [0.3, 1, 0.4]]), np.array([1.0, 2.0])
    rows = [w >= -3, w <= 3]
    for k in range(2):
        a = cp.multiply(load[k], w)
        rows += [cp.sum(cp.maximum(-0.5 * a, a)) <= cap[k],
                 cp.sum(cp.maximum(0.5 * a, -a)) <= cap[k],
                 cp.maximum(-0.5 * a, a) <= 0.6 * cap[k]]
    expected, _ = reference(cp.Maximize(cp.sum(w) - 0.1 * cp.sum_squares(w)), rows)
    assert close(solved(INDEXED, backend).objective, expected)


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_along_the_rows_own_set_is_located(backend: str) -> None:
    """`max(w * u) <= w` compares the largest element with each one: not split (the max's
    set is the row's own), and neither path reads it: located, not an internal error."""
    body = """set j = ["x", "y"]
variable w[j] >= 0 <= 1
uncertain u[j] in box(0.5, 1)
maximize f: sum(w)
subject to
    clash: max(w * u) <= w
"""
    diagnostic = first_error(body, backend=backend)
    assert diagnostic.code in ("E412", "E413")
    assert diagnostic.span.text == "max(w * u)"
