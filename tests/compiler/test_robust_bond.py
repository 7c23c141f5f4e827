"""The robust bond models on the paper's data (../shared/data/robust_bond, read in place).

Expected numbers come from the paper (the DSP package's tests, MOSEK) and from the
independent plain-CVXPY oracle `oracles.robust_bond` (relative-entropy dual, primal worst
case, closed-form first-order estimate) — never from Saddle itself.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from oracles.robust_bond import (
    PAPER_CONSTRAINT_PHI,
    PAPER_PHI,
    constraint_form,
    first_order_worst_case,
    load_robust_bond,
    robust_objective_form,
    turnover,
    worst_case,
)

from compiler import compile_model, load
from compiler.cli import main

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"


@pytest.fixture(scope="module")
def paper():
    return load_robust_bond()


def _solve(shared, name: str, **params):
    return compile_model(load(MODELS / f"{name}.saddle"), params=params,
                         data_dir=shared).solve()


@pytest.mark.parametrize("lam", sorted(PAPER_PHI))
def test_objective_form_reproduces_the_paper(paper, lam, shared):
    result = _solve(shared, "robust_bond", **{"lambda": lam})
    assert result.status == "optimal"
    assert result.backend == "counterpart"  # the relative-entropy dual
    holdings = result.values["h"].to_numpy()
    phi = turnover(paper, np.maximum(holdings, 0))
    assert phi == pytest.approx(PAPER_PHI[lam], abs=1e-4)
    oracle = robust_objective_form(paper, lam)
    assert result.objective == pytest.approx(oracle["value"], rel=1e-5)
    assert result.gap < 1e-5


def test_objective_form_reports_the_worst_curve(paper, shared):
    result = _solve(shared, "robust_bond")
    x = result.worst_case["objective"]["x"]
    # the adversary's factors lie on the ellipsoid's boundary (the objective is monotone)
    deviation = x.to_numpy() - paper.mu
    radius_sq = float(deviation @ paper.precision @ deviation)
    from scipy.stats import chi2
    assert radius_sq == pytest.approx(chi2.ppf(0.5, 13), rel=1e-3)
    curve = result.values["y"]
    assert curve.to_numpy() == pytest.approx(paper.F[:60] @ x.to_numpy(), abs=1e-12)


def test_floor_form_reproduces_the_paper(paper, shared):
    result = _solve(shared, "robust_bond_floor")
    assert result.status == "optimal"
    assert result.objective == pytest.approx(PAPER_CONSTRAINT_PHI, abs=5e-3)
    oracle = constraint_form(paper, spreads="zero")
    assert result.objective == pytest.approx(oracle["phi"], rel=1e-5)
    # the row reports the worst-case log value, which binds at log(floor) (floor = 90)
    assert result.constraints["value_floor"].value == pytest.approx(np.log(90), abs=1e-5)
    assert result.constraints["value_floor"].slack == pytest.approx(0, abs=1e-5)


def test_floor_form_with_spreads_matches_the_oracle(paper, shared):
    result = _solve(shared, "robust_bond_floor", spread_on=1)
    oracle = constraint_form(paper, spreads="nominal")
    assert result.objective == pytest.approx(oracle["phi"], rel=1e-5)


@pytest.mark.parametrize("alpha", [0.5, 0.01])
def test_analysis_exact_and_first_order(paper, alpha, shared):
    result = _solve(shared, "robust_bond_analysis", alpha=alpha)
    assert result.status == "optimal"
    holding = paper.benchmark_holdings()
    exact = worst_case(paper, holding, alpha)
    estimate = first_order_worst_case(paper, holding, alpha)
    assert result.objective == pytest.approx(exact["value"], abs=1e-6)
    first_order = result.constraints["first_order"].value
    assert first_order == pytest.approx(estimate["value"], abs=1e-6)
    assert first_order < result.objective  # the tangent plane is conservative
    assert result.worst_case["objective"]["x"].to_numpy() == pytest.approx(exact["x"], abs=1e-5)


def test_analysis_reports_a_broken_limit_by_name(shared):
    result = _solve(shared, "robust_bond_analysis", alpha=0.01, loss_limit=0.5)
    # the extreme set's first-order estimate (-0.601 by the oracle) breaks a 50% loss limit
    assert result.constraints["first_order"].slack < 0
    assert any("first_order" in note for note in result.notes)


@pytest.mark.parametrize("name", ["robust_bond", "robust_bond_floor", "robust_bond_analysis"])
def test_cli_solves_on_the_paper_data(name, capsys, shared):
    code = main(["solve", str(MODELS / f"{name}.saddle"), "--data", str(shared),
                 "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "optimal"
    wanted = "value_floor" if name == "robust_bond_floor" else "objective"
    assert out["worst_case"][wanted]  # the adversary's choice, by name


def test_counterpart_backend_is_refused_with_a_reason(capsys):
    # the floor's set is written as constraints: no closed form, only the saddle-point form
    code = main(["solve", str(MODELS / "robust_bond_floor.saddle"), "--backend", "counterpart"])
    assert code == 1
    assert "E413" in capsys.readouterr().err


def test_a_failed_counterpart_solve_falls_back_to_the_saddle_point_form(paper, monkeypatch, shared):
    from compiler.backends.dsp import RobustModel
    from compiler.report.result import Result

    real = RobustModel._solve_compiled

    def failing(self, name, options):
        if self.backend == "counterpart":
            return Result(model="robust_bond", status="solver_error", objective=None,
                          objective_name="robust_turnover", sense="minimize")
        return real(self, name, options)

    monkeypatch.setattr(RobustModel, "_solve_compiled", failing)
    result = _solve(shared, "robust_bond")
    assert result.status == "optimal" and result.backend == "dsp"
    assert any("saddle-point form solved" in note for note in result.notes)
    assert result.objective == pytest.approx(robust_objective_form(paper, 10.5)["value"],
                                             rel=1e-5)


@pytest.mark.parametrize("lam", [10.5, 20.0])
def test_both_backends_agree_on_the_objective_form(paper, lam, shared):
    model = load(MODELS / "robust_bond.saddle")
    saddle_point = compile_model(model, params={"lambda": lam}, data_dir=shared,
                                 backend="dsp").solve()
    dual = compile_model(model, params={"lambda": lam}, data_dir=shared,
                         backend="counterpart").solve()
    assert saddle_point.backend == "dsp"
    assert dual.objective == pytest.approx(saddle_point.objective, rel=1e-6)
    x_dual = dual.worst_case["objective"]["x"].to_numpy()
    x_dsp = saddle_point.worst_case["objective"]["x"].to_numpy()
    assert x_dual == pytest.approx(x_dsp, abs=1e-5)
    # the worst case reported is the adversary's best response to the holdings found:
    # the primal worst case of the oracle at those holdings
    holdings = np.maximum(dual.values["h"].to_numpy(), 0)
    assert dual.values["log_return"] == pytest.approx(
        worst_case(paper, holdings, 0.5)["value"], abs=1e-5)


def test_lse_the_adversary_would_raise_is_refused():
    text = (MODELS / "robust_bond.saddle").read_text().replace(
        "turnover - lambda * log_return", "turnover + lambda * log_return")
    from compiler import loads
    from dsl import SpecError
    with pytest.raises(SpecError) as info:
        compile_model(loads(text, str(MODELS / "robust_bond.saddle")),
                      backend="counterpart")
    # the nominal check (x at the center) already sees a convex plus a concave term
    assert info.value.diagnostics[0].code in ("E401", "E412", "E413")


def test_krd_matched_variant_equals_its_oracle(paper, shared):
    from oracles.robust_bond import key_rate_durations

    model = compile_model(load(MODELS / "robust_bond_krd.saddle"), data_dir=shared)
    krd = next(v for s, v in model.bindings.values.items() if s.name == "krd")
    expected = key_rate_durations(paper)
    assert krd == pytest.approx(expected, rel=1e-8)  # the builtin against the hand formula
    result = model.solve()
    oracle = robust_objective_form(paper, lam=10.5, krd_tolerance=0.25)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(oracle["value"], rel=1e-6)
    match = result.constraints["krd_match"]
    assert np.abs(match.value.to_numpy()).max() == pytest.approx(0.25, abs=1e-6)  # binds
    # matching the benchmark's rate risk costs worst-case return: a higher objective
    assert result.objective > _solve(shared, "robust_bond").objective


def test_krd_variant_from_the_cli(capsys, shared):
    code = main(["solve", str(MODELS / "robust_bond_krd.saddle"), "--data", str(shared),
                 "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "optimal"
    assert set(out["constraints"]["krd_match"]["value"]) == {"1", "2", "4", "6", "10", "14",
                                                             "20", "40", "60"}
