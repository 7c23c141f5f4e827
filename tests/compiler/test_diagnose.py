"""Infeasible and unbounded models explained in their own names (compiler/diagnosis/diagnose.py),
checked against independent formulations (tests/oracles/diagnose.py): each reported
conflict is infeasible and irreducible in a hand-written CVXPY model (sign-pattern LPs for
the mixed-integer one), the least violations match closed forms and a hand-written elastic
problem, and the unbounded direction is checked in numpy against the recession cone of the
constraints and the objective's recession function. Python API, JSON, CSV and the caps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from oracles import diagnose as oracle

from compiler import compile_model, load, loads
from compiler.cli import main
from compiler.diagnosis import conflicts
from compiler.diagnosis import diagnose as diagnose_module
from compiler.diagnosis.diagnose import Diagnosis
from compiler.report.result import Result

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "diagnose"


def _solve(name: str, **options: object) -> Result:
    result = compile_model(load(GOLDEN / f"{name}.saddle"), **options).solve()  # type: ignore[arg-type]
    assert isinstance(result, Result)
    return result


def _diagnosis(name: str, **options: object) -> Diagnosis:
    diagnosis = _solve(name, **options).diagnosis
    assert isinstance(diagnosis, Diagnosis)
    return diagnosis


def _conflict(diagnosis: Diagnosis) -> set[str]:
    return {element for item in diagnosis.conflict for element in item.elements}


def test_lp_conflict_is_irreducible_and_leaves_out_the_innocent_limit() -> None:
    diagnosis = _diagnosis("infeasible_lp")
    rows = oracle.infeasible_lp()
    assert diagnosis.kind == "infeasible" and diagnosis.irreducible
    assert _conflict(diagnosis) == {"budget", "minimum"}
    oracle.check_conflict(_conflict(diagnosis), set(rows), oracle.rows_feasible(rows))
    assert diagnosis.cleared == ["per_asset"]
    # $100 buys at most 50 units (of a, at $2), so the minimum of 150 is 100 short; moving
    # the budget instead would cost $270 ($370 is the cheapest 150 units under the caps)
    assert diagnosis.violations == pytest.approx({"minimum": 100.0})
    assert oracle.elastic(rows) == pytest.approx(diagnosis.violations, rel=1e-6)
    budget = diagnosis.conflict[0]
    assert budget.where == f"{GOLDEN / 'infeasible_lp.saddle'}:16"
    assert budget.text == "budget: price @ x <= 100"


def test_indexed_conflict_names_the_label_and_the_declared_bound() -> None:
    diagnosis = _diagnosis("infeasible_labels")
    rows = oracle.infeasible_labels()
    assert _conflict(diagnosis) == {"floor[c]", "bounds of x[c]"}
    oracle.check_conflict(_conflict(diagnosis), set(rows), oracle.rows_feasible(rows))
    assert [item.kind for item in diagnosis.conflict] == ["constraint", "bounds"]
    # c needs $600 / $5 = 120 units against its bound of 100: the bound moves by 20 (the
    # floor would have to move by $100)
    assert diagnosis.violations == pytest.approx({"bounds of x[c]": 20.0})
    assert oracle.elastic(rows) == pytest.approx(diagnosis.violations, rel=1e-6)


@pytest.mark.parametrize("backend", ["counterpart", "dsp"])
def test_robust_conflict_counts_the_worst_case(backend: str) -> None:
    diagnosis = _diagnosis("infeasible_robust", backend=backend)
    rows = oracle.infeasible_robust()
    assert _conflict(diagnosis) == {"budget", "floor"}
    oracle.check_conflict(_conflict(diagnosis), set(rows), oracle.rows_feasible(rows))
    floor = next(item for item in diagnosis.conflict if item.name == "floor")
    assert floor.uncertain == ["r"]
    # feasible at the estimates (radius 0): the conflict is the worst case's
    assert oracle.is_feasible([c for r in oracle.infeasible_robust(0.0).values() for c in r])
    shortfall = oracle.robust_floor_shortfall()
    assert diagnosis.violations == pytest.approx({"floor": shortfall}, rel=1e-5)
    assert oracle.elastic(rows) == pytest.approx(diagnosis.violations, rel=1e-5)


def test_mixed_integer_conflict_by_deletion_filter() -> None:
    diagnosis = _diagnosis("infeasible_mip")
    conflict = _conflict(diagnosis)
    # 5Y's haircut can go: 10Y and 30Y alone need $6k of DV01 against $5k
    assert conflict == {"capital", "haircut[10Y]", "haircut[30Y]"}
    oracle.check_conflict(conflict, set(oracle.MIP_ELEMENTS), oracle.mip_is_feasible)
    assert not oracle.mip_is_feasible(set(oracle.MIP_ELEMENTS))
    assert diagnosis.cleared == ["liquidity"]
    # $7k needed, $5k allowed: the cheapest move is 30Y's threshold, by 2 / 200 = 0.01
    assert diagnosis.violations == pytest.approx({"haircut[30Y]": 0.01}, rel=1e-6)


def test_treasury_haircut_against_a_small_capital() -> None:
    """The shipped treasury model: five 0.02 haircuts at $50M a unit need $5M gross."""
    model = load(ROOT / "models" / "treasury.saddle")
    diagnosis = compile_model(model, params={"capital": 4}).solve().diagnosis
    assert isinstance(diagnosis, Diagnosis) and diagnosis.irreducible
    haircut = [f"haircut[{t}]" for t in ("5Y", "7Y", "10Y", "20Y", "30Y")]
    assert _conflict(diagnosis) == {"capital", *haircut}  # four haircuts fit in $4M exactly
    assert set(diagnosis.cleared) == {"liquidity", "tail_risk"}
    assert sum(diagnosis.violations.values()) == pytest.approx(1 / 50, rel=1e-6)


@pytest.mark.parametrize("backend", ["counterpart", "dsp"])
def test_unbounded_direction_is_a_recession_direction(backend: str) -> None:
    result = _solve("unbounded_robust", backend=backend)
    diagnosis = result.diagnosis
    assert isinstance(diagnosis, Diagnosis) and diagnosis.kind == "unbounded"
    d = diagnosis.direction["x"].loc[["basis", "pairs", "merger"]].to_numpy(float)
    assert np.max(np.abs(d)) == pytest.approx(1.0)
    assert abs(d.sum()) < 1e-7  # dollar_neutral: sum(x) == 0 along the ray
    assert abs(oracle.ARBITRAGE_BETA @ d) < 1e-7  # beta_neutral: |beta'x| <= tol for all t
    rate = oracle.arbitrage_rate(d)
    assert rate > 0
    assert diagnosis.gain == pytest.approx(rate, rel=1e-6)
    np.testing.assert_allclose(d, oracle.arbitrage_recession_line(), atol=1e-7)
    # the saddle-point form says 'unbounded' too: the decisions' own problem is read
    assert result.status == "unbounded"


def test_saddle_point_objective_without_counterpart_says_why_no_direction() -> None:
    text = ('model m "x"\nset asset = ["a", "b"]\nparam mu[asset] = [0.05, 0.08]\n'
            "uncertain d[asset]:\n    cap: sum(abs(d)) <= 0.01\nvariable x[asset]\n"
            "maximize earn: x @ (mu + d)\nsubject to\n    neutral: sum(x) == 0\n")
    diagnosis = compile_model(loads(text)).solve().diagnosis
    assert isinstance(diagnosis, Diagnosis) and diagnosis.kind == "undetermined"
    assert any("saddle-point form with no closed-form counterpart" in note
               for note in diagnosis.notes)


def test_optimal_model_has_no_diagnosis() -> None:
    text = (GOLDEN / "infeasible_lp.saddle").read_text().replace("150", "10")
    result = compile_model(loads(text), base_dir=GOLDEN).solve()
    assert result.status == "optimal"
    assert result.diagnosis is None and "diagnosis" not in result.to_dict()


def test_diagnosis_runs_only_when_read() -> None:
    result = _solve("infeasible_lp")
    assert "diagnosis" not in vars(result)  # sweeps and tables never pay for it
    assert result.to_dict()["diagnosis"]["conflict"][0]["name"] == "budget"
    assert "diagnosis" in vars(result)


def test_solve_cap_says_the_subset_may_not_be_minimal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conflicts, "MAX_SOLVES", 2)
    diagnosis = _diagnosis("infeasible_lp")
    assert not diagnosis.irreducible
    assert diagnosis.solves == 2
    assert any("stopped after 2 solves" in note for note in diagnosis.notes)
    assert {"budget", "minimum"} <= _conflict(diagnosis)
    assert "a subset, not proven minimal" in "\n".join(diagnosis.lines())


def test_size_cap_skips_the_search_and_keeps_the_violation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conflicts, "MAX_ELEMENTS", 3)
    diagnosis = _diagnosis("infeasible_lp")
    assert diagnosis.kind == "infeasible" and not diagnosis.conflict
    assert diagnosis.solves == 0
    assert any("no irreducible subset was searched" in note for note in diagnosis.notes)
    assert diagnosis.violations == pytest.approx({"minimum": 100.0})


def test_csv_output_stays_csv_and_the_diagnosis_goes_to_stderr(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code = main(["solve", "tests/golden/diagnose/infeasible_lp.saddle", "--format", "csv"])
    out, err = capsys.readouterr()
    assert code == 4
    assert out.splitlines()[0] == "name,value"
    assert err.startswith("diagnosis: infeasible")
    assert "tests/golden/diagnose/infeasible_lp.saddle:16" in err


def test_a_failing_diagnosis_is_a_note_and_the_report_still_prints(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("no rows")

    monkeypatch.setattr(diagnose_module, "named_rows", broken)
    result = _solve("infeasible_lp")
    assert isinstance(result.diagnosis, Diagnosis) and result.diagnosis.kind == "undetermined"
    assert "the diagnosis failed (RuntimeError: no rows)" in result.table()


def test_objective_domain_is_named_when_the_constraints_hold_together() -> None:
    """log(w) in the objective needs w >= 0; 'neg' forces w["a"] < 0. The constraints alone
    hold together, so the cause is the objective's domain (checked in plain cvxpy first)."""
    import cvxpy as cp

    w = cp.Variable(2)
    alone = cp.Problem(cp.Minimize(0), [cp.sum(w) == 1, w[0] <= -0.1])
    alone.solve()
    with_domain = cp.Problem(cp.Minimize(0), [cp.sum(w) == 1, w[0] <= -0.1, w >= 0])
    with_domain.solve()
    assert alone.status == "optimal" and with_domain.status == "infeasible"

    result = compile_model(loads('''model m "log domain"
set asset = ["a", "b"]
variable w[asset]
maximize ret: sum(log(w)) - sum(abs(w))
subject to
    budget: sum(w) == 1
    neg: w["a"] <= -0.1
''', "domain.saddle")).solve()
    assert result.status == "infeasible"
    diagnosis = result.diagnosis
    assert diagnosis is not None and diagnosis.kind == "infeasible"
    assert [item.kind for item in diagnosis.conflict] == ["domain", "constraint"]
    assert "log(w)" in diagnosis.conflict[0].name and "w >= 0" in diagnosis.conflict[0].text
    assert diagnosis.conflict[1].name == "neg" and diagnosis.cleared == ["budget"]
    assert diagnosis.violations == pytest.approx({"neg": 0.1}, abs=1e-6)
    # the status note does not blame the named constraints alone
    assert any("the domains of the objective's functions" in note for note in result.notes)
