"""Rolling re-optimization: the CDS hedge per month/quarter/year equals the independent
per-period LP (tests/oracles/cds.py) over the same calendar windows."""

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from oracles.cds import TICKERS, calendar_rolling
from saddle_testing import first_error

from compiler import compile_model, load
from compiler.cli import main
from compiler.rolling.rolling_model import RollingModel
from compiler.rolling.windows import Every, windows
from dsl.source import synthetic_span

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "cds_hedge.saddle"
COLUMNS = [f"cs01[{t}]" for t in TICKERS]


def _check(table: pd.DataFrame, horizon: str) -> None:
    oracle = calendar_rolling(horizon)
    assert list(table.index) == list(oracle.index)
    np.testing.assert_allclose(table[COLUMNS].to_numpy(), oracle[TICKERS].to_numpy(),
                               atol=1e-9)
    np.testing.assert_allclose(table["objective"], oracle["objective"], rtol=1e-9, atol=1e-12)
    assert set(table["status"]) == {"optimal"}


@pytest.mark.parametrize("every, horizon", [("month", "M"), ("quarter", "Q"), ("year", "A")])
def test_every_horizon_equals_the_per_period_lp(every, horizon):
    rolling = compile_model(load(MODEL), every=every)
    assert isinstance(rolling, RollingModel)
    result = rolling.solve()
    _check(result.table, horizon)
    assert any("one vectorized problem" in n for n in result.notes)


@pytest.mark.parametrize("strategy, note", [("stack", "stacked into one problem"),
                                            ("loop", "solved on its own")])
def test_every_strategy_gives_the_same_answer(strategy, note):
    result = compile_model(load(MODEL), every="quarter").solve(strategy=strategy)
    _check(result.table, "Q")
    assert any(note in n for n in result.notes)


def test_a_model_whose_time_axis_meets_the_decision_is_stacked(tmp_path):
    """`diff(spread) @ cs01` is indexed by day before it is summed: no vectorized form, so
    the windows are stacked — with the same answer."""
    text = MODEL.read_text().replace(
        "let hedge_pnl = cs01 @ (0.01 * sum(diff(spread, over = day), over = day) / 1bp)",
        "let hedge_pnl = sum(0.01 * diff(spread, over = day) / 1bp @ cs01)")
    assert "sum(0.01 * diff(spread, over = day) / 1bp @ cs01)" in text
    path = MODEL.parent / "cds_hedge_daily.saddle"  # a name for messages; not on disk
    from compiler import loads

    model = loads(text, str(path))
    result = compile_model(model, base_dir=MODEL.parent, every="quarter").solve(
        strategy="vectorized")
    _check(result.table, "Q")
    assert any("no vectorized form" in n for n in result.notes)


def test_the_model_rebalances_monthly_by_itself():
    result = compile_model(load(MODEL)).solve()
    assert len(result.table) == 49  # January 2021 to January 2025
    assert result.table.index[0] == "2021-01-31" and result.table.index[-1] == "2025-01-01"


def test_cli_quarterly_csv(capsys):
    assert main(["solve", str(MODEL), "--every", "quarter", "--format", "csv"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(frame.columns) == ["period", *COLUMNS, "objective", "status"]
    _check(frame.set_index("period"), "Q")


def test_cli_json_and_usage(capsys):
    assert main(["solve", str(MODEL), "--every", "year", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "optimal" and len(report["rows"]) == 5
    assert report["rows"][0]["period"] == "2021-12-31"
    assert main(["solve", str(MODEL), "--every", "fortnight"]) == 2


def test_windows_of_n_days_and_weeks():
    labels = [str(d.date()) for d in pd.date_range("2024-01-01", periods=10)]
    assert [len(w) for w in windows(labels, Every.parse("4 days"), synthetic_span(), "d")] == [
        4, 4, 2]
    weeks = windows(labels, Every.parse("week"), synthetic_span(), "d")
    assert [len(w) for w in weeks] == [7, 3]  # 2024-01-01 is a Monday


def test_progress_bar_only_when_asked(capsys):
    compile_model(load(MODEL), every="year")
    assert capsys.readouterr().err == ""  # not a terminal: silent


def test_rebalance_errors():
    body = ('set d = ["2024-01-02", "2024-01-01"]\nseries x[d] = [1, 2]\nvariable v\n'
            "minimize o: v\nsubject to\n    lo: v >= sum(x)\nrebalance every month on d\n")
    assert first_error(body).code == "E504"  # dates out of order
    assert first_error(body.replace("on d", "on x")).code == "E206"


def test_time_series_from_pandas():
    """The time set and the series may come from pandas, dates as a DatetimeIndex."""
    from oracles.cds import load_sample

    desk, spreads, limits, coupons = load_sample()
    window = slice("2023-01-01", "2023-06-30")
    params = {"day": desk[window].index, "desk": desk[window], "spread": spreads[window]}
    result = compile_model(load(MODEL), params=params, every="quarter").solve()
    oracle = calendar_rolling("Q").loc[["2023-03-31", "2023-06-30"]]
    np.testing.assert_allclose(result.table[COLUMNS].to_numpy(), oracle[TICKERS].to_numpy(),
                               atol=1e-9)
    assert list(result.table.index) == ["2023-03-31", "2023-06-30"]


def test_progress_bar_when_attached(capsys):
    rolling = compile_model(load(MODEL), every="year")
    rolling.progress = True
    rolling.solve(strategy="loop")
    err = capsys.readouterr().err
    assert "solving" in err and "5/5 windows" in err


def test_a_constrained_rolling_model_equals_a_per_window_lp():
    """A gross CS01 cap per window (a real constraint, not only bounds), vectorized and
    stacked, against an LP per calendar quarter written here with the oracle's data."""
    import cvxpy as cp
    from oracles.cds import _coefficients, load_sample

    from compiler import loads

    text = MODEL.read_text() + "\nsubject to\n    gross: sum(cs01) <= 0.3\n"
    model = loads(text, str(MODEL))
    desk, spreads, limits, coupons = load_sample()
    keys = desk.index.to_period("Q")
    expected = []
    for key in keys.unique():
        window = keys == key
        coef = _coefficients(spreads[window], coupons, int(window.sum()))
        x = cp.Variable(4)
        problem = cp.Problem(cp.Maximize(desk[window].sum() + coef @ x),
                             [x >= 0, x <= limits.to_numpy(), cp.sum(x) <= 0.3])
        problem.solve(solver="HIGHS")
        expected.append([*x.value, problem.value])
    for strategy, note in (("auto", "one vectorized problem"), ("stack", "stacked")):
        result = compile_model(model, base_dir=MODEL.parent, every="quarter").solve(
            strategy=strategy)
        assert any(note in n for n in result.notes)
        np.testing.assert_allclose(result.table[[*COLUMNS, "objective"]].to_numpy(),
                                   np.array(expected), atol=1e-9)
        assert (result.table[COLUMNS].sum(axis=1) <= 0.3 + 1e-9).all()
