"""The treasury oracle checks itself: MIP vs. sign-pattern enumeration, LP bound, constraints.

Two CVaR limits are used: the model's own 3 ($M), where the tail-risk constraint is slack
(CVaR ~0.52 at the optimum), and 0.3, where it binds, so the hand-written
Rockafellar-Uryasev constraint is also checked against the sort-based CVaR.
"""

from pathlib import Path

import numpy as np
import pytest

from .treasury import brute_force_treasury, solve_treasury, treasury_data

CSV = Path(__file__).resolve().parents[2] / "models" / "data" / "real_yields_2024.csv"
# CVaR limit -> whether the tail-risk constraint binds at the optimum.
CVAR_LIMITS = {3.0: False, 0.3: True}


@pytest.fixture(scope="module", params=CVAR_LIMITS, ids=lambda limit: f"cvar_limit={limit}")
def solved(request) -> dict:
    """Data plus MIP, relaxation and brute-force results for one CVaR limit."""
    data = {**treasury_data(CSV), "cvar_limit": request.param}
    return {
        "data": data,
        "binds": CVAR_LIMITS[request.param],
        "mip": solve_treasury(data, haircut=True),
        "relaxed": solve_treasury(data, haircut=False),
        "brute": brute_force_treasury(data),
    }


def test_data_reads_the_oldest_row():
    expected = [0.0176, 0.0175, 0.0174, 0.0184, 0.0191]
    np.testing.assert_allclose(treasury_data(CSV)["yield"], expected)


def test_all_solves_are_optimal(solved):
    assert {solved[k]["status"] for k in ("mip", "relaxed", "brute")} == {"optimal"}


def test_mip_matches_brute_force(solved):
    assert solved["mip"]["objective"] == pytest.approx(solved["brute"]["objective"], rel=1e-6)
    np.testing.assert_allclose(solved["mip"]["weights"], solved["brute"]["weights"], atol=1e-5)


def test_relaxation_bounds_mip(solved):
    assert solved["relaxed"]["objective"] >= solved["mip"]["objective"] - 1e-9


def test_haircut_holds_at_mip(solved):
    assert np.all(np.abs(solved["mip"]["weights"]) >= solved["data"]["min_weight"] - 1e-7)


@pytest.mark.parametrize("which", ["mip", "relaxed"])
def test_sorted_cvar_within_limit(solved, which):
    assert solved[which]["cvar"] <= solved["data"]["cvar_limit"] + 1e-6


def test_cvar_binds_only_at_the_tight_limit(solved):
    """Where the limit binds, the sort formula lands on it: the two CVaR definitions agree."""
    limit, cvar = solved["data"]["cvar_limit"], solved["mip"]["cvar"]
    if solved["binds"]:
        assert cvar == pytest.approx(limit, abs=1e-6)
    else:
        assert cvar < limit - 1.0
