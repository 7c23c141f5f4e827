"""Robust models, checked against independent answers.

Every expected number here comes from outside Saddle: a plain-CVXPY problem written in this
file with the closed-form support function of the set (box: a'c + |a|'r; ball p:
a'c + r ||a||_q; ellipsoid: a'c + r ||L'a||_2 with L from a Cholesky factor; budget: the
maximum over an enumeration of the Bertsimas-Sim polytope's candidate vertices; simplex:
total * max_i a_i), a hand computation, or brute-force enumeration. Saddle's two paths
(the explicit counterpart and the DSP saddle-point form) must both agree with it, and the
worst case they report must lie in the set and attain the robust value.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from saddle_testing import compile_text, first_error

from compiler import compile_model, loads
from compiler.backends.dsp import RobustModel
from dsl import SpecError

BACKENDS = ("counterpart", "dsp")
TOL = 1e-4          # objective agreement, relative and absolute
SET_TOL = 1e-5      # membership of a reported worst case
LABELS = ["a", "b", "c", "d"]

EXAMPLES = settings(max_examples=10, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.filter_too_much])


def close(got: float, expected: float, tol: float = TOL) -> bool:
    return abs(got - expected) <= tol * (1.0 + abs(expected))


def solve(text: str, backend: str) -> tuple[Any, Any]:
    model = compile_text(text, backend=backend)
    result = model.solve()
    assert result.status == "optimal", (backend, result.status, result.notes)
    return model, result


def reference(objective: Any, constraints: list[Any]) -> float:
    problem = cp.Problem(objective, constraints)
    problem.solve(solver="CLARABEL")
    assert problem.status == "optimal", problem.status
    return float(problem.value)


def vec(result: Any, name: str, n: int) -> np.ndarray:
    value = np.asarray(result.values[name], dtype=float).reshape(-1)
    assert value.shape == (n,)
    return value


def worst(result: Any, row: str, name: str, n: int) -> np.ndarray:
    """The reported worst case of one scalar row, in label order."""
    value = result.worst_case[row][name]
    assert isinstance(value, pd.Series), value
    assert list(value.index) == LABELS[:n]
    out = np.asarray(value, dtype=float).reshape(-1)
    assert out.shape == (n,)
    return out


def fmt(x: float) -> str:
    return f"{float(x):.3f}"


def fmt_vector(v: np.ndarray) -> str:
    return "[" + ", ".join(fmt(x) for x in v) + "]"


def fmt_matrix(m: np.ndarray) -> str:
    return "[" + ", ".join(fmt_vector(row) for row in m) + "]"


def header(n: int, alias: bool = False) -> str:
    text = "set asset = [" + ", ".join(f'"{x}"' for x in LABELS[:n]) + "]\n"
    return text + ("set asset2 = asset\n" if alias else "")


# ---------------------------------------------------------------------------------------
# Standard sets: text, independent closed-form support function, membership test
# ---------------------------------------------------------------------------------------

@dataclass
class SetCase:
    kind: str
    n: int
    data: dict[str, Any] = field(default_factory=dict)

    # -- model text --

    @property
    def needs_alias(self) -> bool:
        return self.kind.startswith("ellipsoid")

    def params(self) -> str:
        lines = []
        for name, value in self.data.items():
            if name in ("radius", "gamma", "total", "explicit_norm", "omit_radius"):
                continue
            value = np.asarray(value)
            if value.ndim == 1:
                lines.append(f"param {name}[asset] = {fmt_vector(value)}")
            else:
                lines.append(f"param {name}[asset, asset2] = {fmt_matrix(value)}")
        return "".join(line + "\n" for line in lines)

    def expression(self) -> str:
        d = self.data
        if self.kind == "box":
            return "box(lo, hi)"
        if self.kind.startswith("ball"):
            p = self.kind[4:]
            if p == "2" and not d["explicit_norm"]:
                return f"ball(ctr, {fmt(d['radius'])})"
            return f"ball(ctr, {fmt(d['radius'])}, norm = {p})"
        if self.kind.startswith("ellipsoid"):
            key = self.kind.split("_")[1]
            if d["omit_radius"]:  # the radius defaults to 1
                return f"ellipsoid(ctr, {key} = M)"
            return f"ellipsoid(ctr, {key} = M, radius = {fmt(d['radius'])})"
        if self.kind == "budget":
            return f"budget(ctr, dev, {fmt(d['gamma'])})"
        if self.kind == "simplex":
            return "simplex" if d["total"] is None else f"simplex({fmt(d['total'])})"
        raise AssertionError(self.kind)

    def declaration(self) -> str:
        return (header(self.n, self.needs_alias) + self.params()
                + f"uncertain u[asset] in {self.expression()}\n")

    # -- independent closed forms --

    def factor(self) -> np.ndarray:
        """L with the ellipsoid {ctr + L z : ||z|| <= r}, by Cholesky (not Saddle's eigh)."""
        m = np.asarray(self.data["M"], dtype=float)
        if self.kind == "ellipsoid_covariance":
            return np.linalg.cholesky(m)
        if self.kind == "ellipsoid_precision":
            return np.linalg.cholesky(np.linalg.inv(m))
        return m  # shape: u = ctr + A z

    def budget_vertices(self) -> np.ndarray:
        """Every z in {-1, -f, 0, f, 1}^n inside ||z||_inf <= 1, ||z||_1 <= gamma: a superset
        of the polytope's vertices (at most one fractional entry f = gamma - floor(gamma))."""
        gamma = self.data["gamma"]
        f = gamma - np.floor(gamma)
        values = sorted({-1.0, -f, 0.0, f, 1.0})
        grid = np.array(list(itertools.product(values, repeat=self.n)))
        return grid[np.abs(grid).sum(axis=1) <= gamma + 1e-9]

    def total(self) -> float:
        t = self.data["total"]
        return 1.0 if t is None else float(t)

    def support(self, a: Any) -> Any:
        """max over the set of a'u, as a CVXPY expression convex in `a` (affine in x)."""
        d = self.data
        if self.kind == "box":
            mid, half = (d["lo"] + d["hi"]) / 2, (d["hi"] - d["lo"]) / 2
            return mid @ a + half @ cp.abs(a)
        if self.kind.startswith("ball"):
            duals: dict[str, int | str] = {"1": "inf", "2": 2, "inf": 1}
            dual = duals[self.kind[4:]]
            return d["ctr"] @ a + d["radius"] * cp.norm(a, dual)
        if self.kind.startswith("ellipsoid"):
            return d["ctr"] @ a + d["radius"] * cp.norm(self.factor().T @ a, 2)
        if self.kind == "budget":
            return d["ctr"] @ a + cp.max(self.budget_vertices() @ cp.multiply(d["dev"], a))
        if self.kind == "simplex":
            return self.total() * cp.max(a)
        raise AssertionError(self.kind)

    def support_value(self, a: np.ndarray) -> float:
        d = self.data
        if self.kind == "box":
            return float(np.where(a >= 0, d["hi"], d["lo"]) @ a)
        if self.kind.startswith("ball"):
            q = {"1": np.inf, "2": 2, "inf": 1}[self.kind[4:]]
            return float(d["ctr"] @ a + d["radius"] * np.linalg.norm(a, q))
        if self.kind.startswith("ellipsoid"):
            return float(d["ctr"] @ a + d["radius"] * np.linalg.norm(self.factor().T @ a))
        if self.kind == "budget":
            return float(d["ctr"] @ a + (self.budget_vertices() @ (d["dev"] * a)).max())
        if self.kind == "simplex":
            return self.total() * float(a.max())
        raise AssertionError(self.kind)

    def assert_contains(self, u: np.ndarray, tol: float = SET_TOL) -> None:
        d = self.data
        if self.kind == "box":
            assert (u >= d["lo"] - tol).all() and (u <= d["hi"] + tol).all(), (u, d)
        elif self.kind.startswith("ball"):
            q = {"1": 1, "2": 2, "inf": np.inf}[self.kind[4:]]
            assert np.linalg.norm(u - d["ctr"], q) <= d["radius"] + tol, (u, d)
        elif self.kind.startswith("ellipsoid"):
            z, *_ = np.linalg.lstsq(self.factor(), u - d["ctr"], rcond=None)
            assert np.allclose(self.factor() @ z, u - d["ctr"], atol=tol), (u, d)
            assert np.linalg.norm(z) <= d["radius"] + 10 * tol, (u, z, d)
        elif self.kind == "budget":
            z = (u - d["ctr"]) / d["dev"]
            assert np.abs(z).max() <= 1 + tol, (u, z, d)
            assert np.abs(z).sum() <= d["gamma"] + tol * self.n, (u, z, d)
        elif self.kind == "simplex":
            assert (u >= -tol).all() and abs(u.sum() - self.total()) <= tol, (u, d)
        else:
            raise AssertionError(self.kind)


SET_KINDS = ["box", "ball1", "ball2", "ballinf", "ellipsoid_covariance",
             "ellipsoid_precision", "ellipsoid_shape", "budget", "simplex"]


def decimal(lo: float, hi: float) -> st.SearchStrategy[float]:
    """A number in [lo, hi] with three decimals."""
    return st.integers(round(lo * 1000), round(hi * 1000)).map(lambda k: k / 1000)


def decimals(n: int, lo: float, hi: float) -> st.SearchStrategy[np.ndarray]:
    return st.lists(decimal(lo, hi), min_size=n, max_size=n).map(np.array)


@st.composite
def set_cases(draw: Any, kind: str) -> SetCase:
    n = draw(st.integers(2, 4))
    data: dict[str, Any] = {}
    if kind == "box":
        data["lo"] = draw(decimals(n, 0.2, 1.5))
        data["hi"] = np.round(data["lo"] + draw(decimals(n, 0.0, 1.0)), 3)
    elif kind.startswith("ball"):
        data["ctr"] = draw(decimals(n, 0.5, 2.0))
        data["radius"] = draw(decimal(0.0, 0.5))
        data["explicit_norm"] = draw(st.booleans())
    elif kind.startswith("ellipsoid"):
        data["ctr"] = draw(decimals(n, 0.5, 2.0))
        b = np.array([draw(decimals(n, -0.5, 0.5)) for _ in range(n)])
        if kind == "ellipsoid_covariance":
            data["M"] = np.round(b @ b.T + 0.05 * np.eye(n), 3)
        elif kind == "ellipsoid_precision":
            data["M"] = np.round(2 * b @ b.T + 0.5 * np.eye(n), 3)
        else:
            data["M"] = np.round(0.8 * b + 0.4 * np.eye(n), 3)
            assume(np.linalg.svd(data["M"], compute_uv=False).min() > 0.02)
        data["omit_radius"] = draw(st.booleans())
        data["radius"] = 1.0 if data["omit_radius"] else draw(decimal(0.0, 1.5))
    elif kind == "budget":
        data["ctr"] = draw(decimals(n, 0.5, 2.0))
        data["dev"] = draw(decimals(n, 0.02, 0.5))
        data["gamma"] = draw(decimal(0.0, n + 0.5))
    elif kind == "simplex":
        data["total"] = draw(st.one_of(st.none(), decimal(0.5, 2.0)))
    else:
        raise AssertionError(kind)
    return SetCase(kind, n, data)


# ---------------------------------------------------------------------------------------
# 1. Every standard set: both paths == independent CVXPY, worst case in the set and attained
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", SET_KINDS)
@EXAMPLES
@given(data=st.data())
def test_uncertain_objective_matches_closed_form(kind: str, data: Any) -> None:
    """maximize w @ u - g ||w||^2 (sum(w) == 1, -1 <= w <= 1): the adversary minimizes
    w'u, so the robust objective is -support(-w) - g ||w||^2."""
    case = data.draw(set_cases(kind))
    g = data.draw(decimal(0.2, 3.0))
    n = case.n
    text = (case.declaration() + f"param g = {fmt(g)}\n"
            "variable w[asset] >= -1 <= 1\n"
            "maximize utility: w @ u - g * sum_squares(w)\n"
            "subject to\n"
            "    budget: sum(w) == 1\n")
    w = cp.Variable(n)
    expected = reference(cp.Maximize(-case.support(-w) - g * cp.sum_squares(w)),
                         [cp.sum(w) == 1, w >= -1, w <= 1])
    got = {}
    for backend in BACKENDS:
        _, result = solve(text, backend)
        got[backend] = result.objective
        assert close(result.objective, expected), (backend, result.objective, expected, text)
        x = vec(result, "w", n)
        u = worst(result, "objective", "u", n)
        case.assert_contains(u)
        # the reported worst case is the adversary's best response and attains the value
        assert close(float(x @ u - g * x @ x), result.objective), (backend, u, text)
        assert close(float(x @ u), -case.support_value(-x)), (backend, u, text)
    assert close(got["counterpart"], got["dsp"])


@pytest.mark.parametrize("kind", SET_KINDS)
@EXAMPLES
@given(data=st.data())
def test_robust_constraint_matches_closed_form(kind: str, data: Any) -> None:
    """maximize c @ w subject to u @ w <= 1 for every u in the set, 0 <= w <= 5: the
    constraint is support(w) <= 1, and it binds (at w = 5 it would be violated)."""
    case = data.draw(set_cases(kind))
    n = case.n
    c = data.draw(decimals(n, 0.1, 2.0))
    text = (case.declaration() + f"param c[asset] = {fmt_vector(c)}\n"
            "variable w[asset] >= 0 <= 5\n"
            "maximize ret: c @ w\n"
            "subject to\n"
            "    risk: u @ w <= 1\n")
    w = cp.Variable(n)
    expected = reference(cp.Maximize(c @ w), [case.support(w) <= 1, w >= 0, w <= 5])
    got = {}
    for backend in BACKENDS:
        _, result = solve(text, backend)
        got[backend] = result.objective
        assert close(result.objective, expected), (backend, result.objective, expected, text)
        x = vec(result, "w", n)
        assert case.support_value(x) <= 1 + TOL, (backend, x, text)  # robustly feasible
        u = worst(result, "risk", "u", n)
        case.assert_contains(u)
        assert close(float(u @ x), case.support_value(x)), (backend, u, x, text)
        assert close(float(u @ x), 1.0), (backend, u, x, text)  # binds at the worst case
    assert close(got["counterpart"], got["dsp"])


def test_set_conventions_by_hand() -> None:
    """One fixed instance per set whose support value is computed by hand, so a wrong
    convention in the test's own closed forms cannot hide a wrong convention in Saddle."""
    a = np.array([1.0, -2.0])
    box = SetCase("box", 2, {"lo": np.array([0.0, 1.0]), "hi": np.array([2.0, 3.0])})
    assert box.support_value(a) == pytest.approx(2.0 - 2.0)
    ball1 = SetCase("ball1", 2, {"ctr": np.array([1.0, 1.0]), "radius": 0.5})
    assert ball1.support_value(a) == pytest.approx(-1.0 + 0.5 * 2.0)
    ballinf = SetCase("ballinf", 2, {"ctr": np.array([1.0, 1.0]), "radius": 0.5})
    assert ballinf.support_value(a) == pytest.approx(-1.0 + 0.5 * 3.0)
    cov = SetCase("ellipsoid_covariance", 2, {"ctr": np.zeros(2), "radius": 2.0,
                                              "M": np.diag([4.0, 1.0])})
    assert cov.support_value(a) == pytest.approx(2.0 * np.sqrt(4.0 + 4.0))
    prec = SetCase("ellipsoid_precision", 2, {"ctr": np.zeros(2), "radius": 2.0,
                                              "M": np.diag([0.25, 1.0])})
    assert prec.support_value(a) == pytest.approx(2.0 * np.sqrt(4.0 + 4.0))
    shape = SetCase("ellipsoid_shape", 2, {"ctr": np.zeros(2), "radius": 1.0,
                                           "M": np.array([[1.0, 1.0], [0.0, 1.0]])})
    # u = A z: a'A z <= ||A'a|| = ||(1, -1)||
    assert shape.support_value(a) == pytest.approx(np.sqrt(2.0))
    budget = SetCase("budget", 2, {"ctr": np.zeros(2), "dev": np.array([1.0, 1.0]),
                                   "gamma": 1.5})
    assert budget.support_value(a) == pytest.approx(2.0 + 0.5)
    simplex = SetCase("simplex", 2, {"total": 3.0})
    assert simplex.support_value(a) == pytest.approx(3.0)


# ---------------------------------------------------------------------------------------
# 2. Robust mean allocation: the closed-form SOCP
# ---------------------------------------------------------------------------------------

ROB1 = """set asset = ["a", "b", "c"]
set asset2 = asset
param mu[asset] = [0.05, 0.07, 0.06]
param cov[asset, asset2] = [[0.04, 0.01, 0.0], [0.01, 0.09, 0.02], [0.0, 0.02, 0.06]]
param kappa = 0.5
param gamma = 2
uncertain m[asset] in ellipsoid(mu, covariance = cov, radius = kappa)
variable w[asset] >= 0
maximize utility: w @ m - gamma * quad_form(w, cov)
subject to
    budget: sum(w) == 1
"""


def robust_mean_reference(mu: np.ndarray, sigma: np.ndarray, kappa: float,
                          gamma: float) -> tuple[float, np.ndarray, np.ndarray]:
    """max mu'w - kappa ||Sigma^1/2 w|| - gamma w'Sigma w, and the worst mean
    mu - kappa Sigma w / ||Sigma^1/2 w||."""
    n = len(mu)
    half = np.linalg.cholesky(sigma).T  # half' half = Sigma
    w = cp.Variable(n, nonneg=True)
    value = reference(cp.Maximize(mu @ w - kappa * cp.norm(half @ w, 2)
                                  - gamma * cp.quad_form(w, sigma)), [cp.sum(w) == 1])
    x = np.asarray(w.value)
    m = mu - kappa * sigma @ x / np.sqrt(x @ sigma @ x)
    return value, x, m


@pytest.mark.parametrize("backend", BACKENDS)
def test_robust_mean_example_matches_closed_form(backend: str) -> None:
    mu = np.array([0.05, 0.07, 0.06])
    sigma = np.array([[0.04, 0.01, 0.0], [0.01, 0.09, 0.02], [0.0, 0.02, 0.06]])
    value, x, m = robust_mean_reference(mu, sigma, 0.5, 2.0)
    _, result = solve(ROB1, backend)
    assert close(result.objective, value, 1e-5)
    np.testing.assert_allclose(vec(result, "w", 3), x, atol=1e-4)
    np.testing.assert_allclose(worst(result, "objective", "m", 3), m, atol=1e-4)


@EXAMPLES
@given(data=st.data())
def test_robust_mean_allocation_matches_closed_form(data: Any) -> None:
    n = data.draw(st.integers(2, 4))
    mu = data.draw(decimals(n, 0.0, 0.12))
    b = np.array([data.draw(decimals(n, -0.3, 0.3)) for _ in range(n)])
    sigma = np.round(b @ b.T + 0.02 * np.eye(n), 3)
    kappa = data.draw(decimal(0.0, 1.0))
    gamma = data.draw(decimal(0.5, 5.0))
    text = (header(n, alias=True)
            + f"param mu[asset] = {fmt_vector(mu)}\n"
            + f"param cov[asset, asset2] = {fmt_matrix(sigma)}\n"
            + f"param kappa = {fmt(kappa)}\nparam gamma = {fmt(gamma)}\n"
            + "uncertain m[asset] in ellipsoid(mu, covariance = cov, radius = kappa)\n"
            + "variable w[asset] >= 0\n"
            + "maximize utility: w @ m - gamma * quad_form(w, cov)\n"
            + "subject to\n    budget: sum(w) == 1\n")
    value, x, _ = robust_mean_reference(mu, sigma, kappa, gamma)
    for backend in BACKENDS:
        _, result = solve(text, backend)
        assert close(result.objective, value), (backend, result.objective, value, text)
        w = vec(result, "w", n)
        # the reported decision is optimal for the closed form (w itself is only as sharp
        # as the curvature allows: gamma * Sigma can be as flat as 0.01 I)
        assert abs(w.sum() - 1) < 1e-6 and (w >= -1e-6).all()
        half = np.linalg.cholesky(sigma).T
        achieved = mu @ w - kappa * np.linalg.norm(half @ w) - gamma * w @ sigma @ w
        assert close(float(achieved), value), (backend, achieved, value, text)
        np.testing.assert_allclose(w, x, atol=2e-3)
        # the worst case is the adversary's best response to that decision
        best = mu - kappa * sigma @ w / np.sqrt(w @ sigma @ w)
        np.testing.assert_allclose(worst(result, "objective", "m", n), best, atol=1e-3)
        assert close(float(w @ worst(result, "objective", "m", n)
                           - gamma * w @ sigma @ w), result.objective)


# ---------------------------------------------------------------------------------------
# 3. Semantics
# ---------------------------------------------------------------------------------------

TINY = """set asset = ["a", "b"]
param lo[asset] = [1, 2]
param hi[asset] = [3, 5]
uncertain u[asset] in box(lo, hi)
variable w[asset] >= 0.2
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_in_minimize_the_adversary_maximizes(backend: str) -> None:
    # u = hi = (3, 5); then min 3 w_a + 5 w_b over w >= 0.2, sum 1: w = (0.8, 0.2) -> 3.4
    text = TINY + "minimize loss: w @ u\nsubject to\n    budget: sum(w) == 1\n"
    _, result = solve(text, backend)
    assert result.objective == pytest.approx(3.4, abs=1e-6)
    np.testing.assert_allclose(vec(result, "w", 2), [0.8, 0.2], atol=1e-5)
    np.testing.assert_allclose(worst(result, "objective", "u", 2), [3.0, 5.0], atol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_in_maximize_the_adversary_minimizes(backend: str) -> None:
    # u = lo = (1, 2); then max w_a + 2 w_b over w >= 0.2, sum 1: w = (0.2, 0.8) -> 1.8
    text = TINY + "maximize gain: w @ u\nsubject to\n    budget: sum(w) == 1\n"
    _, result = solve(text, backend)
    assert result.objective == pytest.approx(1.8, abs=1e-6)
    np.testing.assert_allclose(vec(result, "w", 2), [0.2, 0.8], atol=1e-5)
    np.testing.assert_allclose(worst(result, "objective", "u", 2), [1.0, 2.0], atol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_minimize_risk_minus_return(backend: str) -> None:
    """The usual mean-variance spelling, `minimize risk - return`: the adversary maximizes
    the loss, i.e. picks the lowest returns. By hand: u = lo = (1, 2); minimize
    ||w||^2 - w_a - 2 w_b over w >= 0.2, sum 1: w = (0.25, 0.75), value 0.625 - 1.75."""
    text = TINY + ("minimize loss: sum_squares(w) - w @ u\n"
                   "subject to\n    budget: sum(w) == 1\n")
    _, result = solve(text, backend)
    assert result.objective == pytest.approx(0.625 - 1.75, abs=1e-5)
    np.testing.assert_allclose(vec(result, "w", 2), [0.25, 0.75], atol=1e-4)
    np.testing.assert_allclose(worst(result, "objective", "u", 2), [1.0, 2.0], atol=1e-4)


LIMIT = """set asset = ["a", "b", "c"]
param c[asset] = [1, -2, 1.5]
param cap[asset] = [0.5, 0.4, 0.3]
param lo[asset] = [0.5, -0.6, 0.7]
param hi[asset] = [1, 1.2, 0.9]
uncertain u[asset] in box(lo, hi)
variable w[asset] >= -1 <= 5
maximize ret: c @ w
subject to
    limit: u * w <= cap
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_indexed_robust_constraint_has_a_worst_case_per_element(backend: str) -> None:
    """u_i w_i <= cap_i for every u_i in [lo_i, hi_i], separately per asset. By hand:
    a: w_a <= 0.5 / 1 (worst u_a = hi); b: c_b < 0 pushes w_b to -1, where the worst
    u_b = lo_b = -0.6 gives 0.6 > 0.4, so w_b >= 0.4 / -0.6, i.e. w_b = -2/3 (worst u_b = lo);
    c: w_c <= 0.3 / 0.9 (worst u_c = hi). Objective 0.5 + 4/3 + 0.5."""
    _, result = solve(LIMIT, backend)
    x = vec(result, "w", 3)
    np.testing.assert_allclose(x, [0.5, -2 / 3, 1 / 3], atol=1e-5)
    assert result.objective == pytest.approx(0.5 + 4 / 3 + 0.5, abs=1e-5)
    table = result.worst_case["limit"]["u"]
    rows = np.asarray(table, dtype=float)
    assert rows.shape == (3, 3), table  # one worst case per element of the constraint
    # each element's own maximizer of u_i w_i: hi where w_i > 0, lo where w_i < 0
    np.testing.assert_allclose(np.diag(rows), [1.0, -0.6, 0.9], atol=1e-5)
    lo, hi = np.array([0.5, -0.6, 0.7]), np.array([1, 1.2, 0.9])
    assert (rows >= lo - SET_TOL).all() and (rows <= hi + SET_TOL).all()
    np.testing.assert_allclose(np.diag(rows) * x, [0.5, 0.4, 0.3], atol=1e-5)


BLOCK = """set asset = ["a", "b", "c"]
param c[asset] = [1, -2, 1.5]
uncertain u[asset]:
    u >= 0
    sum(u) <= 1
variable w[asset] >= -1 <= 1
"""


# A block of linear lines is a polyhedron: the counterpart dualizes it by LP (polyhedral.py);
# the same block on the DSP backend must agree. A nonlinear block keeps DSP only.
NONLINEAR_BLOCK = BLOCK.replace("    sum(u) <= 1", "    norm2(u) <= 1")


@pytest.mark.parametrize("backend", ["auto", "dsp"])
def test_block_set_matches_closed_form(backend: str) -> None:
    """min over {u >= 0, sum(u) <= 1} of w'u = min(0, min_i w_i)."""
    text = BLOCK + "maximize ret: c @ w + w @ u - sum_squares(w)\n"
    model, result = solve(text, backend)
    expected_backend = "counterpart" if backend == "auto" else "dsp"
    assert model.backend == expected_backend
    assert result.backend == expected_backend
    w = cp.Variable(3)
    c = np.array([1.0, -2.0, 1.5])
    expected = reference(cp.Maximize(c @ w + cp.minimum(0, cp.min(w)) - cp.sum_squares(w)),
                         [w >= -1, w <= 1])
    assert close(result.objective, expected, 1e-6)
    assert expected == pytest.approx(1.0625, abs=1e-6)  # by hand: w = (0.5, -0.5, 0.75)
    x = vec(result, "w", 3)
    u = worst(result, "objective", "u", 3)
    assert (u >= -SET_TOL).all() and u.sum() <= 1 + SET_TOL
    assert x @ u == pytest.approx(min(0.0, x.min()), abs=1e-5)
    np.testing.assert_allclose(u, [0.0, 1.0, 0.0], atol=1e-5)


def test_block_set_robust_constraint_matches_closed_form() -> None:
    """u @ w <= 0.5 for all u >= 0, sum(u) <= 1  <=>  max(0, max_i w_i) <= 0.5."""
    text = BLOCK + ("maximize ret: c @ w - sum_squares(w)\n"
                    "subject to\n    risk: u @ w <= 0.5\n")
    model, result = solve(text, "auto")
    assert model.backend == "counterpart"
    w = cp.Variable(3)
    c = np.array([1.0, -2.0, 1.5])
    expected = reference(cp.Maximize(c @ w - cp.sum_squares(w)),
                         [w >= -1, w <= 1, cp.maximum(0, cp.max(w)) <= 0.5])
    assert close(result.objective, expected, 1e-6)
    x = vec(result, "w", 3)
    np.testing.assert_allclose(x, [0.5, -1.0, 0.5], atol=5e-4)  # by hand
    u = worst(result, "risk", "u", 3)
    assert (u >= -SET_TOL).all() and u.sum() <= 1 + SET_TOL
    assert u @ x == pytest.approx(0.5, abs=1e-5)


def test_nonlinear_block_set_rejects_the_counterpart_backend() -> None:
    text = NONLINEAR_BLOCK + "maximize ret: c @ w + w @ u - sum_squares(w)\n"
    with pytest.raises(SpecError) as info:
        compile_text(text, backend="counterpart")
    assert info.value.codes[0] == "E413"


def test_block_set_with_minimize_risk_minus_return() -> None:
    """The same block set with the objective spelled `minimize risk - return` (the adversary
    maximizes the loss): -(the maximize version's optimum)."""
    text = BLOCK + "minimize loss: sum_squares(w) - c @ w - w @ u\n"
    model, result = solve(text, "auto")
    assert model.backend == "counterpart"
    assert result.objective == pytest.approx(-1.0625, abs=1e-5)
    np.testing.assert_allclose(vec(result, "w", 3), [0.5, -0.5, 0.75], atol=1e-4)


# equivalent spellings of "u'w <= 1 for every u in the box" (or its mirror, >= for floors)
SPELLINGS = ["u @ w <= 1", "1 >= w @ u", "sum(u * w) <= 1", "u @ w - 1 <= 0",
             "2 * (u @ w) <= 2", "-(w @ u) >= -1", "-1 <= -(u @ w)"]
FLOORS = ["w @ u >= 0.9", "0.9 <= u @ w", "-(w @ u) <= -0.9"]

SPELL = """set asset = ["a", "b", "c"]
param c[asset] = [1, 2, 1.5]
param lo[asset] = [0.5, 0.6, 0.7]
param hi[asset] = [1, 1.2, 0.9]
uncertain u[asset] in box(lo, hi)
variable w[asset] >= 0 <= 5
"""


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_robust_constraint_spellings_agree(spelling: str, backend: str) -> None:
    """max over the box of u'w = hi'w (w >= 0): maximize c'w s.t. hi'w <= 1 -> by hand,
    the best ratio c_i / hi_i is 2 / 1.2 = 1.5 / 0.9 = 5/3."""
    text = SPELL + f"maximize ret: c @ w\nsubject to\n    risk: {spelling}\n"
    _, result = solve(text, backend)
    assert result.objective == pytest.approx(5 / 3, abs=1e-6)
    x = vec(result, "w", 3)
    assert x @ np.array([1, 1.2, 0.9]) <= 1 + 1e-6


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("spelling", FLOORS)
def test_robust_floor_spellings_agree(spelling: str, backend: str) -> None:
    """u'w >= 0.9 for every u in the box <=> lo'w >= 0.9 (w >= 0). Minimize 1'w: by hand,
    the best ratio lo_i is 0.7 (asset c): w = (0, 0, 0.9 / 0.7)."""
    text = SPELL + f"minimize size: sum(w)\nsubject to\n    floor: {spelling}\n"
    _, result = solve(text, backend)
    assert result.objective == pytest.approx(0.9 / 0.7, abs=1e-6)
    np.testing.assert_allclose(worst(result, "floor", "u", 3)[2], 0.7, atol=1e-6)


OBJECTIVE_SPELLINGS = ["w @ u", "u @ w", "sum(u * w)", "3 * mean(w * u)",
                       'u["a"] * w["a"] + u["b"] * w["b"] + u["c"] * w["c"]']


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("spelling", OBJECTIVE_SPELLINGS)
def test_uncertain_objective_spellings_agree(spelling: str, backend: str) -> None:
    """Every spelling of w'u in `maximize w'u - ||w||^2`: the adversary picks u = lo."""
    text = SPELL + (f"maximize ret: {spelling} - sum_squares(w)\n"
                    "subject to\n    budget: sum(w) == 1\n")
    _, result = solve(text, backend)
    w = cp.Variable(3)
    lo = np.array([0.5, 0.6, 0.7])
    expected = reference(cp.Maximize(lo @ w - cp.sum_squares(w)),
                         [cp.sum(w) == 1, w >= 0, w <= 5])
    assert expected == pytest.approx(0.61 - 0.338333333, abs=1e-6)  # by hand (KKT)
    assert result.objective == pytest.approx(expected, abs=1e-6)
    np.testing.assert_allclose(worst(result, "objective", "u", 3), lo, atol=1e-5)


SCALAR = """set asset = ["a", "b", "c"]
param c[asset] = [1, 2, 1.5]
uncertain t in box(0.5, 1)
variable w[asset] >= 0 <= 5
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_scalar_uncertain_in_the_objective(backend: str) -> None:
    """t = 0.5 (the adversary minimizes); max 0.5 sum(w) - ||w||^2: w = 0.25 each."""
    text = SCALAR + ("maximize ret: t * sum(w) - sum_squares(w)\n"
                     "subject to\n    cap: sum(w) <= 2\n")
    _, result = solve(text, backend)
    assert result.objective == pytest.approx(0.375 - 3 * 0.0625, abs=1e-6)
    assert float(result.worst_case["objective"]["t"]) == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_scalar_uncertain_in_a_constraint(backend: str) -> None:
    """t sum(w) <= 2 for t in [0.5, 1] <=> sum(w) <= 2: everything on b, value 4."""
    text = SCALAR + "maximize ret: c @ w\nsubject to\n    cap: t * sum(w) <= 2\n"
    _, result = solve(text, backend)
    assert result.objective == pytest.approx(4.0, abs=1e-6)
    assert float(result.worst_case["cap"]["t"]) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_objective_and_constraint_get_separate_worst_cases(backend: str) -> None:
    """One u in the objective (the adversary lowers returns: lo) and in a robust constraint
    (it raises the exposure: hi) — two different worst cases for the same quantity."""
    text = SPELL + ("maximize ret: w @ u - sum_squares(w)\n"
                    "subject to\n    risk: u @ w <= 0.5\n")
    _, result = solve(text, backend)
    w = cp.Variable(3)
    lo, hi = np.array([0.5, 0.6, 0.7]), np.array([1, 1.2, 0.9])
    expected = reference(cp.Maximize(lo @ w - cp.sum_squares(w)),
                         [hi @ w <= 0.5, w >= 0, w <= 5])
    assert result.objective == pytest.approx(expected, abs=1e-6)
    x = vec(result, "w", 3)
    assert (x > 1e-3).all()  # both worst cases are then unique
    np.testing.assert_allclose(worst(result, "objective", "u", 3), lo, atol=1e-5)
    np.testing.assert_allclose(worst(result, "risk", "u", 3), hi, atol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_robust_constraint_report_is_the_worst_case_left_side(backend: str) -> None:
    """A robust row reports its value like any constraint: the worst-case left side."""
    text = SPELL + "maximize ret: c @ w\nsubject to\n    risk: u @ w <= 1\n"
    _, result = solve(text, backend)
    x = vec(result, "w", 3)
    report = result.constraints["risk"]
    assert float(report.value) == pytest.approx(float(np.array([1, 1.2, 0.9]) @ x), abs=1e-6)
    assert float(report.value) == pytest.approx(1.0, abs=1e-6)
    assert float(report.dual) == pytest.approx(5 / 3, abs=1e-5)


def enumerate_best(c: np.ndarray, feasible: Any, top: int) -> float:
    points = itertools.product(range(top + 1), repeat=len(c))
    return max(float(c @ np.array(p)) for p in points if feasible(np.array(p, dtype=float)))


INTEGER = """set asset = ["a", "b", "c"]
param c[asset] = [3, 2, 2.5]
param ctr[asset] = [1, 0.8, 1.2]
param dev[asset] = [0.5, 0.3, 0.6]
param lo[asset] = [0.9, 0.5, 1.0]
param hi[asset] = [1.4, 1.1, 1.3]
variable n[asset] integer >= 0 <= 3
"""


@pytest.mark.parametrize("backend", ["auto", "counterpart"])
def test_integer_decisions_robust_constraint_box(backend: str) -> None:
    text = INTEGER + ("uncertain u[asset] in box(lo, hi)\n"
                      "maximize ret: c @ n\nsubject to\n    risk: u @ n <= 4.5\n")
    model, result = solve(text, backend)
    assert model.backend == "counterpart"
    hi = np.array([1.4, 1.1, 1.3])
    expected = enumerate_best(np.array([3, 2, 2.5]), lambda p: hi @ p <= 4.5 + 1e-9, 3)
    assert result.objective == pytest.approx(expected, abs=1e-6)
    x = vec(result, "n", 3)
    np.testing.assert_allclose(x, np.round(x), atol=1e-6)
    assert hi @ x <= 4.5 + 1e-6
    np.testing.assert_allclose(worst(result, "risk", "u", 3)[x > 0.5], hi[x > 0.5])


def test_integer_decisions_budget_objective() -> None:
    """maximize n'u with u in a budget set and sum(n) <= 4: the adversary removes up to
    gamma = 1.5 deviations, n'u = n'ctr - max over the polytope's vertices of z'(dev*n)."""
    text = INTEGER + ("uncertain u[asset] in budget(ctr, dev, 1.5)\n"
                      "maximize ret: n @ u - 0.3 * sum(n)\n"
                      "subject to\n    size: sum(n) <= 4\n")
    model, result = solve(text, "auto")
    assert model.backend == "counterpart"
    case = SetCase("budget", 3, {"ctr": np.array([1, 0.8, 1.2]),
                                 "dev": np.array([0.5, 0.3, 0.6]), "gamma": 1.5})
    best = max(-case.support_value(-np.array(p, dtype=float)) - 0.3 * sum(p)
               for p in itertools.product(range(4), repeat=3) if sum(p) <= 4)
    assert result.objective == pytest.approx(best, abs=1e-6)
    x = vec(result, "n", 3)
    np.testing.assert_allclose(x, np.round(x), atol=1e-6)
    u = worst(result, "objective", "u", 3)
    case.assert_contains(u)
    assert float(x @ u - 0.3 * x.sum()) == pytest.approx(best, abs=1e-6)


def test_integer_decisions_are_refused_by_the_dsp_backend() -> None:
    text = INTEGER + ("uncertain u[asset] in box(lo, hi)\n"
                      "maximize ret: c @ n\nsubject to\n    risk: u @ n <= 4.5\n")
    with pytest.raises(SpecError) as info:
        compile_text(text, backend="dsp")
    assert info.value.codes[0] == "E412"


# ---------------------------------------------------------------------------------------
# 4. verify()
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["auto", "dsp"])
def test_verify_compares_both_paths(backend: str) -> None:
    model = compile_model(loads('model m "t"\n' + ROB1), backend=backend)
    assert isinstance(model, RobustModel)
    report = model.verify()
    assert report["checked"] is True
    assert report["difference"] is not None and report["difference"] < 1e-5
    assert set(report["statuses"].values()) == {"optimal"}
    value, _, _ = robust_mean_reference(
        np.array([0.05, 0.07, 0.06]),
        np.array([[0.04, 0.01, 0.0], [0.01, 0.09, 0.02], [0.0, 0.02, 0.06]]), 0.5, 2.0)
    assert report["counterpart"] == pytest.approx(value, abs=1e-6)
    assert report["dsp"] == pytest.approx(value, abs=1e-5)


def test_verify_on_a_nonlinear_block_set_says_it_cannot_check() -> None:
    model = compile_text(NONLINEAR_BLOCK + "maximize ret: c @ w + w @ u - sum_squares(w)\n")
    assert isinstance(model, RobustModel)
    assert model.verify()["checked"] is False


def test_verify_on_a_linear_block_set_compares_both_paths() -> None:
    model = compile_text(BLOCK + "maximize ret: c @ w + w @ u - sum_squares(w)\n")
    report = model.verify()
    assert report["checked"] is True and report["difference"] < 1e-6



def test_a_robust_model_with_a_convex_certain_part_in_maximize_is_a_located_error():
    """Found by a solve fuzz: the decisions' side is checked like any model (E401), so the
    wrong curvature never reaches cvxpy as a DCPError."""
    from dsl import SpecError

    text = ROBUST_MEAN_NEGATIVE_GAMMA
    with pytest.raises(SpecError) as info:
        compile_model(loads(text))
    assert info.value.codes == ["E401"]


ROBUST_MEAN_NEGATIVE_GAMMA = """model m "convex in a maximize"
set asset = ["a", "b"]
set asset2 = asset
param mu[asset] = [0.05, 0.07]
param cov[asset, asset2] = [[0.04, 0.01], [0.01, 0.09]]
uncertain m[asset] in ellipsoid(mu, covariance = cov, radius = 0.5)
variable w[asset] >= 0
maximize utility: w @ m + quad_form(w, cov)
subject to
    budget: sum(w) == 1
"""


def test_a_robust_constraint_with_a_concave_certain_part_is_a_located_error():
    from dsl import SpecError

    text = ('model m "concave part"\nset asset = ["a", "b"]\nparam c[asset] = [1, 2]\n'
            "uncertain u[asset] in box(c - 0.1, c + 0.1)\nvariable w[asset] >= 0 <= 1\n"
            "maximize size: sum(w)\nsubject to\n    risk: u @ w - norm2(w) <= 1\n")
    for backend in ("counterpart", "dsp"):
        with pytest.raises(SpecError) as info:
            compile_model(loads(text), backend=backend)
        assert info.value.codes == ["E402"], backend


def test_worst_case_covariance_is_an_uncertain_psd_matrix():
    """max over PSD S with ||S - S0||_F <= r of w'Sw is w'S0w + r ||w||^2 (the maximizer
    S0 + r ww'/||w||^2 is PSD), so the robust minimum-variance weights are a closed form."""
    text = ('model wc "worst-case covariance"\nset a = ["x", "y"]\nset a2 = a\n'
            "param S0[a, a2] = [[0.04, 0.01], [0.01, 0.09]]\nvariable w[a] >= 0\n"
            "uncertain S[a, a2] psd:\n    near: norm2(S - S0) <= 0.02\n"
            "minimize risk: w @ S @ w\nsubject to\n    budget: sum(w) == 1\n")
    s0 = np.array([[0.04, 0.01], [0.01, 0.09]])
    w = cp.Variable(2, nonneg=True)
    oracle = cp.Problem(cp.Minimize(cp.quad_form(w, s0) + 0.02 * cp.sum_squares(w)),
                        [cp.sum(w) == 1])
    oracle.solve(solver="CLARABEL")
    result = compile_model(loads(text)).solve()
    assert result.status == "optimal" and result.backend == "dsp"
    assert result.objective == pytest.approx(oracle.value, rel=1e-5)
    np.testing.assert_allclose(result.values["w"].to_numpy(), w.value, atol=1e-3)


def test_chained_robust_fit_agrees_on_both_backends():
    # a decision that appears only in the certain part of a robust row (t), and a chained
    # robust constraint: both once broke (DSP could not classify t; the report's reduce)
    body = ("set d = 1..4\nparam y[d] = [1, 2, 3, 4]\nparam x[d] = [1, 2.1, 2.9, 4.2]\n"
            "uncertain e in box(-0.01, 0.01)\nvariable beta\nvariable t[d]\n"
            "minimize loss: sum(t)\nsubject to\n    fit: -t <= y - beta * (x + e) <= t\n")
    dual = compile_text(body, backend="counterpart").solve()
    saddle = compile_text(body, backend="dsp").solve()
    # closed form of the counterpart by hand: min_beta sum |y - beta x| + 0.01 * 4 * |beta|
    beta = cp.Variable()
    xs, ys = np.array([1, 2.1, 2.9, 4.2]), np.array([1.0, 2, 3, 4])
    hand = cp.Problem(cp.Minimize(cp.sum(cp.abs(ys - beta * xs)) + 0.04 * cp.abs(beta)))
    hand.solve()
    assert dual.objective == pytest.approx(hand.value, abs=1e-7)
    assert saddle.objective == pytest.approx(hand.value, abs=1e-6)
    assert dual.constraints["fit"].slack.to_numpy() == pytest.approx(0, abs=1e-6)


POLY = """
set a = ["x", "y", "z"]
param mu[a] = [0.05, 0.07, 0.06]
uncertain m[a]:
    low:   m >= mu - 0.02
    high:  m <= mu + 0.02
    total: sum(m) >= sum(mu) - 0.03
variable w[a] >= 0 <= 0.6
maximize ret: w @ m
subject to
    budget: sum(w) == 1
"""


def _hand_polyhedral(mu: np.ndarray, cap: float, budget_loss: float, delta: float,
                     integer_lots: int | None = None) -> float:
    """The same robust LP with the adversary's LP dual written out by hand:
    min_m w'm over {mu - d <= m <= mu + d, 1'm >= 1'mu - g} = max over (l, h, t) >= 0 of
    l'(mu - d) - h'(mu + d) + t (1'mu - g) with l - h + t 1 = w."""
    n = len(mu)
    w = cp.Variable(n, integer=integer_lots is not None)
    low, high, t = cp.Variable(n, nonneg=True), cp.Variable(n, nonneg=True), cp.Variable(
        nonneg=True)
    scale = 1 / integer_lots if integer_lots else 1.0
    weights = scale * w
    worst = low @ (mu - delta) - high @ (mu + delta) + t * (mu.sum() - budget_loss)
    rows = [low - high + t * np.ones(n) == weights, weights >= 0, weights <= cap,
            cp.sum(weights) == 1]
    problem = cp.Problem(cp.Maximize(worst), rows)
    problem.solve(solver=cp.HIGHS)
    return float(problem.value)


def test_linear_block_is_a_polyhedron_dualized_by_lp():
    result = compile_text(POLY).solve()
    assert result.backend == "counterpart"
    hand = _hand_polyhedral(np.array([0.05, 0.07, 0.06]), 0.6, 0.03, 0.02)
    assert result.objective == pytest.approx(hand, abs=1e-9)
    worst = result.worst_case["objective"]["m"].to_numpy()
    weights = result.values["w"].to_numpy()
    assert weights @ worst == pytest.approx(hand, abs=1e-8)  # the reported worst case
    assert worst.sum() >= 0.18 - 0.03 - 1e-9 and np.all(np.abs(worst - [0.05, 0.07, 0.06])
                                                       <= 0.02 + 1e-9)


def test_polyhedral_set_agrees_with_dsp_and_takes_integers():
    dsp_result = compile_text(POLY, backend="dsp").solve()
    dual = compile_text(POLY, backend="counterpart").solve()
    assert dual.objective == pytest.approx(dsp_result.objective, abs=1e-7)
    lots = POLY.replace("variable w[a] >= 0 <= 0.6",
                        "variable n[a] integer >= 0 <= 6\nlet w[a] = n / 10")
    integer = compile_text(lots).solve()
    hand = _hand_polyhedral(np.array([0.05, 0.07, 0.06]), 0.6, 0.03, 0.02, integer_lots=10)
    assert integer.objective == pytest.approx(hand, abs=1e-9)


def test_an_empty_polyhedron_is_located():
    diagnostic = first_error(POLY.replace("sum(m) >= sum(mu) - 0.03", "sum(m) >= 1"))
    assert diagnostic.code == "E410" and "empty" in diagnostic.message


def test_a_nonlinear_block_keeps_the_saddle_point_path():
    model = compile_text(POLY.replace("    total: sum(m) >= sum(mu) - 0.03",
                                      "    total: norm1(m - mu) <= 0.03"))
    assert model.backend == "dsp"
