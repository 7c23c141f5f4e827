"""A new user's trial findings, fixed: text set indices compared in `indicator`, and a
backtest's partial last period annualized by its actual length."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from saddle_testing import compile_text

from compiler import compile_model, loads

NAMES = ["AAA", "BB", "C_1", "2024-01-02"]


def test_two_text_set_indices_compare_by_name():
    labels = ", ".join(f'"{n}"' for n in NAMES)
    compiled = compile_text(f"""
set asset = [{labels}]
set asset2 = asset
param same[asset, asset2] = indicator(asset == asset2)
param joined[asset, asset2] = indicator("" + asset == asset2)
variable w[asset]
minimize spread: sum(square(w - same @ w))
subject to
    budget: sum(w) == 1
""")
    values = {s.name: v for s, v in compiled.bindings.values.items()}
    np.testing.assert_array_equal(values["same"], np.eye(len(NAMES)))
    np.testing.assert_array_equal(values["joined"], np.eye(len(NAMES)))


def test_a_text_index_against_another_set_and_in_an_expression():
    compiled = compile_text("""
set asset = ["A", "B", "C"]
set held = ["C", "A"]
param pick[held, asset] = indicator(held == asset)
variable w[asset] >= 0
minimize cost: sum(w)
subject to
    each: indicator(held == asset) @ w >= 1
""")
    values = {s.name: v for s, v in compiled.bindings.values.items()}
    hand = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])  # C and A, in asset's order A B C
    np.testing.assert_array_equal(values["pick"], hand)
    result = compiled.solve()  # one row per held name: w[C] >= 1 and w[A] >= 1
    assert result.status == "optimal" and result.objective == pytest.approx(2.0, abs=1e-7)
    np.testing.assert_allclose(result.values["w"].to_numpy(), [1.0, 0.0, 1.0], atol=1e-7)


def test_numeric_sets_still_compare_as_numbers():
    compiled = compile_text("""
set year = [2020, 2021, 2022]
param late[year] = indicator(year >= 2021)
variable x
minimize o: x
subject to
    floor: x >= sum(late)
""")
    values = {s.name: v for s, v in compiled.bindings.values.items()}
    np.testing.assert_array_equal(values["late"], [0.0, 1.0, 1.0])


def test_an_order_comparison_of_text_sets_is_located():
    from saddle_testing import first_error

    diag = first_error("""
set asset = ["A", "B"]
set asset2 = asset
param m[asset, asset2] = indicator(asset <= asset2)
variable x
minimize o: x
""")
    assert diag.code == "E208" and "labels compare with '=='" in diag.message


BACKTEST = """
model bt "backtest"
set day = csv("returns.csv").date
set asset = csv("assets.csv").asset
series r[day, asset] = csv("returns.csv")
variable w[asset] >= 0 <= 0.6
rebalance every month on day
let pnl = sum(r @ w)
maximize ret: mean(r @ w) - 0.5 * sum(square(w))
subject to
    budget: sum(w) == 1
"""


def test_a_partial_last_period_is_annualized_by_its_length(tmp_path):
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2023-01-02", "2023-05-03")  # May: 3 of ~21 business days
    assets = ["A0", "A1", "A2"]
    frame = pd.DataFrame(rng.normal(0.001, 0.01, (len(days), 3)),
                         index=days.strftime("%Y-%m-%d"), columns=assets)
    frame.index.name = "date"
    frame.to_csv(tmp_path / "returns.csv")
    pd.DataFrame({"asset": assets}).to_csv(tmp_path / "assets.csv", index=False)
    path = tmp_path / "bt.saddle"
    path.write_text(BACKTEST)
    result = compile_model(loads(BACKTEST, str(path))).backtest()
    # by hand: each holding month's business days; a full month's is the median of the
    # complete months (January starts on its first business day, May is cut off)
    per_month = pd.Series(1, index=days).groupby(days.to_period("M")).size()
    full = per_month.iloc[:-1].median()
    held = per_month.iloc[1:].to_numpy(dtype=float)  # Feb..May, after each rebalance
    shares = np.where(np.arange(len(held)) == len(held) - 1, held / full, 1.0)
    assert shares[-1] == pytest.approx(3 / full) and shares[-1] < 0.2
    pnl = result.periods["pnl"].to_numpy()
    assert list(result.periods["held_until"]) == ["2023-02-28", "2023-03-31", "2023-04-28",
                                                  "2023-05-03"]
    years = shares.sum() / 12
    annual = pnl.sum() / years
    assert result.summary["annualized_return"] == pytest.approx(annual, rel=1e-12)
    assert result.summary["annualized_return"] != pytest.approx(pnl.mean() * 12, rel=1e-3)
    rate = pnl.sum() / shares.sum()
    vol = np.sqrt(np.sum((pnl - rate * shares) ** 2 / shares) / (len(pnl) - 1) * 12)
    assert result.summary["annualized_volatility"] == pytest.approx(vol, rel=1e-12)
    assert any("held until 2023-05-03 is 3 label(s)" in n for n in result.notes)


def test_full_periods_keep_the_plain_formulas():
    from compiler.rolling.backtest_report import summarize

    pnl = pd.Series([1.0, -2.0, 3.0, -1.0])
    plain = summarize(pnl, None, 4.0)
    ones = summarize(pnl, None, 4.0, shares=pd.Series([1.0] * 4))
    assert plain["annualized_return"] == pytest.approx(pnl.mean() * 4)
    assert plain["annualized_volatility"] == pytest.approx(pnl.std(ddof=1) * 2)
    assert ones == plain
