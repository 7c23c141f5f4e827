"""The embedding API: load/loads/compile_model -> CompiledModel -> Result by name."""

from pathlib import Path

import cvxpy as cp
import pandas as pd
import pytest

from compiler import CompiledModel, Result, compile_model, load, loads
from dsl import SpecError

ROOT = Path(__file__).resolve().parents[2]

MODEL = """model mv "two-asset mean-variance"
set asset = ["bond", "stock"]
set asset2 = asset
param mu[asset] = [0.03, 0.07]
param cov[asset, asset2] = [[0.01, 0.002], [0.002, 0.04]]
param gamma = 2
variable w[asset] >= 0
maximize utility: mu @ w - gamma * quad_form(w, cov)
subject to
    budget: sum(w) == 1
"""


def test_result_by_name_with_pandas_values():
    compiled = compile_model(loads(MODEL))
    assert isinstance(compiled, CompiledModel)
    result = compiled.solve()
    assert isinstance(result, Result) and result.status == "optimal"
    w = result.values["w"]
    assert isinstance(w, pd.Series) and list(w.index) == ["bond", "stock"]
    assert isinstance(result.problem, cp.Problem)
    # closed form on the budget line: maximize mu'w - g w'Cw with w = (t, 1 - t)
    mu, c, g = [0.03, 0.07], [[0.01, 0.002], [0.002, 0.04]], 2.0
    a = c[0][0] - 2 * c[0][1] + c[1][1]
    t = ((mu[0] - mu[1]) / g + 2 * (c[1][1] - c[0][1])) / (2 * a)
    assert w["bond"] == pytest.approx(t, abs=1e-5)
    assert result.duals["budget"] == pytest.approx(
        mu[0] - 2 * g * (c[0][0] * t + c[0][1] * (1 - t)), abs=1e-5)


def test_params_accept_pandas_and_numbers():
    mu = pd.Series({"stock": 0.03, "bond": 0.03})
    result = compile_model(loads(MODEL), params={"mu": mu, "gamma": 1}).solve()
    # equal means: the minimum-variance weights
    assert result.values["w"]["bond"] == pytest.approx(0.038 / 0.046, abs=1e-5)


def test_load_reads_a_file_and_errors_are_spec_errors():
    model = load(ROOT / "models" / "treasury.saddle")
    assert model.name == "treasury"
    with pytest.raises(SpecError):
        loads("model m\nparam = 1\n")
    with pytest.raises(OSError):
        load(ROOT / "models" / "absent.saddle")
