"""The fixed-income numerics (compiler/builtins/bond_math.py) against independent calculations.

* QuantLib (a test-only dependency): cash-flow NPV, durations, convexity and yield at a flat
  rate; a bond priced on a zero curve with a spread; CDS legs from MidPointCdsEngine.
* Finite differences in 60-digit decimal arithmetic (Python's `decimal`): the derivatives
  of an independently written price, so the truncation and rounding errors are far below
  the 1e-8 relative agreement the tests ask for.
* Closed forms: a zero-coupon bond's carry and roll-down, a one-period CDS.
"""

import re
from decimal import Decimal, localcontext
from pathlib import Path

import numpy as np
import pytest
import QuantLib as ql
from oracles.cds_cs01 import quantlib_cds
from saddle_testing import compile_text, first_error

from compiler.builtins import bond_math as fi

REL = 1e-8
TODAY = ql.Date(15, 1, 2024)
THIRTY = ql.Thirty360(ql.Thirty360.BondBasis)  # whole years apart: t = 1, 2, ... exactly


def _book() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Three bonds over 40 half-year periods, an upward curve per period and spreads."""
    times = np.arange(1.0, 41.0)
    cashflow = np.zeros((3, 40))
    for row, (coupon, maturity) in enumerate([(0.02, 6), (0.025, 20), (0.03, 40)]):
        cashflow[row, :maturity] = coupon
        cashflow[row, maturity - 1] += 1.0
    curve = 0.01 + 0.012 * (1 - np.exp(-times / 12))
    spread = np.array([0.0005, 0.001, 0.002])
    return cashflow, times, curve, spread


# ---- an independent price in 60-digit arithmetic ----


def _decimal_price(cashflow: np.ndarray, times: np.ndarray, rates: np.ndarray,
                   shift: list[Decimal], compounding: str) -> Decimal:
    total = Decimal(0)
    for c, t, r, dy in zip(cashflow.tolist(), times.tolist(), rates.tolist(), shift,
                           strict=True):
        rate = Decimal(r) + dy
        if compounding == "continuous":
            total += Decimal(c) * (-Decimal(t) * rate).exp()
        else:
            total += Decimal(c) * (1 + rate) ** -Decimal(t)
    return total


def _derivatives(cashflow: np.ndarray, times: np.ndarray, rates: np.ndarray,
                 direction: np.ndarray, compounding: str) -> tuple[float, float, float]:
    """P, dP/dy and d2P/dy2 along a shift direction, by central differences (h = 1e-20)."""
    with localcontext() as context:
        context.prec = 60
        h = Decimal("1e-20")

        def at(step: Decimal) -> Decimal:
            shift = [Decimal(w) * step for w in direction.tolist()]
            return _decimal_price(cashflow, times, rates, shift, compounding)

        price, up, down = at(Decimal(0)), at(h), at(-h)
        return float(price), float((up - down) / (2 * h)), float((up - 2 * price + down) / h**2)


@pytest.mark.parametrize("compounding", ["continuous", "periodic"])
def test_sensitivities_equal_high_precision_finite_differences(compounding):
    cashflow, times, curve, spread = _book()
    rates = curve + spread[:, None]
    dv01 = fi.dv01(cashflow, times, rates, compounding)
    duration = fi.duration(cashflow, times, rates, compounding)
    convexity = fi.convexity(cashflow, times, rates, compounding)
    price = fi.bond_price(cashflow, times, rates, compounding)
    for i in range(3):
        p, d1, d2 = _derivatives(cashflow[i], times, rates[i], np.ones(40), compounding)
        assert price[i] == pytest.approx(p, rel=REL)
        assert dv01[i] == pytest.approx(-d1 * 1e-4, rel=REL)
        assert duration[i] == pytest.approx(-d1 / p, rel=REL)
        assert convexity[i] == pytest.approx(d2 / p, rel=REL)


def _tent(t: float, keys: np.ndarray, j: int) -> float:
    """The shift at time t when key j moves by 1: linear between neighbouring keys, the end
    keys' shifts held flat beyond them."""
    if t <= keys[0]:
        return 1.0 if j == 0 else 0.0
    if t >= keys[-1]:
        return 1.0 if j == keys.size - 1 else 0.0
    if j > 0 and keys[j - 1] <= t <= keys[j]:
        return (t - keys[j - 1]) / (keys[j] - keys[j - 1])
    if j + 1 < keys.size and keys[j] <= t <= keys[j + 1]:
        return (keys[j + 1] - t) / (keys[j + 1] - keys[j])
    return 0.0


@pytest.mark.parametrize("compounding", ["continuous", "periodic"])
def test_key_rate_durations_equal_finite_differences_and_add_up(compounding):
    cashflow, times, curve, spread = _book()
    rates = curve + spread[:, None]
    keys = np.array([4.0, 10.0, 20.0, 30.0])  # periods 1-3 and 31-40 lie outside: held flat
    krd = fi.key_rate_durations(cashflow, times, rates, keys, compounding)
    assert krd.shape == (3, 4)
    for j in range(keys.size):
        tent = np.array([_tent(t, keys, j) for t in times])
        for i in range(3):
            p, d1, _ = _derivatives(cashflow[i], times, rates[i], tent, compounding)
            assert krd[i, j] == pytest.approx(-d1 / p, rel=REL)
    duration = fi.duration(cashflow, times, rates, compounding)
    np.testing.assert_allclose(krd.sum(axis=1), duration, rtol=1e-12)


# ---- QuantLib: a 10-year annual-coupon bond at a flat rate ----


def _quantlib_leg(coupon: float, years: int) -> tuple:
    ql.Settings.instance().evaluationDate = TODAY
    schedule = ql.Schedule(TODAY, TODAY + ql.Period(years, ql.Years), ql.Period(ql.Annual),
                           ql.NullCalendar(), ql.Unadjusted, ql.Unadjusted,
                           ql.DateGeneration.Forward, False)
    bond = ql.FixedRateBond(0, 1.0, schedule, [coupon], THIRTY)
    cashflow = np.full(years, coupon)
    cashflow[-1] += 1.0
    return bond, cashflow, np.arange(1.0, years + 1.0)


QL_COMPOUNDING = {"continuous": ql.Continuous, "periodic": ql.Compounded}


@pytest.mark.parametrize("compounding", ["continuous", "periodic"])
def test_flat_rate_analytics_equal_quantlib(compounding):
    bond, cashflow, times = _quantlib_leg(0.045, 10)
    rate = ql.InterestRate(0.037, THIRTY, QL_COMPOUNDING[compounding], ql.Annual)
    leg = bond.cashflows()
    npv = ql.CashFlows.npv(leg, rate, False, TODAY)
    modified = ql.CashFlows.duration(leg, rate, ql.Duration.Modified, False, TODAY)
    rates = np.full(10, 0.037)
    assert fi.bond_price(cashflow, times, rates, compounding) == pytest.approx(npv, rel=REL)
    assert fi.duration(cashflow, times, rates, compounding) == pytest.approx(modified, rel=REL)
    assert fi.convexity(cashflow, times, rates, compounding) == pytest.approx(
        ql.CashFlows.convexity(leg, rate, False, TODAY), rel=REL)
    assert fi.dv01(cashflow, times, rates, compounding) == pytest.approx(
        modified * npv * 1e-4, rel=REL)
    macaulay = fi.duration(cashflow, times, rates, compounding, kind="macaulay")
    if compounding == "periodic":  # QuantLib defines Macaulay for compounded rates only
        assert macaulay == pytest.approx(ql.CashFlows.duration(
            leg, rate, ql.Duration.Macaulay, False, TODAY), rel=REL)
        assert macaulay == pytest.approx(modified * 1.037, rel=REL)
    else:  # continuous compounding: Macaulay = modified
        assert macaulay == pytest.approx(modified, rel=REL)


@pytest.mark.parametrize("compounding", ["continuous", "periodic"])
def test_price_on_a_zero_curve_with_a_spread_equals_quantlib(compounding):
    bond, cashflow, times = _quantlib_leg(0.04, 10)
    zeros = 0.02 + 0.002 * np.sqrt(times)
    dates = [TODAY] + [TODAY + ql.Period(int(t), ql.Years) for t in times]
    curve = ql.ZeroCurve(dates, [float(zeros[0])] + zeros.tolist(), THIRTY, ql.NullCalendar(),
                         ql.Linear(), QL_COMPOUNDING[compounding], ql.Annual)
    spreaded = ql.ZeroSpreadedTermStructure(
        ql.YieldTermStructureHandle(curve), ql.QuoteHandle(ql.SimpleQuote(0.0075)),
        QL_COMPOUNDING[compounding], ql.Annual, THIRTY)
    bond.setPricingEngine(ql.DiscountingBondEngine(ql.YieldTermStructureHandle(spreaded)))
    ours = fi.bond_price(cashflow, times, zeros + 0.0075, compounding)
    assert ours == pytest.approx(bond.NPV(), rel=REL)


@pytest.mark.parametrize("compounding", ["continuous", "periodic"])
def test_own_yield_equals_quantlib(compounding):
    bond, cashflow, times = _quantlib_leg(0.05, 10)
    zeros = 0.02 + 0.003 * np.log(times)
    price = fi.bond_price(cashflow, times, zeros, compounding)
    expected = ql.CashFlows.yieldRate(bond.cashflows(), float(price), THIRTY,
                                      QL_COMPOUNDING[compounding], ql.Annual, False, TODAY,
                                      TODAY, 1e-14, 100, 0.03)
    assert fi.own_yield(cashflow, times, price, compounding, 0.0) == pytest.approx(
        expected, rel=1e-10)


@pytest.mark.parametrize("compounding", ["continuous", "periodic"])
def test_discount_form_is_the_curve_form(compounding):
    cashflow, times, curve, _ = _book()
    if compounding == "continuous":
        factors = np.exp(-times * curve)
    else:
        factors = (1 + curve) ** -times
    rates = fi.rates_from_discount(times, factors, compounding)
    np.testing.assert_allclose(rates, curve, rtol=1e-12)
    np.testing.assert_allclose(np.sum(cashflow * factors, axis=1),
                               fi.bond_price(cashflow, times, rates, compounding), rtol=1e-14)


# ---- carry and roll-down ----


@pytest.mark.parametrize("compounding", ["continuous", "periodic"])
@pytest.mark.parametrize("horizon", [2.0, 1.5])
def test_zero_coupon_carry_and_rolldown_closed_form(compounding, horizon):
    _, times, curve, _ = _book()
    cashflow = np.zeros(40)
    cashflow[19] = 1.0  # one unit at t = 20
    spread, repo = 0.001, 0.009
    carry = fi.carry(cashflow, times, curve + spread, horizon, repo, compounding)
    roll = fi.rolldown(cashflow, times, curve + spread, horizon, compounding)
    own = curve[19] + spread  # a zero's own yield is its curve rate
    aged = 20 - horizon  # the curve's rate there: linear between the neighbouring periods
    lower = int(np.floor(aged))
    rolled = curve[lower - 1] + (aged - lower) * (curve[lower] - curve[lower - 1]) + spread
    if compounding == "continuous":
        price = np.exp(-20 * own)
        expected_carry = price * (np.exp(horizon * own) - np.exp(horizon * repo))
        expected_roll = np.exp(-aged * rolled) - np.exp(-aged * own)
    else:
        price = (1 + own) ** -20
        expected_carry = price * ((1 + own) ** horizon - (1 + repo) ** horizon)
        expected_roll = (1 + rolled) ** -aged - (1 + own) ** -aged
    assert carry == pytest.approx(expected_carry, rel=REL)
    assert roll == pytest.approx(expected_roll, rel=REL)


def test_carry_plus_rolldown_is_the_unchanged_curve_return():
    cashflow, times, curve, spread = _book()
    rates = curve + spread[:, None]
    horizon, repo = 3.0, 0.008
    total = fi.carry(cashflow, times, rates, horizon, repo) + fi.rolldown(
        cashflow, times, rates, horizon)
    for i in range(3):  # age the bond by hand: cash flows by t = 3 received, the rest re-priced
        price = sum(c * np.exp(-t * r) for c, t, r in zip(cashflow[i], times, rates[i],
                                                          strict=True))
        value = 0.0
        for c, t in zip(cashflow[i], times, strict=True):
            value += c if t <= horizon else c * np.exp(-(t - horizon) * rates[i][int(t - 4)])
        expected = value - price - price * (np.exp(horizon * repo) - 1)
        assert total[i] == pytest.approx(expected, rel=REL)


def test_rolldown_on_a_flat_curve_is_zero():
    cashflow, times, _, _ = _book()
    roll = fi.rolldown(cashflow, times, np.full(40, 0.02), 4.0)
    np.testing.assert_allclose(roll, 0.0, atol=1e-14)


# ---- CDS: QuantLib's MidPointCdsEngine on exact quarters (90 days of Actual/360) ----


@pytest.mark.parametrize(("maturity", "first_days", "quarters"),
                         [(5.0, 90, 20), (4.9, 54, 20), (0.25, 90, 1), (10.0, 90, 40)])
@pytest.mark.parametrize(("spread", "coupon", "recovery", "rate"),
                         [(0.0065, 0.01, 0.4, 0.03), (0.035, 0.05, 0.25, 0.0)])
def test_cds_value_and_cs01_equal_quantlib(maturity, first_days, quarters, spread, coupon,
                                           recovery, rate):
    value = quantlib_cds(spread, coupon, first_days, quarters, recovery, rate)
    bumped = quantlib_cds(spread + 1e-4, coupon, first_days, quarters, recovery, rate)
    assert fi.cds_value(spread, coupon, maturity, recovery, rate) == pytest.approx(value,
                                                                                   rel=REL)
    assert fi.cs01(spread, coupon, maturity, recovery, rate) == pytest.approx(bumped - value,
                                                                              rel=REL)


def test_cs01_of_one_quarter_closed_form():
    spread, coupon, recovery = 0.02, 0.01, 0.4
    value = {}
    for s in (spread, spread + 1e-4):
        survival = np.exp(-s / (1 - recovery) * 0.25)
        # no discounting: a quarter's premium if it survives, half of it if it defaults
        annuity = 0.25 * (survival + (1 - survival) / 2)
        value[s] = (1 - recovery) * (1 - survival) - coupon * annuity
    assert fi.cs01(spread, coupon, 0.25, recovery, 0.0) == pytest.approx(
        value[spread + 1e-4] - value[spread], rel=REL)


def test_cs01_broadcasts_elementwise():
    spreads = np.array([[0.006], [0.03]])
    maturities = np.array([3.0, 5.0, 7.0])
    out = fi.cs01(spreads, 0.01, maturities, 0.4, 0.02)
    assert out.shape == (2, 3)
    assert out[1, 2] == pytest.approx(fi.cs01(0.03, 0.01, 7.0, 0.4, 0.02), rel=1e-15)


def test_the_library_never_imports_quantlib():
    root = Path(__file__).resolve().parents[2]
    importing = re.compile(r"^\s*(import|from)\s+QuantLib\b", re.MULTILINE)
    sources = [p for folder in ("compiler", "dsl") for p in (root / folder).rglob("*.py")]
    assert sources
    assert not [p.name for p in sources if importing.search(p.read_text(encoding="utf-8"))]


@pytest.mark.parametrize(("spread", "coupon", "recovery", "rate"),
                         [(0.0065, 0.01, 0.4, 0.03), (0.035, 0.05, 0.25, 0.0)])
def test_cds_carry_and_rolldown_equal_quantlib(spread, coupon, recovery, rate):
    # 5 years = 20 exact quarters; a quarter later the contract has 19 left
    five = quantlib_cds(spread, coupon, 90, 20, recovery, rate)
    later = quantlib_cds(spread, coupon, 90, 19, recovery, rate)
    assert fi.cds_carry(spread, coupon, 5.0, 0.25, recovery, rate) == pytest.approx(
        later - five - coupon * 0.25, rel=REL)
    rolled = spread - 0.0005  # the 4.75-year spread, 5bp below the 5-year
    later_rolled = quantlib_cds(rolled, coupon, 90, 19, recovery, rate)
    assert fi.cds_rolldown(spread, rolled, coupon, 5.0, 0.25, recovery, rate) == \
        pytest.approx(later_rolled - later, rel=REL)


def test_cds_carry_and_rolldown_from_a_model_file():
    text = ('set index = ["IG", "HY"]\n'
            'param spread[index] in bp = [65, 350]\n'
            'param rolled[index] in bp = [60, 335]\n'
            'param coupon[index] in bp = [100, 500]\n'
            'param carry[index] = cds_carry(spread, coupon, 5, 0.25, recovery = 0.4)\n'
            'param roll[index] = cds_rolldown(spread, rolled, coupon, 5, 0.25, '
            'recovery = 0.4)\n'
            'variable notional[index] >= 0 <= 10\n'
            'maximize pnl: notional @ (carry + roll)\n')
    model = compile_text(text)
    values = {s.name: v for s, v in model.bindings.values.items()}
    spreads, rolled, coupons = np.array([65, 350]) * 1e-4, np.array([60, 335]) * 1e-4, \
        np.array([100, 500]) * 1e-4
    for k in range(2):
        five = quantlib_cds(spreads[k], coupons[k], 90, 20, 0.4, 0.0)
        later = quantlib_cds(spreads[k], coupons[k], 90, 19, 0.4, 0.0)
        later_rolled = quantlib_cds(rolled[k], coupons[k], 90, 19, 0.4, 0.0)
        assert values["carry"][k] == pytest.approx(later - five - coupons[k] * 0.25, rel=REL)
        assert values["roll"][k] == pytest.approx(later_rolled - later, rel=REL)
    result = model.solve()
    assert result.status == "optimal"


@pytest.mark.parametrize(("body", "fragment"), [
    ("param c = cds_carry(0.01, 0.01, 5, 6)\n", "horizon"),
    ("param c = cds_rolldown(0.01, -0.01, 0.01, 5, 1)\n", "negative CDS spread"),
    ("variable x\nparam c = cds_carry(x, 0.01, 5, 1)\n", ""),
])
def test_cds_carry_mistakes_are_located(body, fragment):
    diagnostic = first_error(body + "variable v\nminimize o: v\nsubject to\n    f: v >= 0\n")
    assert diagnostic.code in ("E508", "E406", "E209") and fragment in diagnostic.message
