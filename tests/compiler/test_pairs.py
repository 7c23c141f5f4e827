"""models/pairs_hedge.saddle (issue 5) against its independent oracle (tests/oracles/pairs.py):
the least-squares hedge ratio against numpy's lstsq, the robust one against a plain-CVXPY
formulation of the same worst case written out by hand (then polished exactly), and the
z-score bands against numpy at the fitted ratio; from Python, the CLI and the example."""

import importlib.util
import json
import runpy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from oracles.pairs import (
    BAND_NAMES,
    RHO,
    bands,
    load_prices,
    ols,
    robust,
    worst_case_by_vertices,
)

from compiler import compile_model, load
from compiler.cli import main

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "pairs_hedge.saddle"
PRICES = load_prices()

# The fit is flat along (alpha - mean(PEP) d, beta + d), so the intercept is pinned ~60x
# (mean PEP, $58) less tightly than the ratio; so are the spread's mean and the levels.
BETA_ABS, ALPHA_ABS = 1e-6, 1e-4


def solve(**params):
    return compile_model(load(MODEL), params=params).solve()


def test_least_squares_equals_lstsq():
    result = solve(rho=0)
    oracle = ols(PRICES)
    assert result.status == "optimal"
    assert result.values["beta"] == pytest.approx(oracle["beta"], abs=BETA_ABS)
    assert result.values["alpha"] == pytest.approx(oracle["alpha"], abs=ALPHA_ABS)
    assert result.objective == pytest.approx(oracle["objective"], rel=1e-8)
    # at rho = 0 each day's bound is the plain residual
    residual = PRICES["KO"] - oracle["alpha"] - oracle["beta"] * PRICES["PEP"]
    np.testing.assert_allclose(result.values["t"].to_numpy(), residual.abs().to_numpy(),
                               atol=ALPHA_ABS)


# rho where the optimum is smooth (no residual exactly zero), so the oracle's polish is exact
@pytest.mark.parametrize("rho", [RHO, 0.001, 0.0075], ids=["model", "0.1%", "0.75%"])
def test_robust_equals_the_hand_written_counterpart(rho):
    oracle = robust(PRICES, rho)
    result = solve(rho=rho)
    assert result.status == "optimal" and oracle["status"] == "optimal"
    assert result.backend == "counterpart"
    assert result.values["beta"] == pytest.approx(oracle["beta"], abs=BETA_ABS)
    assert result.values["alpha"] == pytest.approx(oracle["alpha"], abs=ALPHA_ABS)
    assert result.objective == pytest.approx(oracle["objective"], rel=1e-8)
    # the plain-CVXPY solve is the same problem (its polish only sharpens it) ...
    assert oracle["conic_objective"] == pytest.approx(oracle["objective"], rel=1e-7)
    # ... and Saddle's objective is the worst case found by trying both errors each day
    alpha, beta = result.values["alpha"], result.values["beta"]
    assert result.objective == pytest.approx(
        worst_case_by_vertices(PRICES, alpha, beta, rho), rel=1e-8)
    worst = (PRICES["KO"] - alpha - beta * PRICES["PEP"]).abs() + rho * PRICES["PEP"] * beta
    np.testing.assert_allclose(result.values["t"].to_numpy(), worst.to_numpy(), atol=1e-6)


def test_robustness_shrinks_the_hedge_ratio():
    betas = [solve(rho=rho).values["beta"] for rho in (0, 0.001, RHO, 0.01)]
    assert all(a > b > 0 for a, b in zip(betas, betas[1:], strict=False))
    assert betas[0] - betas[2] == pytest.approx(
        ols(PRICES)["beta"] - robust(PRICES)["beta"], abs=2 * BETA_ABS)


def test_the_adversary_moves_pep_against_the_fit():
    """beta > 0: the worst error lowers PEP where the residual is read from above and
    raises it from below, by the whole rho, on every day."""
    result = solve()
    above, below = result.worst_case["above"]["e"], result.worst_case["below"]["e"]
    assert above.shape == below.shape == (len(PRICES), 1)
    np.testing.assert_allclose(above.to_numpy(), -RHO, rtol=1e-12)
    np.testing.assert_allclose(below.to_numpy(), RHO, rtol=1e-12)


@pytest.mark.parametrize("rho", [0, RHO], ids=["least_squares", "robust"])
def test_bands_equal_numpy(rho):
    result = solve(rho=rho)
    beta = result.values["beta"]
    at_fit = bands(PRICES, beta)  # numpy at Saddle's own hedge ratio: the same numbers
    np.testing.assert_allclose(result.values["spread"].to_numpy(), at_fit["spread"],
                               rtol=1e-12)
    for name in BAND_NAMES:
        assert result.values[name] == pytest.approx(at_fit[name], rel=1e-9), name
    oracle_beta = ols(PRICES)["beta"] if rho == 0 else robust(PRICES)["beta"]
    at_oracle = bands(PRICES, oracle_beta)  # and at the oracle's ratio
    for name in BAND_NAMES:
        assert result.values[name] == pytest.approx(at_oracle[name], abs=ALPHA_ABS), name
    levels = [result.values[n] for n in ("entry_long", "exit_lower", "spread_mean",
                                         "exit_upper", "entry_short")]
    assert levels == sorted(levels)


def test_z_thresholds_are_params():
    """The article's usage example enters at 1.5 standard deviations."""
    result = solve(entry_z=1.5, exit_z=0)
    mean, std = result.values["spread_mean"], result.values["spread_std"]
    assert result.values["entry_short"] == pytest.approx(mean + 1.5 * std, rel=1e-12)
    assert result.values["entry_long"] == pytest.approx(mean - 1.5 * std, rel=1e-12)
    assert result.values["exit_upper"] == pytest.approx(mean, rel=1e-12)
    assert result.values["exit_lower"] == pytest.approx(mean, rel=1e-12)
    # the z thresholds only move the bands, not the fit
    assert result.values["beta"] == pytest.approx(robust(PRICES)["beta"], abs=BETA_ABS)


@pytest.mark.parametrize("args, fit", [([], lambda: robust(PRICES)),
                                       (["--param", "rho=0"], lambda: ols(PRICES))],
                         ids=["robust", "least_squares"])
def test_cli_json(args, fit, capsys):
    assert main(["solve", str(MODEL), "--format", "json", *args]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == "pairs_hedge" and report["status"] == "optimal"
    oracle = fit()
    assert report["variables"]["beta"] == pytest.approx(oracle["beta"], abs=BETA_ABS)
    assert report["objective"] == pytest.approx(oracle["objective"], rel=1e-8)
    std = bands(PRICES, oracle["beta"])["spread_std"]
    assert report["variables"]["spread_std"] == pytest.approx(std, rel=1e-6)


def test_example_tabulates_both_fits():
    table = runpy.run_path(str(ROOT / "examples" / "pairs_hedge.py"))["main"]()
    assert list(table.columns) == ["least squares", "robust"]
    assert table.loc["beta", "least squares"] == pytest.approx(ols(PRICES)["beta"],
                                                               abs=BETA_ABS)
    assert table.loc["beta", "robust"] == pytest.approx(robust(PRICES)["beta"], abs=BETA_ABS)


def test_shipped_prices_are_the_script_output():
    spec = importlib.util.spec_from_file_location(
        "make_pairs_sample", ROOT / "scripts" / "make_pairs_sample.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    pd.testing.assert_frame_equal(script.simulate(), PRICES)
    # the sample is shaped on the article's KO/PEP figures: ratio 1.15, $2.50, $1.20
    fit = ols(PRICES)
    at_fit = bands(PRICES, fit["beta"])
    assert fit["beta"] == pytest.approx(1.15, abs=0.01)
    assert at_fit["spread_mean"] == pytest.approx(2.50, abs=0.1)
    assert at_fit["spread_std"] == pytest.approx(1.20, abs=0.1)
