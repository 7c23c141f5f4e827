"""Scenario CVaR in robust and rolling models: the cutting planes where the robust
counterpart is an LP (the same optimum as a hand RU LP), else a note with the CVaR's place
and why it stays on the Rockafellar-Uryasev LP (compiler/backends/cvar_fallback.py)."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from saddle_testing import TAIL_MU, TAIL_VOL, compile_text, robust_tail_book

from compiler import compile_model, loads

M, N, LEVEL, LIMIT, SPREAD = 3000, 5, 0.95, 0.03, 0.0002
VOL, MU = np.array(TAIL_VOL), np.array(TAIL_MU)


def robust_book(uncertain: str) -> str:
    return robust_tail_book(uncertain, M, LEVEL, LIMIT)


BOX = robust_book(f"box(mu - {SPREAD}, mu + {SPREAD})")


def hand_ru_lp() -> float:
    """The box counterpart by hand (the adversary takes mu - spread on a long book, i.e.
    mu'w - spread * |w|_1) with the CVaR limit as the Rockafellar-Uryasev LP."""
    factor = np.random.default_rng(7).normal(0.0, 1.0, size=(M, N)) * VOL
    w, alpha, excess = cp.Variable(N), cp.Variable(), cp.Variable(M, nonneg=True)
    problem = cp.Problem(cp.Maximize(MU @ w - SPREAD * cp.norm1(w)),
                         [cp.sum(w) == 1, w >= 0, w <= 0.6, excess >= -factor @ w - alpha,
                          alpha + cp.sum(excess) / ((1 - LEVEL) * M) <= LIMIT])
    problem.solve(solver="HIGHS")
    assert problem.status == "optimal"
    return float(problem.value)


@pytest.fixture(scope="module")
def reference() -> float:
    return hand_ru_lp()


def cvar_notes(notes: list[str]) -> list[str]:
    return [n for n in notes if n.startswith("CVaR")]


def test_an_lp_counterpart_takes_the_cutting_planes_and_matches_the_hand_ru_lp(reference):
    result = compile_text(BOX).solve()
    assert result.status == "optimal" and result.backend == "counterpart"
    assert result.objective == pytest.approx(reference, rel=1e-6)
    (note,) = cvar_notes(result.notes)
    assert note.startswith("CVaR of constraint 'tail' over 3,000 scenarios: aggregated "
                           "cutting planes")


def test_the_saddle_point_form_says_where_and_why_it_keeps_the_ru_lp(reference):
    result = compile_text(BOX, backend="dsp").solve()
    assert result.status.startswith("optimal")
    assert result.objective == pytest.approx(reference, rel=1e-5)
    (note,) = cvar_notes(result.notes)  # the dispatcher's unlocated note is replaced
    assert note.startswith("CVaR of constraint 'tail' over 3,000 scenarios solved as the "
                           "Rockafellar-Uryasev LP: the saddle-point form")
    assert "CLARABEL was asked for" not in note  # the user asked for no solver


def test_a_conic_counterpart_says_it_is_not_an_lp():
    compiled = compile_text(robust_book(f"ball(mu, {SPREAD})"))
    (note,) = cvar_notes(compiled.solve().notes)
    assert note == ("CVaR of constraint 'tail' over 3,000 scenarios solved as the "
                    "Rockafellar-Uryasev LP: the robust counterpart is not an LP or MILP "
                    "(the cutting-plane master is solved by HiGHS)")


def test_a_solver_the_user_asks_for_is_named():
    (note,) = cvar_notes(compile_text(BOX).solve(solver="CLARABEL").notes)
    assert note.startswith("CVaR of constraint 'tail' over 3,000 scenarios solved as the "
                           "Rockafellar-Uryasev LP: the solver CLARABEL was asked for")


def test_below_the_threshold_no_note_is_added():
    body = BOX.replace(f"[{M}, asset]", "[500, asset]")
    assert cvar_notes(compile_text(body).solve().notes) == []
    assert cvar_notes(compile_text(body, backend="dsp").solve().notes) == []


ROLLING = """
model roll "rolling cvar"
set day = csv("returns.csv").date
set asset = csv("assets.csv").asset
series r[day, asset] = csv("returns.csv")
scenarios shock[3000, asset] ~ normal(0, 1, seed = 7)
variable w[asset] >= 0 <= 0.6
rebalance every month on day
let loss = -(shock @ (0.01 * w))
maximize ret: mean(r @ w)
subject to
    budget: sum(w) == 1
    tail: cvar(0.95, loss) <= 0.02
"""


def write_rolling(folder) -> str:
    rng = np.random.default_rng(7)
    dates = pd.bdate_range("2023-01-02", periods=90).strftime("%Y-%m-%d")
    assets = [f"A{k}" for k in range(4)]
    frame = pd.DataFrame(rng.normal(0.0005, 0.01, (90, 4)), index=dates, columns=assets)
    frame.index.name = "date"
    frame.to_csv(folder / "returns.csv")
    pd.DataFrame({"asset": assets}).to_csv(folder / "assets.csv", index=False)
    path = folder / "roll.saddle"
    path.write_text(ROLLING)
    return str(path)


ROLLING_NOTE = ("CVaR of constraint 'tail' over 3,000 scenarios solved as the "
                "Rockafellar-Uryasev LP: a rolling run or backtest hands its windows to the "
                "solver directly")


def test_a_rolling_run_and_its_backtest_say_where_and_why(tmp_path):
    path = write_rolling(tmp_path)
    rolling = compile_model(loads(ROLLING, path))
    (note,) = cvar_notes(rolling.solve().notes)
    assert note.startswith(ROLLING_NOTE)
    (note,) = cvar_notes(rolling.backtest().notes)
    assert note.startswith(ROLLING_NOTE)
