"""Sweeps: every point equals the independent oracle at that param value."""

from pathlib import Path

import numpy as np
import pytest
from oracles.treasury import solve_treasury, treasury_data

from compiler import load, loads, sweep
from compiler.cli import main
from compiler.rolling.sweeps import parse_sweep

ROOT = Path(__file__).resolve().parents[2]
TREASURY = ROOT / "models" / "treasury.saddle"
TENORS = ["5Y", "7Y", "10Y", "20Y", "30Y"]


def test_cvar_frontier_equals_the_oracle_at_every_point():
    data = treasury_data(ROOT / "models" / "data" / "real_yields_2024.csv")
    limits = [0.2, 0.35, 0.6]
    result = sweep(load(TREASURY), "cvar_limit", limits, params={"min_weight": 0})
    assert list(result.table.index) == limits and result.status == "optimal"
    for limit in limits:
        oracle = solve_treasury({**data, "cvar_limit": limit}, haircut=False)
        row = result.table.loc[limit]
        assert row["objective"] == pytest.approx(oracle["objective"], rel=1e-6)
        np.testing.assert_allclose([row[f"w[{t}]"] for t in TENORS], oracle["weights"],
                                   atol=1e-6)
    # the frontier is nondecreasing in the limit
    assert np.all(np.diff(result.table["objective"]) >= -1e-9)


def test_parse_sweep():
    assert parse_sweep("lam=1:3:3") == ("lam", [1.0, 2.0, 3.0])
    assert parse_sweep("lam=0.5,2") == ("lam", [0.5, 2.0])
    for bad in ("lam", "lam=1:2", "lam=1:2:0", "1x=1,2", "lam=a,b"):
        with pytest.raises(ValueError):
            parse_sweep(bad)
    for with_units in ("capital=$300M,$400M", "rate=1%:1.4%:3", "c=10bp,20bp"):
        with pytest.raises(ValueError, match="without units"):
            parse_sweep(with_units)
    with pytest.raises(ValueError, match="START:STOP:COUNT"):
        parse_sweep("lam=1:2")
    assert parse_sweep("lam=1e-3,2E-3") == ("lam", [0.001, 0.002])


def test_cli_sweep_csv(capsys):
    argv = ["solve", str(TREASURY), "--param", "min_weight=0", "--sweep",
            "cvar_limit=0.2:1.0:3", "--format", "csv"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "cvar_limit," + ",".join(f"w[{t}]" for t in TENORS) + ",objective,status"
    assert [line.split(",")[0] for line in lines[1:]] == ["0.2", "0.6", "1.0"]


def test_cli_sweep_errors(capsys):
    assert main(["solve", str(TREASURY), "--sweep", "cvar_limit=1:2"]) == 2
    assert main(["solve", str(TREASURY), "--sweep", "capitl=1,2"]) == 1
    assert "did you mean 'capital'" in capsys.readouterr().err


@pytest.mark.parametrize(("values", "said"), [
    ([], "no values to solve at"), (["a"], "'a' is not a number"),
    ([float("nan")], "nan is not a finite number")])
def test_a_grid_that_is_not_numbers_says_so(values, said):
    """A raw pandas KeyError (empty grid) and a bare float() ValueError before."""
    with pytest.raises(ValueError, match=said):
        sweep(load(TREASURY), "cvar_limit", values)


def test_columns_do_not_depend_on_which_point_is_infeasible():
    """A new user's trial: an infeasible first point put objective and status first."""
    model = loads('''model m "sweep order"
set asset = ["a", "b"]
param cap = 1
variable x[asset] >= 0
maximize total: sum(x)
subject to
    limit: sum(x) <= cap
''')
    first_bad = sweep(model, "cap", [-1.0, 1.0]).table
    first_good = sweep(model, "cap", [1.0, -1.0]).table
    assert list(first_bad.columns) == list(first_good.columns)
    assert list(first_bad.columns)[-2:] == ["objective", "status"]
    assert first_bad.loc[1.0, "objective"] == pytest.approx(1.0, abs=1e-8)
    assert first_bad.loc[-1.0, "status"] == "infeasible"
