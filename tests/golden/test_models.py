"""Golden files for every model in models/: the printed AST (parsing), the checked IR
(resolve + shapes) and the solve (end to end).

`.ast.txt` and `.ir.txt` change only with `pytest --update-goldens` (review the diff).
`.solve.json` holds numbers from an independent oracle (tests/oracles/), never Saddle's own
output: `--update-goldens` regenerates it by running the oracle.
"""

import json
import os
from pathlib import Path

import pytest
from oracles.arbitrage import solve_allocation, solve_basis, solve_merger, solve_robust
from oracles.cds import TICKERS, calendar_rolling
from oracles.cds_cs01 import monthly as cds_cs01_monthly
from oracles.pairs import solve_pairs
from oracles.robust_bond import (
    constraint_form,
    first_order_worst_case,
    load_robust_bond,
    robust_objective_form,
    worst_case,
)
from oracles.robust_lots import lots_data, solve_misocp
from oracles.robust_mean import solve_robust_mean
from oracles.treasury import solve_treasury, treasury_data
from oracles.treasury_dro import solve_treasury_dro
from oracles.treasury_duration_neutral import solve_duration_neutral
from oracles.treasury_variance import brute_force, variance_data
from saddle_testing import check_golden

from compiler import compile_model, load
from compiler.report.describe import describe_ir
from dsl.dump import dump

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "models").glob("*.saddle"))
GOLDEN = Path(__file__).resolve().parent / "models"


def _treasury_oracle() -> dict:
    data = treasury_data(ROOT / "models" / "data" / "real_yields_2024.csv")
    answer = solve_treasury(data, haircut=True)
    return {"status": answer["status"], "objective": answer["objective"],
            "values": {"w": dict(zip(["5Y", "7Y", "10Y", "20Y", "30Y"],
                                     answer["weights"].tolist(), strict=True))},
            "constraint_values": {"tail_risk": answer["cvar"]}}


def _cds_oracle() -> dict:
    table = calendar_rolling("M")  # the model rebalances every month
    return {"status": "optimal",
            "periods": {end: {"cs01": {t: row[t] for t in TICKERS}, "objective": row["objective"]}
                        for end, row in table.iterrows()}}


def _robust_mean_oracle() -> dict:
    answer = solve_robust_mean()
    return {"status": answer["status"], "objective": answer["objective"],
            "values": {"w": answer["weights"]}, "worst_case": {"m": answer["worst_mean"]}}


def _arbitrage_allocation_oracle() -> dict:
    answer = solve_allocation()
    return {"status": answer["status"], "objective": answer["objective"],
            "values": {"x": answer["weights"]}, "constraint_values": {"tail": answer["cvar"]}}


def _arbitrage_robust_oracle() -> dict:
    answer = solve_robust()
    return {"status": answer["status"], "objective": answer["objective"],
            "values": {"x": answer["weights"]}, "worst_case": {"m": answer["worst_mean"]}}


def _basis_trade_oracle() -> dict:
    answer = solve_basis()
    return {"status": answer["status"], "objective": answer["objective"],
            "values": {"c": answer["contracts"]},
            "constraint_values": {"margin_used": answer["margin_used"]}}


def _merger_arb_oracle() -> dict:
    answer = solve_merger()
    return {"status": answer["status"], "objective": answer["objective"],
            "values": {"x": answer["weights"]},
            "constraint_values": {"tail": answer["cvar"], "all_break": answer["all_break"]}}


def _bond_sample():
    return load_robust_bond(ROOT / "models" / "data" / "robust_bond")


def _by_bond(data, values) -> dict:
    return dict(zip(data.bonds["bond"], values.tolist(), strict=True))


def _robust_bond_oracle() -> dict:
    data = _bond_sample()
    answer = robust_objective_form(data, lam=10.5, alpha=0.5)
    # Saddle's counterpart here is also a relative-entropy dual (its own, built by the
    # compiler); two interior-point solves of a flat problem agree to ~1e-6 relative in
    # the objective and ~1e-4 of the budget in the holdings.
    return {"status": answer["status"], "objective": answer["value"],
            "values": {"h": _by_bond(data, answer["h"])},
            "objective_rel": 1e-5, "values_abs": 1e-4}


def _robust_bond_floor_oracle() -> dict:
    data = _bond_sample()
    answer = constraint_form(data, floor=90.0, budget=100.0, spreads="zero")
    # DSP's saddle_min form vs the oracle's dual: ~1e-6 relative (see _robust_bond_oracle)
    return {"status": answer["status"], "objective": answer["phi"],
            "values": {"h": _by_bond(data, answer["h"])},
            "objective_rel": 1e-5, "values_abs": 1e-3}


def _robust_bond_analysis_oracle() -> dict:
    data = _bond_sample()
    holding = data.benchmark_holdings()
    exact = worst_case(data, holding, alpha=0.5)
    estimate = first_order_worst_case(data, holding, alpha=0.5)
    return {"status": exact["status"], "objective": exact["value"], "values": {},
            "constraint_values": {"first_order": estimate["value"]},
            "worst_case": {"x": dict(zip(data.factor_names, exact["x"].tolist(),
                                         strict=True))}}


def _robust_bond_krd_oracle() -> dict:
    data = _bond_sample()
    answer = robust_objective_form(data, lam=10.5, krd_tolerance=0.25)
    # the same two-solver agreement as _robust_bond_oracle
    return {"status": answer["status"], "objective": answer["value"],
            "values": {"h": _by_bond(data, answer["h"])},
            "objective_rel": 1e-5, "values_abs": 1e-4}


ORACLES = {"treasury": _treasury_oracle, "cds_hedge": _cds_oracle,
           "robust_mean": _robust_mean_oracle,
           "arbitrage_allocation": _arbitrage_allocation_oracle,
           "arbitrage_robust": _arbitrage_robust_oracle,
           "basis_trade": _basis_trade_oracle, "merger_arb": _merger_arb_oracle,
           "robust_bond": _robust_bond_oracle, "robust_bond_floor": _robust_bond_floor_oracle,
           "robust_bond_analysis": _robust_bond_analysis_oracle,
           "robust_bond_krd": _robust_bond_krd_oracle}


def _treasury_duration_neutral_oracle() -> dict:
    data = treasury_data(ROOT / "models" / "data" / "real_yields_2024.csv")
    answer = solve_duration_neutral(data)
    return {"status": answer["status"], "objective": answer["objective"],
            "values": {"w": dict(zip(["5Y", "7Y", "10Y", "20Y", "30Y"],
                                     answer["weights"].tolist(), strict=True))},
            "constraint_values": {"tail_risk": answer["cvar"],
                                  "duration_neutral": abs(answer["dv01"])}}


def _cds_hedge_cs01_oracle() -> dict:
    table = cds_cs01_monthly()  # CS01 from QuantLib's CDS engine, one LP per month
    return {"status": "optimal",
            "periods": {end: {"notional": {t: row[t] for t in TICKERS},
                              "objective": row["objective"]} for end, row in table.iterrows()}}


ORACLES |= {"treasury_duration_neutral": _treasury_duration_neutral_oracle,
            "cds_hedge_cs01": _cds_hedge_cs01_oracle}


def _pairs_hedge_oracle() -> dict:
    answer = solve_pairs()  # the robust fit, polished exactly; t: each day's worst residual
    return {"status": answer["status"], "objective": answer["objective"],
            "values": {"t": answer["t"]}}


ORACLES |= {"pairs_hedge": _pairs_hedge_oracle}


def _treasury_variance_oracle() -> dict:
    data = variance_data(treasury_data(ROOT / "models" / "data" / "real_yields_2024.csv"))
    answer = brute_force(data)  # 32 sign patterns, each a concave QP (Clarabel)
    # the variance penalty's curvature is ~1e-4: weights 2e-3 apart are equally optimal
    return {"status": answer["status"], "objective": answer["objective"],
            "values": {"w": dict(zip(["5Y", "7Y", "10Y", "20Y", "30Y"],
                                     answer["weights"].tolist(), strict=True))},
            "values_abs": 1e-2}


def _robust_lots_oracle() -> dict:
    data = lots_data()
    answer = solve_misocp(data)  # the closed-form counterpart, the oracle's own, with SCIP
    return {"status": answer["status"], "objective": answer["objective"],
            "values": {"n": dict(zip(data["asset"], answer["lots"].tolist(), strict=True))}}


ORACLES |= {"treasury_variance": _treasury_variance_oracle, "robust_lots": _robust_lots_oracle}


def _treasury_dro_oracle() -> dict:
    answer = solve_treasury_dro(treasury_data(ROOT / "models" / "data" / "real_yields_2024.csv"))
    return {"status": answer["status"], "objective": answer["objective"],
            "values": {"w": dict(zip(["5Y", "7Y", "10Y", "20Y", "30Y"],
                                     answer["weights"].tolist(), strict=True))},
            "constraint_values": {"tail_risk": answer["worst_cvar"]}}


ORACLES |= {"treasury_dro": _treasury_dro_oracle}


def _updating(request) -> bool:
    return bool(request.config.getoption("--update-goldens")) or \
        os.environ.get("SADDLE_UPDATE_GOLDENS") == "1"


def _compare_text(request, path: Path, actual: str) -> None:
    check_golden(request, path, actual + "\n")


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_ast_golden(request, model):
    _compare_text(request, GOLDEN / f"{model.stem}.ast.txt", dump(load(model)))


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_ir_golden(request, model):
    _compare_text(request, GOLDEN / f"{model.stem}.ir.txt", describe_ir(load(model)))


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_solve_golden(request, model):
    assert model.stem in ORACLES, f"{model.stem} has no independent oracle in ORACLES"
    path = GOLDEN / f"{model.stem}.solve.json"
    if _updating(request):
        path.write_text(json.dumps(ORACLES[model.stem](), indent=2) + "\n")
    elif not path.exists():
        pytest.fail(f"{path.name} is missing: write it from the oracle with --update-goldens")
    expected = json.loads(path.read_text())
    result = compile_model(load(model)).solve()
    assert result.status == expected["status"]
    if "periods" in expected:  # a rolling model: one row per window
        assert list(result.table.index) == list(expected["periods"])
        for end, want in expected["periods"].items():
            row = result.table.loc[end]
            assert row["objective"] == pytest.approx(want["objective"], rel=1e-9, abs=1e-12)
            for name, by_label in want.items():
                if isinstance(by_label, dict):
                    for label, value in by_label.items():
                        assert row[f"{name}[{label}]"] == pytest.approx(value, abs=1e-9)
        return
    # Saddle-point (DSP) solves are looser than one conic solve: their oracles say how much.
    rel, step = expected.get("objective_rel", 1e-6), expected.get("values_abs", 2e-5)
    assert result.objective == pytest.approx(expected["objective"], rel=rel)
    for name, by_label in expected["values"].items():
        for label, value in by_label.items():
            # two interior-point solves of equivalent forms agree to ~1e-5 at a bound
            assert result.values[name][label] == pytest.approx(value, abs=step), (name, label)
    for name, value in expected.get("constraint_values", {}).items():
        assert result.constraints[name].value == pytest.approx(value, rel=1e-5)
    for name, by_label in expected.get("worst_case", {}).items():  # the adversary's choice
        chosen = result.worst_case["objective"][name]
        for label, value in by_label.items():
            assert chosen[label] == pytest.approx(value, abs=1e-4), (name, label)
