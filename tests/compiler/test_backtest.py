"""Backtests of rolling decisions (issue 13): each equals a hand-written loop.

* The CDS hedge (models/cds_hedge.saddle) equals tests/oracles/cds_backtest.py, a pandas +
  cvxpy DPP loop with the seed's own P&L formulas, per month and with a trailing lookback.
* A 10-asset mean-CVaR book with turnover costs charged against `previous(w)` equals its own
  hand loop below (Rockafellar-Uryasev CVaR written out, the book carried by hand).
"""

import json

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from oracles.cds_backtest import HandLoop
from saddle_testing import REPO, compile_text, first_error

from compiler import compile_model, load
from compiler.rolling.backtest import Backtest, BacktestError
from compiler.rolling.backtest_report import summarize

MODEL = REPO / "models" / "cds_hedge.saddle"
TICKERS = ["CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover"]
COLUMNS = [f"cs01[{t}]" for t in TICKERS]


@pytest.mark.parametrize("lookback", [None, 60])
def test_cds_backtest_equals_the_hand_loop(lookback):
    result = compile_model(load(MODEL)).backtest(lookback=lookback)
    hand = HandLoop(lookback=lookback).run()
    table = result.periods
    assert list(table.index) == list(hand.index)
    assert len(table) == (48 if lookback is None else 46)
    np.testing.assert_allclose(table[COLUMNS].to_numpy(), hand[TICKERS].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(table["pnl"], hand["pnl"], rtol=1e-9, atol=1e-12)
    assert set(table["status"]) == {"optimal"}
    assert any("compiled once" in n for n in result.notes)
    # held over the next calendar month
    assert table.loc["2021-03-31", "held_until"] == "2021-04-30"


def test_cds_summary_is_the_summary_of_the_hand_pnl():
    result = compile_model(load(MODEL)).backtest()
    pnl = HandLoop().run()["pnl"].to_numpy()
    ppy = result.summary["periods_per_year"]
    assert ppy == 12  # monthly holding periods
    assert result.summary["total_pnl"] == pytest.approx(pnl.sum(), abs=1e-12)
    # the data end on 2025-01-01: the last period is held one day of a 31-day month
    days = pd.to_datetime(pd.read_csv(REPO / "models" / "data" / "cds" / "spreads.csv")["date"])
    per_month = days.groupby(days.dt.to_period("M")).size()
    shares = np.ones(len(pnl))
    shares[-1] = per_month.iloc[-1] / per_month.iloc[1:-1].median()
    assert shares[-1] == pytest.approx(1 / 31)
    years = shares.sum() / ppy
    annual = pnl.sum() / years
    assert result.summary["annualized_return"] == pytest.approx(annual, rel=1e-9)
    rate = pnl.sum() / shares.sum()
    vol = np.sqrt(np.sum((pnl - rate * shares) ** 2 / shares) / (len(pnl) - 1) * ppy)
    assert result.summary["annualized_volatility"] == pytest.approx(vol, rel=1e-9)
    assert result.summary["sharpe"] == pytest.approx(annual / vol, rel=1e-9)
    assert any("held until 2025-01-01 is 1 label(s)" in n for n in result.notes)
    wealth = np.concatenate([[0], np.cumsum(pnl)])
    drawdown = max(wealth[:j + 1].max() - wealth[j] for j in range(len(wealth)))
    assert result.summary["max_drawdown"] == pytest.approx(drawdown, abs=1e-12)
    assert result.summary["hit_rate"] == pytest.approx((pnl > 0).mean())


def test_rebuilding_each_period_gives_the_same_backtest():
    rolling = compile_model(load(MODEL), every="quarter")
    once = rolling.backtest()
    rebuilt = rolling.backtest(rebuild=True)
    np.testing.assert_allclose(once.periods["pnl"], rebuilt.periods["pnl"], atol=1e-12)
    np.testing.assert_allclose(once.periods[COLUMNS], rebuilt.periods[COLUMNS], atol=1e-12)


def test_summary_by_hand():
    pnl = pd.Series([1.0, -2.0, 3.0, -1.0])
    out = summarize(pnl, pd.Series([0.5, 0.5, 1.0, 0.0]), 4.0)
    assert out["max_drawdown"] == pytest.approx(2.0)  # from 1 down to -1
    assert out["hit_rate"] == 0.5 and out["average_turnover"] == 0.5
    assert out["annualized_return"] == pytest.approx(0.25 * 4)


# ---- a 10-asset mean-CVaR book with turnover costs ----

ASSETS = [f"A{k}" for k in range(10)]
MEAN_CVAR = """
set day = csv("returns.csv").date
set asset = csv("assets.csv").asset
series r[day, asset] = csv("returns.csv")
param cost = 0.0005
param risk = 0.5
param ridge = 0.0002
variable w[asset] >= 0 <= 0.3
rebalance every month on day

let trade = sum(abs(w - previous(w)))
let costs = cost * trade
let pnl = sum(r @ w) - costs

maximize utility: mean(r @ w) - risk * cvar(0.95, -(r @ w)) - costs - ridge * sum(square(w))
subject to
    budget: sum(w) == 1
"""


@pytest.fixture(scope="module")
def returns(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cvar")
    rng = np.random.default_rng(7)
    dates = pd.bdate_range("2023-01-02", periods=320)
    drift = rng.normal(0.0004, 0.0003, 10)
    regime = np.repeat(rng.normal(0, 0.002, (16, 10)), 20, axis=0)  # moves the optimum
    data = drift + regime + rng.standard_t(5, (320, 10)) * rng.uniform(0.005, 0.02, 10)
    frame = pd.DataFrame(data, index=dates.strftime("%Y-%m-%d"), columns=ASSETS)
    frame.index.name = "date"
    frame.to_csv(folder / "returns.csv")
    pd.DataFrame({"asset": ASSETS}).to_csv(folder / "assets.csv", index=False)
    return folder, frame


def _hand_cvar_loop(frame: pd.DataFrame, lookback: int | None, solver: str) -> pd.DataFrame:
    """Rockafellar-Uryasev CVaR, book carried by hand; rebuilt per window (any length)."""
    keys = pd.to_datetime(frame.index).to_period("M")
    months = [np.flatnonzero(keys == k) for k in keys.unique()]
    data = frame.to_numpy()
    book, rows = np.zeros(10), {}
    for window, after in zip(months[:-1], months[1:], strict=True):
        end = int(window[-1])
        if lookback is not None:
            if end + 1 < lookback:
                continue
            window = np.arange(end + 1 - lookback, end + 1)
        scenarios = data[window]
        w, eta = cp.Variable(10), cp.Variable()
        losses = -scenarios @ w
        cvar = eta + cp.sum(cp.pos(losses - eta)) / (0.05 * len(window))
        trade = cp.norm1(w - book)
        objective = (cp.sum(scenarios @ w) / len(window) - 0.5 * cvar - 0.0005 * trade
                     - 0.0002 * cp.sum_squares(w))
        cp.Problem(cp.Maximize(objective), [w >= 0, w <= 0.3, cp.sum(w) == 1]).solve(
            solver=solver)
        x = np.asarray(w.value)
        turnover = np.abs(x - book).sum()
        pnl = data[after].sum(axis=0) @ x - 0.0005 * turnover
        rows[frame.index[end]] = dict(zip(ASSETS, x, strict=True)) | {
            "pnl": pnl, "turnover": turnover, "costs": 0.0005 * turnover}
        book = x
    return pd.DataFrame.from_dict(rows, orient="index")


@pytest.mark.parametrize("lookback, compiled_once", [(120, True), (None, False)])
def test_mean_cvar_backtest_equals_its_hand_loop(returns, lookback, compiled_once):
    folder, frame = returns
    rolling = compile_text(MEAN_CVAR, base_dir=folder)
    result = rolling.backtest(lookback=lookback)
    hand = _hand_cvar_loop(frame, lookback, result.solver)
    table = result.periods
    assert list(table.index) == list(hand.index) and len(table) >= 9
    assert set(table["status"]) == {"optimal"}
    columns = [f"w[{a}]" for a in ASSETS]
    np.testing.assert_allclose(table[columns].to_numpy(), hand[ASSETS].to_numpy(), atol=2e-6)
    for column in ("pnl", "turnover", "costs"):
        np.testing.assert_allclose(table[column], hand[column], atol=2e-6)
    assert table["turnover"].iloc[0] == pytest.approx(1.0, abs=1e-6)  # from flat
    assert table["turnover"].iloc[1:].max() > 0.01  # it trades later, paying for it
    assert any("compiled once" in n for n in result.notes) is compiled_once
    if not compiled_once:
        assert any("give a lookback" in n for n in result.notes)


def test_initial_book_is_charged_in_the_first_period(returns):
    folder, frame = returns
    rolling = compile_text(MEAN_CVAR, base_dir=folder)
    start = pd.Series(0.1, index=ASSETS)
    result = rolling.backtest(lookback=120, initial={"w": start})
    first = result.periods.iloc[0]
    held = np.array([first[f"w[{a}]"] for a in ASSETS])
    assert first["turnover"] == pytest.approx(np.abs(held - 0.1).sum(), abs=1e-9)
    in_model = compile_text(MEAN_CVAR.replace("previous(w)", "previous(w, initial = 0.1)"),
                            base_dir=folder).backtest(lookback=120)
    np.testing.assert_allclose(in_model.periods["pnl"], result.periods["pnl"], atol=1e-9)


def test_previous_names_a_decision_variable():
    body = ("set a = [\"x\", \"y\"]\nparam p[a] = [1, 2]\nvariable w[a] >= 0 <= 1\n"
            "minimize o: sum(abs(w - previous(p)))\n")
    error = first_error(body)
    assert error.code == "E208" and "decision variable" in error.message


def test_previous_outside_a_backtest_is_the_initial_book():
    body = ("set a = [\"x\", \"y\"]\nparam mu[a] = [0.1, 0.3]\nvariable w[a] >= 0 <= 1\n"
            "maximize o: mu @ w - 0.5 * sum(abs(w - previous(w, initial = [1, 0])))\n"
            "subject to\n    budget: sum(w) == 1\n")
    # moving all of x to y gains 0.2 and costs 0.5 x 2: stay at the initial book
    result = compile_text(body).solve()
    np.testing.assert_allclose(result.values["w"].to_numpy(), [1, 0], atol=1e-7)


def test_unknown_pnl_name_and_short_samples(returns):
    folder, _ = returns
    rolling = compile_text(MEAN_CVAR, base_dir=folder)
    with pytest.raises(BacktestError, match="no let or objective named 'gains'"):
        Backtest(rolling, pnl="gains")
    with pytest.raises(BacktestError, match="indexed by day"):
        Backtest(compile_text(MEAN_CVAR + "let daily = r @ w\n", base_dir=folder),
                 pnl="daily")
    with pytest.raises(BacktestError, match="too short"):
        Backtest(rolling, lookback=10_000)


def test_benchmark_and_formats(returns, tmp_path):
    folder, _ = returns
    mine = compile_text(MEAN_CVAR, base_dir=folder).backtest(lookback=120)
    equal = compile_text(MEAN_CVAR.replace("risk = 0.5", "risk = 5"),
                         base_dir=folder).backtest(lookback=120)
    both = mine.against(equal)
    np.testing.assert_allclose(both.periods["active_pnl"],
                               mine.periods["pnl"] - equal.periods["pnl"], atol=1e-15)
    report = json.loads(both.to_json())
    assert report["benchmark"]["summary"]["total_pnl"] == pytest.approx(
        equal.summary["total_pnl"])
    assert len(report["rows"]) == len(mine.periods)
    import io

    frame = pd.read_csv(io.StringIO(both.to_csv()))
    assert list(frame["period"]) == list(mine.periods.index)
    assert "information ratio" in both.table_text()
    figure = both.plot(tmp_path / "cumulative.png")
    assert (tmp_path / "cumulative.png").stat().st_size > 1000
    assert len(figure.axes[0].lines) == 3  # the model, the benchmark, the zero line


# ---- the command line, as a user runs it (a real process) ----


def test_cli_backtest_json_as_a_process():
    from test_cli_process import run

    done = run("backtest", "models/cds_hedge.saddle", "--every", "month", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # not a terminal: no progress bar
    report = json.loads(done.stdout)  # the whole of stdout is one document
    hand = HandLoop().run()
    assert [row["period"] for row in report["rows"]] == list(hand.index)
    np.testing.assert_allclose([row["pnl"] for row in report["rows"]], hand["pnl"],
                               rtol=1e-9, atol=1e-12)
    assert report["summary"]["total_pnl"] == pytest.approx(hand["pnl"].sum(), abs=1e-12)
    assert {"sharpe", "max_drawdown", "hit_rate", "average_turnover"} <= set(report["summary"])


def test_cli_backtest_table_csv_plot_and_usage(tmp_path):
    from test_cli_process import run

    table = run("backtest", "models/cds_hedge.saddle", "--lookback", "60 days")
    assert table.returncode == 0, table.stderr
    assert "summary:" in table.stdout and "annualized volatility" in table.stdout
    assert "2021-03-31" in table.stdout and "last 60 labels" in table.stdout
    image = tmp_path / "pnl.png"
    csv = run("backtest", "models/cds_hedge.saddle", "--every", "quarter", "--format", "csv",
              "--plot", str(image))
    assert csv.returncode == 0, csv.stderr
    import io

    frame = pd.read_csv(io.StringIO(csv.stdout))
    assert len(frame) == 16 and {"period", "held_until", "pnl", "turnover"} <= set(frame)
    assert image.stat().st_size > 1000
    once = run("backtest", "models/treasury.saddle")
    assert once.returncode == 2 and "needs rebalancing" in once.stderr
    bad = run("backtest", "models/cds_hedge.saddle", "--lookback", "a year")
    assert bad.returncode == 2 and "--lookback" in bad.stderr
    name = run("backtest", "models/cds_hedge.saddle", "--pnl", "nope")
    assert name.returncode == 2 and "no let or objective named 'nope'" in name.stderr


def test_arbitrage_example_compares_robust_and_nominal(capsys):
    import runpy

    module = runpy.run_path(str(REPO / "examples" / "backtest_arbitrage.py"))
    summary = module["main"]()
    assert list(summary.columns) == ["nominal", "robust"]
    assert "compiled once" in capsys.readouterr().out
    # the robust book is the less volatile one (it pays kappa per unit of volatility)
    assert summary.loc["annualized_volatility", "robust"] < \
        summary.loc["annualized_volatility", "nominal"]


def test_cli_benchmark_in_process(capsys):
    from compiler.cli.main import main

    code = main(["backtest", str(MODEL), "--every", "quarter", "--benchmark", str(MODEL),
                 "--format", "json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["benchmark"]["summary"]["model"] == "cds_hedge"
    assert report["benchmark"]["active"]["total_pnl"] == pytest.approx(0, abs=1e-15)
    assert all(row["active_pnl"] == pytest.approx(0, abs=1e-15) for row in report["rows"])


def test_progress_bar_on_request(capfd):
    compile_model(load(MODEL), every="year").backtest(progress=True)
    assert "4/4 periods" in capfd.readouterr().err


def test_a_rolling_solve_starts_each_window_from_the_initial_book(returns):
    """`saddle solve` of a rolling model: every window from `initial`, no carrying; its
    first window is the backtest's first period (same window, same book going in)."""
    folder, _ = returns
    text = MEAN_CVAR.replace("previous(w)", "previous(w, initial = 0.1)")
    rolling = compile_text(text, base_dir=folder)
    solved = rolling.solve()
    assert set(solved.table["status"]) == {"optimal"} and len(solved.table) == 15
    assert any("stacked" in n for n in solved.notes)  # previous(w) has no window axis
    tested = rolling.backtest()
    columns = [f"w[{a}]" for a in ASSETS]
    np.testing.assert_allclose(solved.table[columns].iloc[0], tested.periods[columns].iloc[0],
                               atol=1e-6)


def test_window_values_beyond_the_budget_are_evaluated_when_needed(monkeypatch):
    """Over the stored budget, a window's parameter values are computed again in the loop:
    the same backtest."""
    from compiler.rolling.backtest_params import WindowParameters

    monkeypatch.setattr(WindowParameters, "STORED", 10)
    result = compile_model(load(MODEL)).backtest()
    np.testing.assert_allclose(result.periods["pnl"], HandLoop().run()["pnl"], rtol=1e-9,
                               atol=1e-12)
    assert any("compiled once" in n for n in result.notes)


def test_a_parametric_form_that_disagrees_is_replaced(monkeypatch):
    """The guard at the second period: if the compiled-once objective does not reproduce
    the model's own, every period is compiled on its own instead (same answers)."""
    monkeypatch.setattr(Backtest, "_agrees", lambda self, *args: False)
    result = compile_model(load(MODEL)).backtest()
    assert any("did not reproduce the model" in n for n in result.notes)
    np.testing.assert_allclose(result.periods["pnl"], HandLoop().run()["pnl"], rtol=1e-9,
                               atol=1e-12)


def test_a_benchmark_not_solved_is_said_and_exits_4(tmp_path):
    """A benchmark infeasible in every period held its (flat) book: its P&L of 0 is said to
    be that, the status is not optimal and the command exits 4 (a new user's finding)."""
    from test_cli_process import run

    impossible = MODEL.read_text(encoding="utf-8").replace(
        "variable cs01[index] >= 0 <= cs01_limit",
        "variable cs01[index] >= 0 <= cs01_limit\n\nsubject to\n    impossible: sum(cs01) >= 1e9")
    bench = tmp_path / "impossible.saddle"
    bench.write_text(impossible, encoding="utf-8")
    done = run("backtest", "models/cds_hedge.saddle", "--every", "quarter", "--benchmark",
               str(bench), "--data", "models", "--format", "json")
    assert done.returncode == 4, done.stderr
    report = json.loads(done.stdout)
    assert {row["benchmark_status"] for row in report["rows"]} == {"infeasible"}
    assert report["status"] != "optimal"
    assert any("benchmark held its previous book" in note for note in report["notes"])
