"""The CDS oracle checks itself: sample data, windows, LP vs closed form, and the seed's scipy.

Finding on the seed's scipy approach (``seed_scipy_period``): on the sample data it never
stops short. In every period of every horizon L-BFGS-B ends with "NORM OF PROJECTED
GRADIENT <= PGTOL" at exactly the LP vertex (cs01 bit-identical, objective gaps <= 2e-16
$M, rounding only). Why: the period objective is linear with a box feasible set, so the
gradient is a constant vector c that the finite differences reproduce to ~1e-9; L-BFGS-B's
projected steps and line search push every coordinate with c_i > 0 to its bound (0-4
iterations here), and at the vertex whose signs match c the projected gradient is exactly
0. It stops short when some c_i > 0 lies below pgtol (1e-5): x_i = 0 then already passes
the stopping test and up to 1e-5 * limit ($M) is lost
(``test_scipy_can_stop_short_below_pgtol`` builds such a synthetic period); a |c_i| near
the finite-difference error (~1e-8) or an ftol stop after a tiny step would be others.
None is close in the sample: the smallest positive c_i is 7.3e-4 (2022-03, CDX IG), 73
times pgtol; the one |c_i| < 1e-5 (-9.1e-6, 2021-02, iTraxx Main) is negative, so 0 is
optimal there.
"""

import calendar
import contextlib
import io
from datetime import date

import numpy as np
import pandas as pd
import pytest

from oracles.cds import (
    DATA,
    TICKERS,
    _coefficients,
    compare,
    load_sample,
    period_lp,
    period_lp_closed_form,
    period_objective,
    periods,
    rolling,
    seed_rolling,
    seed_scipy_result,
)

HORIZONS = ["M", "Q", "A"]
N_PERIODS = {"M": 48, "Q": 16, "A": 4}
PGTOL = 1e-5  # scipy's L-BFGS-B default


@pytest.fixture(scope="module")
def sample():
    return load_sample(DATA)


@pytest.fixture(scope="module", params=HORIZONS)
def horizon(request):
    return request.param


@pytest.fixture(scope="module")
def comparison(horizon):
    return compare(horizon)


def seed_generator():
    """The seed's sample-data lines, verbatim."""
    np.random.seed(42)
    dates = pd.date_range("2021-01-01", "2025-01-01", freq="D")
    desk_pnl = pd.Series(np.random.normal(0, 0.01, len(dates)), index=dates)
    cds_data = pd.DataFrame(
        {t: np.random.normal(100, 10, len(dates)) for t in TICKERS}, index=dates
    )
    return desk_pnl, cds_data


def test_csvs_reproduce_the_seed_generator_bit_for_bit(sample):
    desk, spreads, limits, coupons = sample
    desk_pnl, cds_data = seed_generator()
    assert list(desk.index) == list(desk_pnl.index) == list(spreads.index)
    assert list(spreads.columns) == TICKERS
    # Bit-identical: compare the raw float64 bytes, not within a tolerance.
    assert desk.to_numpy().tobytes() == desk_pnl.to_numpy().tobytes()
    assert spreads.to_numpy().tobytes() == cds_data.to_numpy().tobytes()
    assert limits.tolist() == [0.25, 0.10, 0.25, 0.10]
    assert coupons.tolist() == [100, 500, 100, 500]


def expected_windows(horizon: str) -> list[tuple[date, date]]:
    """(first day, last day) of each window, built from the calendar alone."""
    months = {"M": 1, "Q": 3, "A": 12}[horizon]
    out = []
    for year in range(2021, 2025):
        for last_month in range(months, 13, months):
            first_month = last_month - months + 1
            first = date(year, first_month, 1)
            last = date(year, last_month, calendar.monthrange(year, last_month)[1])
            out.append((first, last))
    # Seed quirk: the first window starts after dates.min(), so 2021-01-01 is dropped; the
    # 1-day bin of 2025-01-01 is skipped.
    out[0] = (date(2021, 1, 2), out[0][1])
    return out


def test_periods_match_the_calendar(sample, horizon):
    desk = sample[0]
    windows = periods(desk.index, horizon)
    assert len(windows) == N_PERIODS[horizon]
    got = [(w[0].date(), w[-1].date()) for _, w in windows]
    assert got == expected_windows(horizon)
    for end, window in windows:
        assert end == window[-1]
        assert len(window) == (window[-1] - window[0]).days + 1  # contiguous days
    # The resample itself has one more end (2025-01-01), whose 1-day window is skipped.
    ends = desk.resample({"M": "ME", "Q": "QE", "A": "YE"}[horizon]).apply(lambda x: x.index[-1])
    assert len(ends) == N_PERIODS[horizon] + 1
    assert ends.iloc[-1] == pd.Timestamp("2025-01-01")


def test_lp_equals_closed_form_every_period(sample, horizon):
    desk, spreads, limits, coupons = sample
    for end, window in periods(desk.index, horizon):
        d, s = desk.loc[window], spreads.loc[window]
        lp = period_lp(d, s, limits, coupons)
        exact = period_lp_closed_form(d, s, limits, coupons)
        np.testing.assert_allclose(lp["cs01"], exact["cs01"], atol=1e-9, err_msg=str(end))
        assert lp["objective"] == pytest.approx(exact["objective"], rel=1e-12, abs=1e-12)
        # And the seed's own formulas give the same value at the optimum.
        seed_value = period_objective(d, s, limits, coupons, exact["cs01"])
        assert seed_value == pytest.approx(exact["objective"], rel=1e-12, abs=1e-12)


def test_rolling_layout(horizon):
    frame = rolling(horizon)
    assert list(frame.columns) == TICKERS
    assert len(frame) == N_PERIODS[horizon]
    limits = np.array([0.25, 0.10, 0.25, 0.10])
    # Every allocation is a vertex of the box: each index at 0 or at its limit.
    at_vertex = np.isclose(frame.to_numpy(), 0, atol=1e-9) | np.isclose(frame.to_numpy(), limits)
    assert at_vertex.all()


def test_scipy_never_stops_short_on_the_sample(comparison, horizon):
    """Honest negative result: see the module docstring for why."""
    rel_gap = comparison["gap"] / comparison["optimum"].abs()
    short = comparison[rel_gap > 1e-9]
    assert short.empty, short
    assert comparison["success"].all()
    assert (comparison["max_cs01_diff"] <= 1e-12).all()  # the same vertex
    assert rel_gap.abs().max() < 1e-13


def test_sample_coefficients_are_clear_of_pgtol(sample, horizon):
    """The condition for scipy to stop short (0 < c_i <= pgtol) never occurs in the sample."""
    desk, spreads, limits, coupons = sample
    coefs = np.array(
        [_coefficients(spreads.loc[w], coupons, len(w)) for _, w in periods(desk.index, horizon)]
    )
    assert coefs[coefs > 0].min() > 50 * PGTOL


def test_scipy_can_stop_short_below_pgtol(sample):
    """Synthetic period: CDX IG pays +5e-6 $M per $M CS01, below pgtol, so scipy keeps 0."""
    _, _, limits, coupons = sample
    days = pd.date_range("2030-01-01", periods=30, freq="D")
    desk = pd.Series(0.001, index=days)
    spreads = pd.DataFrame(100.0, index=days, columns=TICKERS)
    spreads.iloc[-1, 0] += (5e-6 - _coefficients(spreads, coupons, len(days))[0]) / 0.01
    assert _coefficients(spreads, coupons, len(days))[0] == pytest.approx(5e-6, rel=1e-6)
    result = seed_scipy_result(desk, spreads, dict(limits), dict(coupons))
    assert result.success
    np.testing.assert_allclose(result.x, 0.0, atol=1e-12)
    best = period_lp(desk, spreads, limits, coupons)
    gap = best["objective"] - period_objective(desk, spreads, limits, coupons, result.x)
    assert gap == pytest.approx(5e-6 * 0.25, rel=1e-6)
    assert gap / abs(best["objective"]) > 1e-9


def test_oracle_matches_the_seed_script_itself(horizon, shared):
    """Run the seed (with pandas >= 2.2 frequency aliases) and compare with the oracle.
    `../shared/` is beside every checkout and CI run, so the seed must be there."""
    seed_script = shared / "seeds" / "cds_hedge_script.txt"
    assert seed_script.exists(), f"the seed script is missing: {seed_script}"
    alias = {"M": "ME", "Q": "QE", "A": "YE"}[horizon]
    lines = [ln for ln in seed_script.read_text().splitlines() if not ln.startswith("In [")]
    code = "\n".join(lines).replace("HORIZON = 'M'", f"HORIZON = '{alias}'")
    assert f"HORIZON = '{alias}'" in code
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, str(seed_script), "exec"), namespace)
    seed = namespace["cs01_optimized"]
    ours = seed_rolling(horizon)
    assert [pd.Timestamp(t) for t in seed.index] == list(ours.index)
    np.testing.assert_allclose(seed.to_numpy(), ours.to_numpy(), rtol=0, atol=1e-12)
    # And the seed's result is the LP optimum (0/limit vertices).
    np.testing.assert_allclose(seed.to_numpy(), rolling(horizon).to_numpy(), rtol=0, atol=1e-9)
