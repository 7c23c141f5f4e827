"""Plots: each kind drawn to PNG from the CLI and from Python, its labels, and its data
against independent numbers (the closed-form robust mean allocation, the per-period CDS LP,
the interpolated factor means)."""

import subprocess
import sys
from pathlib import Path

import cvxpy as cp
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from oracles.cds import TICKERS, calendar_rolling
from oracles.robust_mean import solve_robust_mean
from scipy import stats

from compiler import compile_model, load, loads, sweep
from compiler.cli import main
from compiler.report import plot as drawing
from compiler.report.plot import PlotError

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
ROBUST_MEAN = MODELS / "robust_mean.saddle"
CDS = MODELS / "cds_hedge.saddle"
ROBUST_BOND = MODELS / "robust_bond.saddle"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# robust_mean with the two scalars of a risk-return frontier, as lets
FRONTIER_LETS = "\nlet risk = quad_form(w, cov)\nlet expected_return = w @ mu\n"


def _is_png(path: Path) -> bool:
    data = path.read_bytes()
    return data.startswith(PNG_MAGIC) and len(data) > 5000


@pytest.fixture
def drawn(monkeypatch):
    """The figures `saddle plot` draws (the CLI writes them; the test reads their axes)."""
    figures = []
    real = drawing.plot

    def recording(*args, **kwargs):
        figures.append(real(*args, **kwargs))
        return figures[-1]

    monkeypatch.setattr(drawing, "plot", recording)
    return figures


def _robust_mean_data():
    assets = pd.read_csv(MODELS / "data" / "robust_mean" / "assets.csv")
    cov = pd.read_csv(MODELS / "data" / "robust_mean" / "covariance.csv", index_col=0)
    cov = cov.loc[assets["asset"], assets["asset"]].to_numpy(float)
    return assets["asset"].tolist(), assets["mean"].to_numpy(float), cov


def _closed_form(kappa: float, gamma: float = 2.0, cap: float = 0.4) -> dict:
    """max mu'w - kappa ||L'w|| - gamma w'cov w over the capped simplex (plain CVXPY)."""
    _, mu, cov = _robust_mean_data()
    factor = np.linalg.cholesky(cov)
    w = cp.Variable(len(mu))
    objective = mu @ w - kappa * cp.norm(factor.T @ w, 2) - gamma * cp.quad_form(w, cov)
    problem = cp.Problem(cp.Maximize(objective), [cp.sum(w) == 1, w >= 0, w <= cap])
    problem.solve(solver="CLARABEL")
    weights = w.value
    return {"objective": problem.value, "weights": weights,
            "nominal": mu @ weights - gamma * weights @ cov @ weights}


# ---- worst case against nominal ----

def test_worst_case_means_equal_the_closed_form(tmp_path):
    """m_wc = mu - kappa cov w / ||L'w|| (Goldfarb & Iyengar) at the solution; nominal mu."""
    result = compile_model(load(ROBUST_MEAN)).solve()
    figure = drawing.plot(result, "worst-case", tmp_path / "worst.png")
    assert _is_png(tmp_path / "worst.png")
    ax = figure.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "robust_mean: worst-case m against the nominal", "asset", "m")
    labels, mu, cov = _robust_mean_data()
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    w = result.values["w"][labels].to_numpy()
    kappa = np.sqrt(stats.chi2.ppf(0.9, len(mu)) / 20)
    by_hand = mu - kappa * cov @ w / np.linalg.norm(np.linalg.cholesky(cov).T @ w)
    worst, center = ([bar.get_height() for bar in bars] for bars in ax.containers)
    np.testing.assert_allclose(worst, by_hand, atol=1e-7)
    np.testing.assert_allclose(center, mu, rtol=1e-12)
    oracle = solve_robust_mean()  # and the solution is the closed form's
    np.testing.assert_allclose(worst, [oracle["worst_mean"][a] for a in labels], atol=1e-5)


def test_worst_case_yield_curve_of_a_let_from_the_cli(tmp_path, drawn, capsys):
    """`--of y` on robust_bond: y[period] = load_y @ x, numeric periods on a numeric axis;
    the nominal curve is the factor means interpolated between the key periods."""
    out = tmp_path / "curve.png"
    assert main(["plot", str(ROBUST_BOND), "--kind", "worst-case", "--of", "y",
                 "--output", str(out)]) == 0
    assert _is_png(out) and str(out) in capsys.readouterr().out
    ax = drawn[0].axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "robust_bond: worst-case y against the nominal", "period", "y")
    worst, nominal = ax.get_lines()
    assert (worst.get_label(), nominal.get_label()) == ("worst case", "nominal (set center)")
    periods = np.arange(1, 61)
    np.testing.assert_array_equal(np.asarray(nominal.get_xdata(), dtype=float), periods)
    folder = MODELS / "data" / "robust_bond"
    keys = pd.read_csv(folder / "nominal_curve.csv")["key_period"].to_numpy(float)
    means = pd.read_csv(folder / "factor_mean.csv").set_index("factor")["mean_per_period"]
    by_hand = np.interp(periods, keys, [means[f"y_{int(k)}"] for k in keys])
    np.testing.assert_allclose(nominal.get_ydata(), by_hand, rtol=1e-12)
    # the worst curve is the adversary's factors, interpolated the same way; and higher
    assert np.all(np.asarray(worst.get_ydata()) > by_hand)


def test_worst_case_let_from_python_is_the_reported_worst_factors_interpolated(tmp_path):
    result = compile_model(load(ROBUST_BOND)).solve()
    figure = drawing.plot(result, "worst-case", tmp_path / "y.png", of="y")
    worst = figure.axes[0].get_lines()[0]
    x = result.worst_case["objective"]["x"]
    keys = pd.read_csv(MODELS / "data" / "robust_bond" / "nominal_curve.csv")["key_period"]
    by_hand = np.interp(np.arange(1, 61), keys, [x[f"y_{k}"] for k in keys])
    np.testing.assert_allclose(worst.get_ydata(), by_hand, rtol=1e-9)
    assert _is_png(tmp_path / "y.png")


def test_worst_case_of_a_set_written_as_constraints_has_no_nominal(tmp_path, drawn):
    """robust_bond_floor: the shift delta's set has no center, and the adversary picks it
    for the constraint `value_floor` (the default when the objective has no worst case)."""
    out = tmp_path / "shift.png"
    assert main(["plot", str(MODELS / "robust_bond_floor.saddle"), "--kind", "worst-case",
                 "-o", str(out)]) == 0
    assert _is_png(out)
    ax = drawn[0].axes[0]
    assert ax.get_title() == "robust_bond_floor: worst-case delta for constraint 'value_floor'"
    (line,) = ax.get_lines()
    delta = np.asarray(line.get_ydata())
    # inside the model's set: |delta| <= max_shift = 0.02, norm1(delta) <= max_total = 0.9
    assert len(delta) == 60 and np.max(np.abs(delta)) <= 0.02 + 1e-7
    assert np.sum(np.abs(delta)) <= 0.9 + 1e-6
    assert "no nominal" in drawn[0].get_supxlabel()


# ---- allocation per period ----

def test_allocation_lines_equal_the_per_quarter_lp(tmp_path):
    result = compile_model(load(CDS), every="quarter").solve()
    figure = drawing.plot(result, "allocation", tmp_path / "alloc.png", stacked=False)
    assert _is_png(tmp_path / "alloc.png")
    ax = figure.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "cds_hedge: cs01 per period", "date", "cs01")
    oracle = calendar_rolling("Q")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines) == TICKERS
    # each quarter's decision is drawn over that quarter: from its first day (Q1 2021 from
    # 2021-01-01) to the day after its last, where the next step begins
    ends = pd.to_datetime(oracle.index)
    starts = ends.to_period("Q").start_time.strftime("%Y-%m-%d")
    for ticker, line in lines.items():
        assert line.get_drawstyle() == "steps-post"
        ydata = np.asarray(line.get_ydata())
        np.testing.assert_allclose(ydata[:-1], oracle[ticker].to_numpy(), atol=1e-9)
        assert ydata[-1] == ydata[-2]  # the last step's end
        dates = pd.to_datetime(np.asarray(line.get_xdata())).strftime("%Y-%m-%d")
        assert list(dates[:-1]) == list(starts)
        assert dates[-1] == (ends[-1] + pd.Timedelta(days=1)).strftime("%Y-%m-%d")


def test_allocation_from_the_cli_stacks_a_long_only_hedge(tmp_path, drawn):
    out = tmp_path / "monthly.png"
    assert main(["plot", str(CDS), "--kind", "allocation", "-o", str(out)]) == 0
    assert _is_png(out)
    ax = drawn[0].axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "cds_hedge: cs01 per period", "date", "cs01")
    assert [t.get_text() for t in ax.get_legend().get_texts()][:len(TICKERS)] == TICKERS
    assert len(ax.collections) == len(TICKERS) and not ax.get_lines()  # stacked areas
    # the first month is drawn: the areas begin on the data's first day, Jan 2021
    first = min(path.vertices[:, 0].min() for c in ax.collections for path in c.get_paths())
    assert pd.Timestamp(mdates.num2date(first)).strftime("%Y-%m-%d") == "2021-01-01"
    out = tmp_path / "quarterly.png"
    assert main(["plot", str(CDS), "--kind", "allocation", "--every", "quarter", "--lines",
                 "-o", str(out)]) == 0
    assert _is_png(out) and len(drawn[1].axes[0].get_lines()) == len(TICKERS)


def test_a_partial_last_window_is_flagged_in_the_table_and_the_plot(tmp_path):
    """--every year on cds_hedge: the data end on 2025-01-01, so the last window holds one
    day of 2025; its row is flagged in the notes and its span hatched on the plot."""
    result = compile_model(load(CDS), every="year").solve()
    assert list(result.table.index)[-1] == "2025-01-01"
    flagged = [n for n in result.notes if "2025-01-01" in n]
    assert flagged == ["the window ending 2025-01-01 covers only 2025-01-01 to 2025-01-01, "
                       "part of a full year (the data end or begin there): not comparable "
                       "with full windows"]
    assert not any("2021" in n for n in result.notes)  # the full years are not flagged
    figure = drawing.plot(result, "allocation", tmp_path / "yearly.png", stacked=False)
    ax = figure.axes[0]
    hatched = [p for p in ax.patches if p.get_label() == "partial window"]
    assert len(hatched) == 1 and hatched[0].get_hatch() == "//"
    left, right = (pd.Timestamp(mdates.num2date(x)).strftime("%Y-%m-%d")
                   for x in (hatched[0].get_x(), hatched[0].get_x() + hatched[0].get_width()))
    assert (left, right) == ("2025-01-01", "2025-01-02")
    assert "partial window" in [t.get_text() for t in ax.texts]
    assert "the window 2025-01-01 to 2025-01-01 is a partial period" in figure.get_supxlabel()
    # the first year is drawn from its first day, with the per-year LP's values
    oracle = calendar_rolling("Y")
    main_line = {line.get_label(): line for line in ax.get_lines()}["iTraxx Main"]
    assert pd.Timestamp(main_line.get_xdata()[0]).strftime("%Y-%m-%d") == "2021-01-01"
    np.testing.assert_allclose(main_line.get_ydata()[:-1], oracle["iTraxx Main"], atol=1e-9)


def test_the_allocation_axis_carries_the_decision_unit(tmp_path):
    result = compile_model(load(MODELS / "cds_hedge_cs01.saddle"), every="year").solve()
    figure = drawing.plot(result, "allocation", tmp_path / "notional.png")
    assert figure.axes[0].get_ylabel() == "notional [$M]"


def test_a_worst_case_psd_matrix_is_a_labelled_heat_map(tmp_path):
    """max over PSD S with ||S - S0||_F <= r of w'Sw is attained at S0 + r ww'/||w||^2:
    the heat map's cells are that matrix at the robust weights (solved in plain cvxpy)."""
    text = ('model wc "worst-case covariance"\nset a = ["x", "y"]\nset a2 = a\n'
            "param S0[a, a2] = [[0.04, 0.01], [0.01, 0.09]]\nvariable w[a] >= 0\n"
            "uncertain S[a, a2] psd:\n    near: norm2(S - S0) <= 0.02\n"
            "minimize risk: w @ S @ w\nsubject to\n    budget: sum(w) == 1\n")
    s0 = np.array([[0.04, 0.01], [0.01, 0.09]])
    w = cp.Variable(2, nonneg=True)
    cp.Problem(cp.Minimize(cp.quad_form(w, s0) + 0.02 * cp.sum_squares(w)),
               [cp.sum(w) == 1]).solve(solver="CLARABEL")
    worst = s0 + 0.02 * np.outer(w.value, w.value) / (w.value @ w.value)
    figure = drawing.plot(compile_model(loads(text)).solve(), "worst-case",
                          tmp_path / "heat.png")
    assert _is_png(tmp_path / "heat.png")
    ax = figure.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("wc: worst-case S", "a2", "a")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"]
    (image,) = ax.images
    np.testing.assert_allclose(np.asarray(image.get_array()), worst, atol=2e-3)
    assert [float(t.get_text()) for t in ax.texts] == pytest.approx(worst.ravel(), abs=2e-3)
    assert figure.axes[1].get_ylabel() == "S"  # the colour bar says what the colour is


# ---- price of robustness ----

def test_price_of_robustness_equals_the_closed_form(tmp_path):
    kappas = [0.0, 0.25, 0.5]
    table = sweep(load(ROBUST_MEAN), "kappa", kappas, nominal=True)
    figure = drawing.plot(table, "robustness", tmp_path / "price.png", objective_name="utility")
    assert _is_png(tmp_path / "price.png")
    ax = figure.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "robust_mean: price of robustness over kappa", "kappa", "utility")
    worst, at_center, optimum = ax.get_lines()
    oracle = [_closed_form(k) for k in kappas]
    np.testing.assert_allclose(worst.get_xdata(), kappas)
    np.testing.assert_allclose(worst.get_ydata(), [o["objective"] for o in oracle], rtol=1e-6)
    np.testing.assert_allclose(at_center.get_ydata(), [o["nominal"] for o in oracle],
                               rtol=1e-5)
    np.testing.assert_allclose(optimum.get_ydata(), oracle[0]["objective"], rtol=1e-6)
    # robustness costs: worst <= nominal of the robust solution <= the nominal optimum
    assert np.all(np.diff(worst.get_ydata()) < 0)
    assert np.all(worst.get_ydata() <= at_center.get_ydata() + 1e-9)
    assert np.all(at_center.get_ydata() <= optimum.get_ydata() + 1e-9)


def test_price_of_robustness_from_the_cli(tmp_path, drawn):
    out = tmp_path / "price.png"
    assert main(["plot", str(ROBUST_MEAN), "--kind", "robustness", "--sweep",
                 "kappa=0:0.5:3", "--output", str(out)]) == 0
    assert _is_png(out)
    ax = drawn[0].axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "robust_mean: price of robustness over kappa", "kappa", "utility")
    assert [line.get_label() for line in ax.get_lines()] == [
        "worst case (robust solution)", "nominal (robust solution at the center)",
        "nominal optimum"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata()[-1],
                               _closed_form(0.5)["objective"], rtol=1e-6)


# ---- efficient frontier ----

def test_frontier_of_scalar_lets_equals_the_closed_form(tmp_path):
    model = loads(ROBUST_MEAN.read_text() + FRONTIER_LETS, "robust_mean_frontier.saddle")
    gammas = [1.0, 4.0, 10.0]
    table = sweep(model, "gamma", gammas, base_dir=MODELS)
    figure = drawing.plot(table, "frontier", tmp_path / "frontier.png", x="risk",
                          y="expected_return")
    assert _is_png(tmp_path / "frontier.png")
    ax = figure.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "robust_mean: efficient frontier over gamma", "risk", "expected_return")
    _, mu, cov = _robust_mean_data()
    weights = [_closed_form(np.sqrt(stats.chi2.ppf(0.9, 8) / 20), g)["weights"]
               for g in gammas]
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), [w @ cov @ w for w in weights], rtol=1e-4)
    np.testing.assert_allclose(line.get_ydata(), [mu @ w for w in weights], rtol=1e-4)
    assert [t.get_text() for t in ax.texts] == ["gamma=1", "gamma=4", "gamma=10"]


def test_frontier_from_the_cli(tmp_path, drawn):
    model = tmp_path / "frontier.saddle"
    model.write_text(ROBUST_MEAN.read_text() + FRONTIER_LETS)
    out = tmp_path / "frontier.png"
    assert main(["plot", str(model), "--data", str(MODELS), "--kind", "frontier",
                 "--sweep", "gamma=0.5:10:4", "--x", "risk", "--y", "expected_return",
                 "-o", str(out)]) == 0
    assert _is_png(out)
    ax = drawn[0].axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("risk", "expected_return")
    risk, expected = ax.get_lines()[0].get_xdata(), ax.get_lines()[0].get_ydata()
    assert np.all(np.diff(risk) < 0) and np.all(np.diff(expected) < 0)  # more aversion, less
    # the default axes: the objective (by its name) against the param
    out = tmp_path / "utility.png"
    assert main(["plot", str(ROBUST_MEAN), "--kind", "frontier", "--sweep", "gamma=1,2",
                 "-o", str(out)]) == 0
    ax = drawn[1].axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "robust_mean: utility over gamma", "gamma", "utility")


# ---- mistakes ----

@pytest.mark.parametrize("argv, message", [
    (["--kind", "bogus"], "--kind 'bogus': use allocation, worst-case, robustness, frontier"),
    (["--kind", "worst-case", "--of", "zz"],
     "--of 'zz': no uncertain quantity or let named 'zz' in model 'robust_mean'; choose one "
     "of: m"),
    (["--kind", "allocation"], "an allocation plot draws a rolling run"),
    (["--kind", "robustness"], "a robustness plot draws a sweep: add --sweep"),
    (["--kind", "frontier", "--sweep", "gamma=1,2", "--x", "risk"],
     "--x 'risk': not a scalar of this sweep; choose one of: gamma, utility"),
    (["--kind", "worst-case", "--output", "out.foo"], "cannot write a plot as '.foo'"),
    (["--kind", "worst-case", "--at", "budget"],
     "--at 'budget': this result has no worst case of m for 'budget'; it has one for: "
     "objective"),
])
def test_mistakes_are_usage_errors(tmp_path, capsys, argv, message):
    if "--output" not in argv:
        argv = argv + ["--output", str(tmp_path / "out.png")]
    assert main(["plot", str(ROBUST_MEAN)] + argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out.png").exists()


def test_kinds_that_do_not_fit_the_model(tmp_path, capsys):
    out = str(tmp_path / "out.png")
    assert main(["plot", str(MODELS / "treasury.saddle"), "--kind", "worst-case",
                 "-o", out]) == 2
    assert "'treasury' has no uncertain quantities" in capsys.readouterr().err
    assert main(["plot", str(ROBUST_BOND), "--kind", "worst-case", "--of", "turnover",
                 "-o", out]) == 2
    assert "a let indexed by one set, and 'turnover' is indexed by nothing" in \
        capsys.readouterr().err
    assert main(["plot", str(CDS), "--kind", "frontier", "--sweep", "roll_share=0.1,0.2",
                 "-o", out]) == 2
    assert "'cds_hedge' re-optimizes per period" in capsys.readouterr().err


def test_python_errors_say_what_would_work():
    result = compile_model(load(ROBUST_MEAN)).solve()
    with pytest.raises(PlotError, match="unknown plot kind 'pie'"):
        drawing.plot(result, "pie")
    with pytest.raises(PlotError, match="model 'robust_mean' was solved once"):
        drawing.plot(result, "allocation")
    with pytest.raises(PlotError, match="nominal=True"):
        drawing.plot(sweep(load(ROBUST_MEAN), "kappa", [0.1]), "robustness")
    rolling = compile_model(load(CDS), every="year").solve()
    with pytest.raises(PlotError, match="this table is a rolling run"):
        drawing.plot(rolling, "frontier")


def test_without_matplotlib_the_cli_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails
    assert main(["plot", str(ROBUST_MEAN), "--kind", "worst-case",
                 "-o", str(tmp_path / "out.png")]) == 2
    err = capsys.readouterr().err
    assert "plots need matplotlib: pip install 'saddle-lang[plot]'" in err
    assert "Traceback" not in err


def test_the_library_and_cli_load_without_importing_matplotlib():
    code = ("import sys, compiler, compiler.cli; "
            "sys.exit('matplotlib' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
