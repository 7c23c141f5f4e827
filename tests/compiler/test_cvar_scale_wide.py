"""Scenario CVaR with many decisions (compiler/scale/): the cut pool that deletes idle cuts
and the choice between the cuts and scenario generation by the tail's size.

Every reference optimum is a plain cvxpy Rockafellar-Uryasev LP written here from the same
draws (`numpy.random.default_rng(7).normal(0, 1, (m, n))`, as Saddle draws them).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from saddle_testing import compile_text

from compiler.scale import cvar_cuts, cvar_terms

LEVEL = 0.95
N = 20


def shocks(m: int) -> np.ndarray:
    return np.random.default_rng(7).normal(0.0, 1.0, size=(m, N))


def vol() -> np.ndarray:
    return 0.01 + 0.02 * np.arange(1, N + 1) / N


def mu() -> np.ndarray:
    return 0.0005 + 0.001 * np.arange(1, N + 1) / N


def limit(m: int) -> float:
    """1.2 x the equal-weight book's CVaR: between the least-risk and best-return books."""
    losses = -(shocks(m) @ (vol() / N))
    k = int(round((1 - LEVEL) * m))
    return 1.2 * float(np.sort(losses)[::-1][:k].mean())


def book(m: int) -> str:
    return f"""
set asset = 1..{N}
param vol[asset] = 0.01 + 0.02 * asset / {N}
param mu[asset] = 0.0005 + 0.001 * asset / {N}
param limit = {limit(m)!r}
scenarios shock[{m}, asset] ~ normal(0, 1, seed = 7)
variable w[asset]
let pnl = shock @ (vol * w)
maximize ret: sum(mu * w)
subject to
    budget: sum(w) == 1
    long: w >= 0
    cap: w <= 0.2
    tail: cvar({LEVEL}, -pnl) <= limit
"""


def reference(m: int) -> float:
    factor = shocks(m) * vol()
    w, alpha, excess = cp.Variable(N), cp.Variable(), cp.Variable(m, nonneg=True)
    problem = cp.Problem(cp.Maximize(mu() @ w), [
        cp.sum(w) == 1, w >= 0, w <= 0.2, excess >= -factor @ w - alpha,
        alpha + cp.sum(excess) / ((1 - LEVEL) * m) <= limit(m)])
    problem.solve(solver="HIGHS")
    assert problem.status == "optimal"
    return float(problem.value)


def test_deleting_idle_cuts_keeps_the_ru_lp_optimum(monkeypatch):
    """An aggressive pool (every 2 rounds, idle for 3) deletes many cuts on the way; the
    master stays a relaxation, so the answer is still the RU LP's."""
    monkeypatch.setenv("SADDLE_CVAR_METHOD", "cuts")
    monkeypatch.setattr(cvar_cuts, "PURGE", (2, 3))
    deleted = []
    original = cvar_cuts.CutPool.update

    def counting(self, h, duals, iteration):
        before = h.getNumRow()
        original(self, h, duals, iteration)
        deleted.append(before - h.getNumRow())

    monkeypatch.setattr(cvar_cuts.CutPool, "update", counting)
    m = 3000
    result = compile_text(book(m)).solve()
    assert result.status == "optimal"
    assert sum(deleted) > 10  # the pool did delete cuts
    assert result.objective == pytest.approx(reference(m), rel=1e-6)
    w = result.values["w"].to_numpy()
    losses = -(shocks(m) @ (vol() * w))
    k = int(round((1 - LEVEL) * m))
    assert float(np.sort(losses)[::-1][:k].mean()) <= limit(m) + 1e-7


def test_many_decisions_and_a_long_tail_take_the_cuts(monkeypatch):
    """Scenario generation only while the tail (the restricted RU LP's rows) is short."""
    monkeypatch.delenv("SADDLE_CVAR_METHOD", raising=False)
    monkeypatch.delenv("SADDLE_CVAR_CUTS_FROM", raising=False)
    short = 19 * cvar_terms.GENERATION_UP_TO_TAIL  # k = 5% of it: 0.95 x the largest
    assert cvar_terms.plan(compile_text(book(short)).problem).method == "generation"
    long = short + 2000
    chosen = cvar_terms.plan(compile_text(book(long)).problem)
    assert chosen.method == "cuts"
    assert chosen.stabilize == cvar_terms.CUTS_STABILIZE


def test_the_auto_choice_on_a_long_tail_matches_the_ru_lp(monkeypatch):
    """The method chosen by size at n = 20, with the cut pool as shipped."""
    monkeypatch.delenv("SADDLE_CVAR_METHOD", raising=False)
    monkeypatch.setenv("SADDLE_CVAR_CUTS_FROM", "100")
    monkeypatch.setattr(cvar_terms, "GENERATION_UP_TO_TAIL", 50)  # k = 150 here: the cuts
    m = 3000
    result = compile_text(book(m)).solve()
    assert result.status == "optimal"
    note = next(n for n in result.notes if "cutting planes" in n)
    assert "scenario generation" not in note
    assert result.objective == pytest.approx(reference(m), rel=1e-6)


@pytest.mark.parametrize("band_min", [20, 200])  # k = 150: a core of 130, or no core
def test_band_cuts_end_at_the_ru_lp_optimum(monkeypatch, band_min):
    """The band cut (core + RU rows around the VaR) in Kelley's endgame: still the RU LP's
    optimum with the true CVaR within the limit."""
    from compiler.scale import cvar_band

    monkeypatch.setenv("SADDLE_CVAR_METHOD", "cuts")
    monkeypatch.setattr(cvar_band, "BAND_FROM_GAP", 1e-3)  # bands early: several of them
    monkeypatch.setattr(cvar_band, "BAND_MIN", band_min)
    bands = []
    original = cvar_band.add_band

    def counting(h, columns, losses):
        bands.append(original(h, columns, losses))
        return bands[-1]

    monkeypatch.setattr(cvar_band, "add_band", counting)
    m = 3000
    result = compile_text(book(m)).solve()
    assert result.status == "optimal"
    assert bands and all(rows > 1 for rows in bands)
    note = next(n for n in result.notes if "cutting planes" in n)
    assert f"({len(bands)} band cut" in note and "near the answer" in note
    assert result.objective == pytest.approx(reference(m), rel=1e-6)
    w = result.values["w"].to_numpy()
    losses = -(shocks(m) @ (vol() * w))
    k = int(round((1 - LEVEL) * m))
    assert float(np.sort(losses)[::-1][:k].mean()) <= limit(m) + 1e-7
