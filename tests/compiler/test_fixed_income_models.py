"""The fixed-income builtins from a model file: values, linear constraints, the CLI, errors.

Expected values are written out here from their formulas (plain numpy sums and closed
forms for zero-coupon bonds), not taken from compiler/builtins/bond_math.py.
"""

import json
import math

import cvxpy as cp
import numpy as np
import pytest
from saddle_testing import compile_text, first_error

from compiler.backends.solver_choice import is_linear
from compiler.cli import main

# Bond A: a zero paying 1 at period 5 (a key period); B: a zero at period 8 (between the keys
# 5 and 10, weights 0.4 / 0.6); C: a 3% coupon bond maturing at period 10.
BOOK = """
set bond = ["A", "B", "C"]
set period = 1..10
set key = [2, 5, 10]
param cashflow[bond, period] = [[0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
                                [0, 0, 0, 0, 0, 0, 0, 1, 0, 0],
                                [0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 1.03]]
param y[period] = [0.010, 0.011, 0.012, 0.013, 0.014, 0.015, 0.016, 0.017, 0.018, 0.019]
param s[bond] = [0.001, 0.002, 0.003]
"""
Y = 0.010 + 0.001 * np.arange(10)
T = np.arange(1.0, 11.0)
S = np.array([0.001, 0.002, 0.003])
CASH = np.zeros((3, 10))
CASH[0, 4], CASH[1, 7] = 1.0, 1.0
CASH[2] = 0.03
CASH[2, 9] += 1.0


def _lets(body: str) -> dict:
    result = compile_text(BOOK + body).solve()
    assert result.status == "optimal"
    return result.values


def test_price_dv01_and_key_rates_from_a_model():
    values = _lets("""
let price = bond_price(cashflow, y, spread = s)
let risk = dv01(cashflow, y, spread = s)
let krd = key_rate_durations(cashflow, y, key, spread = s)
variable h[bond] >= 0
minimize cost: price @ h + sum(risk * h) + sum(krd @ h)
""")
    factors = np.exp(-T * (Y + S[:, None]))
    price = (CASH * factors).sum(axis=1)
    np.testing.assert_allclose(values["price"].to_numpy(), price, rtol=1e-12)
    np.testing.assert_allclose(values["risk"].to_numpy(),
                               1e-4 * (T * CASH * factors).sum(axis=1), rtol=1e-12)
    krd = values["krd"]
    # a zero at a key period loads that key only, by its maturity (continuous compounding)
    assert krd.loc["A"].tolist() == pytest.approx([0.0, 5.0, 0.0], abs=1e-12)
    # a zero between keys 5 and 10 splits its maturity 0.4 / 0.6 (linear interpolation)
    assert krd.loc["B"].tolist() == pytest.approx([0.0, 0.4 * 8, 0.6 * 8], rel=1e-12)
    duration_c = (T * CASH[2] * factors[2]).sum() / price[2]
    assert krd.loc["C"].sum() == pytest.approx(duration_c, rel=1e-12)


def test_duration_kinds_and_convexity_from_a_model():
    values = _lets("""
let mac = duration(cashflow, y, kind = macaulay, compounding = periodic)
let mod = duration(cashflow, y, compounding = periodic)
let cont = duration(cashflow, y, kind = macaulay)
let cx = convexity(cashflow, y)
variable h[bond] >= 0
minimize m: sum((mac + mod + cont + cx) * h)
""")
    periodic = (1 + Y) ** -T
    assert values["mac"]["A"] == pytest.approx(5.0, rel=1e-12)  # a zero: its maturity
    assert values["mod"]["A"] == pytest.approx(5.0 / 1.014, rel=1e-12)
    price = (CASH[2] * periodic).sum()
    assert values["mac"]["C"] == pytest.approx((T * CASH[2] * periodic).sum() / price, rel=1e-12)
    assert values["cont"]["B"] == pytest.approx(8.0, rel=1e-12)
    assert values["cx"]["B"] == pytest.approx(64.0, rel=1e-12)


def test_one_bond_without_other_sets_gives_numbers():
    values = _lets("""
param zero[period] = indicator(period == 8)
let p = bond_price(zero, y)
let k = key_rate_durations(zero, y, key)
variable h >= 0 <= 1
minimize m: (p + sum(k)) * h
""")
    assert float(values["p"]) == pytest.approx(math.exp(-8 * 0.017), rel=1e-12)
    assert values["k"].tolist() == pytest.approx([0.0, 3.2, 4.8], rel=1e-12)


def test_discount_form_from_a_model():
    values = _lets("""
param df[period] = exp(-period * y)
let p = bond_price(cashflow, discount = df)
variable h[bond] >= 0
minimize m: p @ h
""")
    assert values["p"]["C"] == pytest.approx((CASH[2] * np.exp(-T * Y)).sum(), rel=1e-12)


def test_carry_and_rolldown_of_a_zero_from_a_model():
    values = _lets("""
let c = carry(cashflow, y, 2, repo = 0.012)
let r = rolldown(cashflow, y, 2)
variable h[bond] >= 0
minimize m: sum((c + r) * h)
""")
    price = math.exp(-8 * 0.017)
    assert values["c"]["B"] == pytest.approx(price * (math.exp(2 * 0.017) - math.exp(0.024)),
                                             rel=1e-10)
    assert values["r"]["B"] == pytest.approx(math.exp(-6 * 0.015) - math.exp(-6 * 0.017),
                                             rel=1e-10)


def test_cs01_elementwise_from_a_model():
    values = _lets("""
set name = ["IG", "HY"]
param spread[name] = [60bp, 350bp]
param coupon[name] = [100bp, 500bp]
let risk = cs01(spread, coupon, 0.25, recovery = 0.4)
variable n[name] >= 0 <= 1
maximize m: risk @ n
""")
    for label, spread, coupon in (("IG", 0.006, 0.01), ("HY", 0.035, 0.05)):
        value = []
        for s in (spread, spread + 1e-4):  # one quarter, no discounting: written out
            survive = math.exp(-s / 0.6 * 0.25)
            value.append(0.6 * (1 - survive) - coupon * 0.25 * (survive + (1 - survive) / 2))
        assert values["risk"][label] == pytest.approx(value[1] - value[0], rel=1e-10)


def test_key_rate_limits_are_linear_and_equal_a_plain_cvxpy_lp():
    model = compile_text(BOOK + """
param limit = 4
param krd[bond, key] = key_rate_durations(cashflow, y, key)
variable h[bond] >= 0
maximize yield_pickup: sum(h * s)
subject to
    budget: sum(h) == 1
    ladder: abs(krd @ h) <= limit
""")
    assert is_linear(model.problem)
    result = model.solve()
    # the same LP by hand: zeros' key rates in closed form, the coupon bond's by the tent
    price_c = (CASH[2] * np.exp(-T * Y)).sum()
    weights = np.array([[1.0 if t <= 2 else 0.0, 0.0, 0.0] for t in T])
    for i, t in enumerate(T):
        if 2 < t <= 5:
            weights[i] = [(5 - t) / 3, (t - 2) / 3, 0.0]
        elif t > 5:
            weights[i] = [0.0, (10 - t) / 5, (t - 5) / 5]
    krd = np.array([[0, 5, 0], [0, 3.2, 4.8],
                    (T * CASH[2] * np.exp(-T * Y)) @ weights / price_c])
    h = cp.Variable(3, nonneg=True)
    lp = cp.Problem(cp.Maximize(S @ h), [cp.sum(h) == 1, cp.abs(krd.T @ h) <= 4])
    lp.solve(solver=cp.HIGHS)
    assert result.objective == pytest.approx(lp.value, rel=1e-9)
    np.testing.assert_allclose(result.values["h"].to_numpy(), h.value, atol=1e-9)


def test_the_cli_solves_a_model_with_fixed_income_builtins(tmp_path, capsys):
    path = tmp_path / "book.saddle"
    path.write_text('model book "dv01-matched book"\n' + BOOK + """
param target = 4e-4
variable h[bond] >= 0
let risk = dv01(cashflow, y, spread = s) @ h
maximize pickup: s @ h
subject to
    budget: sum(h) <= 1
    hedge: risk == target
""")
    assert main(["solve", str(path), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "optimal"
    assert report["constraints"]["hedge"]["value"] == pytest.approx(4e-4, rel=1e-9)
    dv01 = 1e-4 * (T * CASH * np.exp(-T * (Y + S[:, None]))).sum(axis=1)
    h = cp.Variable(3, nonneg=True)
    lp = cp.Problem(cp.Maximize(S @ h), [cp.sum(h) <= 1, dv01 @ h == 4e-4])
    lp.solve(solver=cp.HIGHS)
    assert report["objective"] == pytest.approx(lp.value, rel=1e-9)


# ---- located errors ----

ERRORS = [
    # a decision in the curve: E406 at the argument
    ("variable w[period]\nminimize m: sum(dv01(cashflow, w))", "E406", (2, 32)),
    # ... also through a let
    ("variable w[period]\nlet z = 2 * w\nminimize m: sum(duration(cashflow, z))", "E406",
     (3, 36)),
    ("uncertain u[bond] in box(-1, 1)\nvariable h[bond]\nminimize m: "
     "sum(bond_price(cashflow, y, spread = u) * h)", "E406", (3, 50)),
    ("variable w[bond]\nminimize m: sum(cs01(0.01, 0.01, 5, recovery = w))", "E406", (2, 48)),
    # keys that are not numbers, or not a set
    ('set tenor = ["2Y", "5Y"]\nparam k[bond, tenor] = key_rate_durations(cashflow, y, tenor)'
     "\nvariable h\nminimize m: h", "E505", (2, 56)),
    ("param k[bond] = key_rate_durations(cashflow, y, s)\nvariable h\nminimize m: h", "E303",
     (1, 49)),
    ("set k2 = [10, 5]\nparam k[bond, k2] = key_rate_durations(cashflow, y, k2)\nvariable h"
     "\nminimize m: h", "E508", (2, 53)),
    ("param df[period] = 0 * period\nparam p[bond] = bond_price(cashflow, discount = df)"
     "\nvariable h\nminimize m: h", "E508", (2, 49)),
    # mismatched sets
    ("set other = 1..10\nparam z[other] = 0.01 * other\nparam p[bond] = bond_price(cashflow, z)"
     "\nvariable h\nminimize m: h", "E303", (3, 28)),
    # a curve over the bonds makes the prices per period: the product with h[bond] is then
    # elementwise over unrelated sets, refused before any data is read
    ("variable h[bond]\nminimize m: sum(bond_price(cashflow, s) * h)", "E301", (2, 17)),
    ("param p[period] = bond_price(cashflow, s)\nvariable h\nminimize m: h", "E505", (1, 40)),
    ("param p[bond] = bond_price(cashflow, y, spread = y)\nvariable h\nminimize m: h", "E303",
     (1, 50)),
    # options and arguments
    ("param d[bond] = duration(cashflow, y, kind = effective)\nvariable h\nminimize m: h",
     "E208", (1, 46)),
    ("param d[bond] = dv01(cashflow, y, discount = y)\nvariable h\nminimize m: h", "E208",
     (1, 17)),
    ("param c[bond] = carry(cashflow, y, -1)\nvariable h\nminimize m: h", "E508", (1, 36)),
    ("param c[bond] = rolldown(cashflow, y, s)\nvariable h\nminimize m: h", "E303", (1, 39)),
    ("param c = cs01(0.01, 0.01, 5, recovery = 1)\nvariable h\nminimize m: h", "E508",
     (1, 42)),
]


@pytest.mark.parametrize(("body", "code", "where"), ERRORS, ids=[f"{c}-{i}" for i, (_, c, _)
                                                                  in enumerate(ERRORS)])
def test_located_errors(body, code, where):
    diagnostic = first_error(BOOK + body)
    assert diagnostic.code == code, diagnostic.message
    book_lines = BOOK.count("\n") + 1  # the header line, then the book
    assert (diagnostic.span.line - book_lines, diagnostic.span.column) == where, \
        diagnostic.message


def test_builtins_in_an_uncertainty_set():
    model = compile_text(BOOK + """
uncertain p[bond] in box(0.99 * bond_price(cashflow, y, spread = s),
                         1.01 * bond_price(cashflow, y, spread = s))
variable h[bond] >= 0
maximize worst_value: p @ h
subject to
    budget: sum(h) <= 1
""")
    result = model.solve()
    price = (CASH * np.exp(-T * (Y + S[:, None]))).sum(axis=1)
    assert result.status == "optimal"
    # the adversary takes the low end of every box: the best bond at 99% of its price
    assert result.objective == pytest.approx(0.99 * price.max(), rel=1e-8)
