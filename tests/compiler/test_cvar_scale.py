"""Scenario CVaR by cutting planes (compiler/scale/): the same optimum as the RU LP.

The cutting planes are forced on small books (SADDLE_CVAR_METHOD) so the tests run in
seconds; every reference optimum is a plain cvxpy Rockafellar-Uryasev LP written here from
the same draws (`numpy.random.default_rng(7).normal(0, 1, (m, n))`, as Saddle draws them).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cvxpy as cp
import numpy as np
import pytest
from saddle_testing import compile_text

LEVEL = 0.95
M, N = 3000, 5
VOL = np.array([0.010, 0.014, 0.018, 0.022, 0.026])
MU = np.array([0.0005, 0.0008, 0.0010, 0.0013, 0.0015])


def shocks(m: int = M, n: int = N) -> np.ndarray:
    return np.random.default_rng(7).normal(0.0, 1.0, size=(m, n))


def true_cvar(losses: np.ndarray, level: float = LEVEL) -> float:
    """The mean of the worst (1 - level) of the losses (k = (1 - level) m is whole here)."""
    k = int(round((1 - level) * losses.size))
    return float(np.sort(losses)[::-1][:k].mean())


def book(limit: float, m: int = M, extra: str = "", objective: str = "") -> str:
    vols = ", ".join(repr(float(v)) for v in VOL)
    mus = ", ".join(repr(float(v)) for v in MU)
    objective = objective or "maximize ret: sum(mu * w)"
    return f"""
set asset = 1..{N}
param vol[asset] = [{vols}]
param mu[asset] = [{mus}]
param limit = {float(limit)!r}
scenarios shock[{m}, asset] ~ normal(0, 1, seed = 7)
variable w[asset]
let pnl = shock @ (vol * w)
{objective}
subject to
    budget: sum(w) == 1
    long: w >= 0
    cap: w <= 0.6
    tail: cvar({LEVEL}, -pnl) <= limit
{extra}"""


def reference(limit: float, m: int = M, integer: bool = False) -> tuple[float, np.ndarray]:
    """max mu'w s.t. the RU form of CVaR <= limit, written directly in cvxpy."""
    factor = shocks(m) * VOL
    w = cp.Variable(N, integer=integer)
    alpha, excess = cp.Variable(), cp.Variable(m, nonneg=True)
    scale = 0.1 if integer else 1.0  # integer lots of 10%
    constraints = [cp.sum(scale * w) == 1, w >= 0, scale * w <= 0.6,
                   excess >= -factor @ (scale * w) - alpha,
                   alpha + cp.sum(excess) / ((1 - LEVEL) * m) <= limit]
    problem = cp.Problem(cp.Maximize(MU @ (scale * w)), constraints)
    problem.solve(solver="HIGHS", mip_rel_gap=1e-9)
    assert problem.status == "optimal"
    return float(problem.value), scale * np.asarray(w.value)


def binding_limit(m: int = M) -> float:
    """Between the least-risk and the best-return book's CVaR: the limit binds."""
    equal = true_cvar(-(shocks(m) @ (VOL / N)))
    return 1.3 * equal


@pytest.mark.parametrize("method", ["cuts", "generation"])
def test_cutting_planes_match_the_ru_lp_on_a_binding_limit(monkeypatch, method):
    monkeypatch.setenv("SADDLE_CVAR_METHOD", method)
    limit = binding_limit()
    result = compile_text(book(limit)).solve()
    expected, _ = reference(limit)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected, rel=1e-6)
    w = result.values["w"].to_numpy()
    assert true_cvar(-(shocks() @ (VOL * w))) <= limit + 1e-7
    assert result.constraints["tail"].binding
    note = next(n for n in result.notes if "cutting planes" in n)
    assert "constraint 'tail'" in note and "3,000 scenarios" in note
    assert ("scenario generation" in note) == (method == "generation")


def test_cvar_as_the_objective(monkeypatch):
    monkeypatch.setenv("SADDLE_CVAR_METHOD", "cuts")
    floor = 0.0011
    result = compile_text(book(1.0, objective="minimize risk: cvar(0.95, -pnl)",
                               extra=f"    floor: sum(mu * w) >= {floor}")).solve()
    factor = shocks() * VOL
    w = cp.Variable(N)
    alpha, excess = cp.Variable(), cp.Variable(M, nonneg=True)
    problem = cp.Problem(cp.Minimize(alpha + cp.sum(excess) / ((1 - LEVEL) * M)),
                         [cp.sum(w) == 1, w >= 0, w <= 0.6, MU @ w >= floor,
                          excess >= -factor @ w - alpha])
    problem.solve(solver="HIGHS")
    assert result.status == "optimal"
    assert result.objective == pytest.approx(problem.value, rel=1e-6)
    assert any("objective 'risk'" in n and "cutting planes" in n for n in result.notes)


def test_the_limit_dual_matches_the_ru_lp(monkeypatch):
    monkeypatch.setenv("SADDLE_CVAR_METHOD", "cuts")
    limit = binding_limit()
    result = compile_text(book(limit)).solve()
    bumped = reference(limit * 1.001)[0] - reference(limit * 0.999)[0]
    assert result.constraints["tail"].dual == pytest.approx(bumped / (0.002 * limit),
                                                            rel=1e-2)


def test_mixed_integer_master(monkeypatch):
    monkeypatch.setenv("SADDLE_CVAR_METHOD", "cuts")
    m = 1000  # the reference MILP (the RU LP with integers) is slow beyond this
    limit = binding_limit(m)
    text = book(limit, m=m).replace("variable w[asset]", "variable lots[asset] integer\n"
                                    "let w = 0.1 * lots")
    result = compile_text(text).solve()
    expected, _ = reference(limit, m=m, integer=True)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected, rel=1e-6)
    assert any("MILP master" in n for n in result.notes)
    lots = result.values["lots"].to_numpy()
    assert np.allclose(lots, np.round(lots), atol=1e-6)
    assert true_cvar(-(shocks(m) @ (VOL * 0.1 * lots))) <= limit + 1e-7


def test_non_affine_losses_fall_back_with_a_note(monkeypatch):
    monkeypatch.setenv("SADDLE_CVAR_METHOD", "cuts")
    text = book(0.05).replace("cvar(0.95, -pnl)", "cvar(0.95, abs(pnl))")
    result = compile_text(text).solve()
    assert result.status == "optimal"
    assert any("solved as the Rockafellar-Uryasev LP" in n and "not (scenario matrix)" in n
               for n in result.notes)
    w = cp.Variable(N)
    problem = cp.Problem(cp.Maximize(MU @ w), [
        cp.sum(w) == 1, w >= 0, w <= 0.6, cp.cvar(cp.abs(shocks() @ cp.multiply(VOL, w)),
                                                    LEVEL) <= 0.05])
    problem.solve(solver="HIGHS")
    assert result.objective == pytest.approx(problem.value, rel=1e-6)


def test_a_first_master_that_is_unbounded(monkeypatch):
    """Long-short, only a budget: one cut leaves the master unbounded; the temporary box
    around the decisions must not change the answer."""
    monkeypatch.setenv("SADDLE_CVAR_METHOD", "cuts")
    text = f"""
set asset = 1..{N}
param vol[asset] = [{", ".join(repr(float(v)) for v in VOL)}]
scenarios shock[{M}, asset] ~ normal(0, 1, seed = 7)
variable w[asset]
minimize risk: cvar({LEVEL}, -(shock @ (vol * w)))
subject to
    budget: sum(w) == 1
"""
    result = compile_text(text).solve()
    w = cp.Variable(N)
    problem = cp.Problem(cp.Minimize(cp.cvar(-(shocks() * VOL) @ w, LEVEL)),
                         [cp.sum(w) == 1])
    problem.solve(solver="HIGHS")
    assert result.status == "optimal"
    assert result.objective == pytest.approx(problem.value, rel=1e-6)


def test_an_unreachable_limit_is_infeasible(monkeypatch):
    monkeypatch.setenv("SADDLE_CVAR_METHOD", "cuts")
    result = compile_text(book(-1.0)).solve()  # a 5% tail averaging a gain of 100%
    assert result.status == "infeasible"
    assert any("cutting planes" in n for n in result.notes)


def test_a_small_model_keeps_the_ru_lp(monkeypatch):
    monkeypatch.delenv("SADDLE_CVAR_METHOD", raising=False)
    monkeypatch.delenv("SADDLE_CVAR_CUTS_FROM", raising=False)
    m = 1000  # below the threshold
    result = compile_text(book(binding_limit(m), m=m)).solve()
    assert not any("cutting planes" in n for n in result.notes)
    assert result.objective == pytest.approx(reference(binding_limit(m), m=m)[0], rel=1e-6)


def test_saddle_solve_reports_the_method(tmp_path):
    from compiler.scale.cvar_terms import CUTS_FROM_SCENARIOS

    m = CUTS_FROM_SCENARIOS + 1000
    path = tmp_path / "book.saddle"
    path.write_text('model book "many scenarios"\n' + book(0.05, m=m))
    root = Path(__file__).resolve().parents[2]
    script = Path(sys.executable).with_name("saddle")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "compiler"]
    done = subprocess.run([*command, "solve", str(path)], cwd=root, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{m:,} scenarios: aggregated cutting planes" in done.stdout
    assert "final relative gap" in done.stdout
    checked = subprocess.run([*command, "check", str(path)], cwd=root, capture_output=True,
                             text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert checked.returncode == 0, checked.stderr
    assert "solver HIGHS (dual simplex)" in checked.stdout
    assert f"CVaR over {m:,} scenarios: aggregated cutting planes" in checked.stdout


def test_another_solver_keeps_the_ru_lp_and_says_why(monkeypatch):
    monkeypatch.setenv("SADDLE_CVAR_METHOD", "cuts")
    limit = binding_limit()
    result = compile_text(book(limit)).solve(solver="CLARABEL")
    assert any("the solver CLARABEL was asked for" in n for n in result.notes)
    assert result.objective == pytest.approx(reference(limit)[0], rel=1e-5)


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("SADDLE_CVAR_METHOD", "bogus", "is not a scenario CVaR method"),
    ("SADDLE_CVAR_CUTS_FROM", "2.5k", "is not a whole number of scenarios")])
def test_a_setting_that_is_not_understood_is_refused_by_the_api(monkeypatch, variable,
                                                                value, said):
    """It fell back to the default silently (the CLI refuses it before it starts)."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=said):
        compile_text(book(binding_limit(M), m=M)).solve()
