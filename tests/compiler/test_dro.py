"""Distributionally robust CVaR and means: `ambiguity P = wasserstein(...)` / `moments(...)`
and `cvar(a, loss over P)`, `mean(loss over P)`.

Every number is checked against a program written here by hand in plain CVXPY from
Mohajerin Esfahani & Kuhn (2018), Cor. 5.1 (explicit per-scenario variables s_i and, with
a support, per-scenario multipliers gamma_ik for both pieces of the CVaR), or against the
moment closed form, or against a worst distribution built and measured by sorting.
"""

import json
import runpy
import subprocess
import sys
from pathlib import Path

import cvxpy as cp
import numpy as np
import pytest
from oracles.treasury import treasury_data
from oracles.treasury_dro import solve_treasury_dro
from saddle_testing import compile_text, first_error

from compiler import compile_model, load
from dsl.parser import parse
from dsl.printer import format_model

ROOT = Path(__file__).resolve().parents[2]
ASSETS, DRAWS, LEVEL = 10, 300, 0.9
DUAL = {"1": cp.norm_inf, "2": cp.norm2, "inf": cp.norm1}  # the ground norm's dual


@pytest.fixture(scope="module")
def market():
    rng = np.random.default_rng(2018)
    mu = rng.uniform(0.0, 0.004, ASSETS)
    scale = rng.uniform(0.005, 0.02, ASSETS)
    returns = mu + scale * rng.standard_t(5, size=(DRAWS, ASSETS))
    return {"R": returns, "mu": mu}


def portfolio(ambiguity: str, risk: str = "cvar(0.9, -(ret @ w) over P)") -> str:
    return f"""
set asset = 1..{ASSETS}
set draw = 1..{DRAWS}
param R[draw, asset]
param mu[asset]
param radius = 0
scenarios ret[draw, asset] = R
ambiguity P = {ambiguity}
variable w[asset] >= 0
minimize risk: {risk} - 0.5 * (mu @ w)
subject to
    budget: sum(w) == 1
    cap: w <= 0.3
"""


def solve(body: str, market: dict, **params):
    return compile_text(body, params={**market, **params}).solve()


def hand_written(market: dict, radius: float, norm: str, lower=None, upper=None,
                 level: float = LEVEL) -> tuple[float, np.ndarray]:
    """Cor. 5.1 for CVaR of L(xi) = -w'xi: pieces a_1 = -w/(1-a), b_1 = t - t/(1-a) and
    a_2 = 0, b_2 = t; with a box support C = [I; -I], d = [upper; -lower]."""
    xi = market["R"]
    count, dim = xi.shape
    w, lam, tau, s = cp.Variable(dim), cp.Variable(), cp.Variable(), cp.Variable(count)
    pieces = [(-w / (1 - level), tau - tau / (1 - level)), (np.zeros(dim), tau)]
    rows = [w >= 0, cp.sum(w) == 1, w <= 0.3]
    for a_k, b_k in pieces:
        if lower is None:
            rows += [s >= b_k + xi @ a_k, DUAL[norm](a_k) <= lam]
            continue
        c_matrix = np.vstack([np.eye(dim), -np.eye(dim)])
        d = np.concatenate([np.full(dim, upper), np.full(dim, -lower)])
        gamma = cp.Variable((count, 2 * dim), nonneg=True)
        for i in range(count):  # one row and one dual-norm cone per scenario and piece
            rows += [s[i] >= b_k + xi[i] @ a_k + gamma[i] @ (d - c_matrix @ xi[i]),
                     DUAL[norm](c_matrix.T @ gamma[i] - a_k) <= lam]
    objective = lam * radius + cp.sum(s) / count - 0.5 * (market["mu"] @ w)
    problem = cp.Problem(cp.Minimize(objective), rows)
    problem.solve(solver=cp.CLARABEL)
    assert problem.status == "optimal"
    return float(problem.value), np.asarray(w.value)


def cvar_sorted(losses: np.ndarray, level: float, weights: np.ndarray | None = None) -> float:
    """CVaR of a discrete distribution: the mean of its worst (1 - level) mass."""
    weights = np.full(losses.size, 1 / losses.size) if weights is None else weights
    order = np.argsort(-losses)
    mass, total, left = 1 - level, 0.0, 1 - level
    for k in order:
        take = min(weights[k], left)
        total, left = total + take * losses[k], left - take
        if left <= 1e-15:
            break
    return total / mass


# ==== limits ====


def test_radius_zero_is_the_plain_scenario_cvar(market):
    plain = solve(portfolio("wasserstein(ret, radius = 0)", "cvar(0.9, -(ret @ w))"), market)
    robust = solve(portfolio("wasserstein(ret, radius = 0)"), market)
    assert robust.status == plain.status == "optimal"
    assert robust.objective == pytest.approx(plain.objective, abs=1e-8)
    term = robust.ambiguity["cvar(0.9, -(ret @ w) over P)"]
    weights = robust.values["w"].to_numpy()
    assert term["worst_case"] == pytest.approx(cvar_sorted(-market["R"] @ weights, LEVEL),
                                               abs=1e-12)
    assert term["worst_case"] == term["empirical"]


@pytest.mark.parametrize("norm", ["1", "2", "inf"])
def test_wasserstein_equals_the_hand_written_program(market, norm):
    oracle, weights = hand_written(market, 0.02, norm)
    result = solve(portfolio(f"wasserstein(ret, radius = radius, norm = {norm})"), market,
                   radius=0.02)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(oracle, abs=1e-6)
    np.testing.assert_allclose(result.values["w"].to_numpy(), weights, atol=1e-4)


@pytest.mark.parametrize("norm", ["1", "2", "inf"])
def test_box_support_equals_the_hand_written_program(market, norm):
    small = {"R": market["R"][:40], "mu": market["mu"]}  # 40 x 10 x 2 pieces of cones
    lo, hi = float(small["R"].min()), float(small["R"].max())  # the tightest box
    oracle, _ = hand_written(small, 0.05, norm, lower=lo, upper=hi)
    body = portfolio(f"wasserstein(ret, radius = radius, norm = {norm}, lower = {lo!r}, "
                     f"upper = {hi!r})").replace(f"1..{DRAWS}", "1..40")
    result = solve(body, small, radius=0.05)
    assert result.objective == pytest.approx(oracle, abs=1e-6)
    free = solve(portfolio(f"wasserstein(ret, radius = radius, norm = {norm})").replace(
        f"1..{DRAWS}", "1..40"), small, radius=0.05)
    assert result.objective < free.objective - 1e-4  # the support binds here
    # the measured worst case (the multipliers re-minimized at the decision) is the term's
    term = result.ambiguity["cvar(0.9, -(ret @ w) over P)"]
    weights = result.values["w"].to_numpy()
    assert term["worst_case"] == pytest.approx(
        result.objective + 0.5 * small["mu"] @ weights, abs=1e-6)


def test_worst_case_cvar_rises_with_the_radius(market):
    found = [solve(portfolio("wasserstein(ret, radius = radius, norm = 2)"), market,
                   radius=r).objective for r in (0.0, 0.005, 0.01, 0.02, 0.04)]
    assert all(b > a + 1e-6 for a, b in zip(found, found[1:], strict=False))


@pytest.mark.parametrize("norm", ["1", "2", "inf"])
def test_the_reported_worst_distribution_attains_the_bound(market, norm):
    result = solve(portfolio(f"wasserstein(ret, radius = 0.02, norm = {norm})"), market)
    term = result.ambiguity["cvar(0.9, -(ret @ w) over P)"]
    weights = result.values["w"].to_numpy()
    moved = term["worst_distribution"]
    u = np.array([moved["direction"][str(k)] for k in range(1, ASSETS + 1)])
    assert np.linalg.norm(u, {"1": 1, "2": 2, "inf": np.inf}[norm]) == pytest.approx(1.0)
    # atoms: every draw, and a shifted copy of each moved draw's moved share
    atoms, mass = [market["R"]], [np.full(DRAWS, 1 / DRAWS)]
    for draw, share in zip(moved["draws_moved"], moved["moved_share"], strict=True):
        mass[0][draw - 1] -= share / DRAWS
        atoms.append(market["R"][draw - 1] + moved["shift"] * u)
        mass.append(np.array([share / DRAWS]))
    xi = np.vstack([atoms[0], np.array(atoms[1:])])
    weights_q = np.concatenate(mass)
    transport = sum(share / DRAWS * moved["shift"] for share in moved["moved_share"])
    assert transport == pytest.approx(0.02)  # the whole budget, no more
    assert cvar_sorted(-xi @ weights, LEVEL, weights_q) == pytest.approx(term["worst_case"],
                                                                         rel=1e-9)


def test_mean_over_a_wasserstein_ball(market):
    result = solve(portfolio("wasserstein(ret, radius = 0.01, norm = inf)",
                             "mean(-(ret @ w) over P) + cvar(0.9, -(ret @ w))"), market)
    w = cp.Variable(ASSETS)
    losses = -market["R"] @ w
    alpha = cp.Variable()
    tail = alpha + cp.sum(cp.pos(losses - alpha)) / ((1 - LEVEL) * DRAWS)
    oracle = cp.Problem(cp.Minimize(cp.sum(losses) / DRAWS + 0.01 * cp.norm1(w) + tail
                                    - 0.5 * market["mu"] @ w),
                        [w >= 0, cp.sum(w) == 1, w <= 0.3])
    oracle.solve(solver=cp.CLARABEL)
    assert result.objective == pytest.approx(oracle.value, abs=1e-6)


# ==== moments ====


def test_moment_ambiguity_equals_its_closed_form(market):
    rng = np.random.default_rng(5)
    factor = rng.normal(0, 0.01, (ASSETS, 3))
    covariance = factor @ factor.T + np.diag(rng.uniform(1e-5, 4e-5, ASSETS))
    body = portfolio("moments(ret, mean = mu, covariance = S)").replace(
        "param mu[asset]\n", "param mu[asset]\nset asset2 = asset\nparam S[asset, asset2]\n")
    result = solve(body, market, S=covariance)
    w = cp.Variable(ASSETS)
    root = np.linalg.cholesky(covariance).T  # any root: ||root w|| = sqrt(w' S w)
    closed = (-market["mu"] @ w + np.sqrt(LEVEL / (1 - LEVEL)) * cp.norm2(root @ w)
              - 0.5 * market["mu"] @ w)
    oracle = cp.Problem(cp.Minimize(closed), [w >= 0, cp.sum(w) == 1, w <= 0.3])
    oracle.solve(solver=cp.CLARABEL)
    assert result.objective == pytest.approx(oracle.value, abs=1e-6)
    x = result.values["w"].to_numpy()
    term = result.ambiguity["cvar(0.9, -(ret @ w) over P)"]
    assert term["worst_case"] == pytest.approx(
        -market["mu"] @ x + np.sqrt(LEVEL / (1 - LEVEL) * x @ covariance @ x), rel=1e-9)
    # the loss's two-point worst law: the given mean and variance, and that CVaR
    law = term["worst_loss_distribution"]
    values, probabilities = np.array(law["values"]), np.array(law["probabilities"])
    assert probabilities @ values == pytest.approx(-market["mu"] @ x, abs=1e-12)
    assert probabilities @ (values + market["mu"] @ x) ** 2 == pytest.approx(
        x @ covariance @ x, rel=1e-9)
    assert cvar_sorted(values, LEVEL, probabilities) == pytest.approx(term["worst_case"],
                                                                     rel=1e-9)


def test_moments_default_to_the_scenarios_own_and_mean_is_the_center(market):
    result = solve(portfolio("moments(ret)", "mean(-(ret @ w) over P) + 0 * cvar(0.9, "
                             "-(ret @ w) over P)"), market)
    x = result.values["w"].to_numpy()
    term = result.ambiguity["cvar(0.9, -(ret @ w) over P)"]
    covariance = np.cov(market["R"], rowvar=False, bias=True)
    center = -market["R"].mean(axis=0) @ x
    assert term["worst_case"] == pytest.approx(
        center + np.sqrt(LEVEL / (1 - LEVEL) * x @ covariance @ x), rel=1e-9)
    assert result.ambiguity["mean(-(ret @ w) over P)"]["worst_case"] == pytest.approx(center)


# ==== the treasury book ====


def test_treasury_book_equals_the_hand_written_program():
    data = treasury_data(ROOT / "models" / "data" / "real_yields_2024.csv")
    result = compile_model(load(ROOT / "models" / "treasury_dro.saddle")).solve()
    for radius in (0.05,):
        oracle = solve_treasury_dro(data, radius=radius)
        assert result.objective == pytest.approx(oracle["objective"], abs=1e-6)
        np.testing.assert_allclose(result.values["w"].to_numpy(), oracle["weights"],
                                   atol=1e-6)
        term = result.ambiguity["cvar(0.95, -pnl over nearby)"]
        assert term["worst_case"] == pytest.approx(oracle["worst_cvar"], abs=1e-6)
        assert term["empirical"] == pytest.approx(oracle["cvar"], abs=1e-9)


def test_cli_prints_the_worst_case_cvar():
    done = subprocess.run([sys.executable, "-m", "compiler", "solve",
                           "models/treasury_dro.saddle", "--format", "json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    term = report["ambiguity"]["cvar(0.95, -pnl over nearby)"]
    assert term["set"] == "wasserstein" and term["radius"] == 0.05 and term["norm"] == "inf"
    assert term["worst_case"] == pytest.approx(0.8, abs=1e-6)  # the limit binds
    assert term["worst_case"] > term["empirical"]
    table = subprocess.run([sys.executable, "-m", "compiler", "solve",
                            "models/treasury_dro.saddle"], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    assert "distributionally robust terms" in table.stdout


# ==== refusals and syntax ====


def test_a_loss_not_affine_in_the_scenario_is_refused():
    base = portfolio("wasserstein(ret, radius = 0.01)", "cvar(0.9, {} over P)")
    for loss in ("square(ret) @ w", "abs(ret @ w)", "(ret @ w) * (ret @ w)"):
        found = first_error(base.replace("{}", loss), params={"R": np.ones((DRAWS, ASSETS)),
                                                               "mu": np.zeros(ASSETS)})
        assert found.code == "E415" and found.span.text == loss, loss
        assert "affine" in found.message
    found = first_error(base.replace("{}", "ret @ square(w)"),
                        params={"R": np.ones((DRAWS, ASSETS)), "mu": np.zeros(ASSETS)})
    assert found.code == "E415" and "decisions" in found.message


@pytest.mark.parametrize(("text", "code", "culprit"), [
    ("let x = sum(ret over P)", "E208", "ret over P"),
    ("let x = P", "E206", "P"),
    ("let x = cvar(0.9, -(ret @ w) over mu)", "E206", "mu"),
])
def test_misplaced_ambiguity_is_located(text, code, culprit):
    declared = "variable w[asset] >= 0\n"
    body = portfolio("wasserstein(ret, radius = 0.01)").replace(declared, declared + text + "\n")
    found = first_error(body)
    assert found.code == code and found.span.text == culprit


def test_bad_ambiguity_arguments_are_located(market):
    found = first_error(portfolio("wasserstein(ret, norm = 3)"), params=market)
    assert found.code in ("E208",)
    found = first_error(portfolio("wasserstein(ret, radius = 0.1, lower = 0)"), params=market)
    assert found.code == "E508" and "outside the support" in found.message
    found = first_error(portfolio("wasserstein(mu, radius = 0.1)"), params=market)
    assert found.code == "E206" and found.span.text == "mu"


def test_fmt_round_trips_the_declaration_and_over():
    text = portfolio("wasserstein(ret, radius = 0.05, norm = inf, lower = -1, upper = 1)")
    model = parse('model m "t"\n' + text)
    formatted = format_model(model)
    assert "ambiguity P = wasserstein(ret, radius = 0.05, norm = inf, lower = -1, upper = 1)" \
        in formatted and "cvar(0.9, -(ret @ w) over P)" in formatted
    assert parse(formatted) == model
    # `over` stays a plain name where no ambiguity is meant
    assert parse('model m "t"\nset over = [1]\nlet x = sum(over, over = over)\n')


def test_radius_sweep_example_saves_its_plot(tmp_path):
    module = runpy.run_path(str(ROOT / "examples" / "dro_radius_sweep.py"))
    path = tmp_path / "sweep.png"
    table = module["main"](path, radii=(0.0, 0.002, 0.01), trials=2)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    worst = table["in-sample worst-case CVaR"]
    assert (worst >= table["in-sample CVaR"] - 1e-9).all()
    assert worst.iloc[0] == pytest.approx(table["in-sample CVaR"].iloc[0], abs=1e-9)
    assert (worst.diff().dropna() > 0).all()


def test_a_convex_cost_in_the_loss_is_taken_as_it_is(market):
    """L(xi) = -w'xi + 0.1 ||w||^2: W = -w is affine though the loss is not, and Cor. 5.1
    puts the cost in b_1 = (c(w) - t) / (1 - a) + t."""
    result = solve(portfolio("wasserstein(ret, radius = 0.02, norm = 2)",
                             "cvar(0.9, -(ret @ w) + 0.1 * sum_squares(w) over P)"), market)
    xi = market["R"]
    w, lam, tau, s = cp.Variable(ASSETS), cp.Variable(), cp.Variable(), cp.Variable(DRAWS)
    cost = 0.1 * cp.sum_squares(w)
    rows = [w >= 0, cp.sum(w) == 1, w <= 0.3, s >= tau,
            s >= (cost - tau) / (1 - LEVEL) + tau + xi @ (-w / (1 - LEVEL)),
            cp.norm2(-w / (1 - LEVEL)) <= lam]
    oracle = cp.Problem(cp.Minimize(0.02 * lam + cp.sum(s) / DRAWS - 0.5 * market["mu"] @ w),
                        rows)
    oracle.solve(solver=cp.CLARABEL)
    assert result.objective == pytest.approx(oracle.value, abs=1e-6)


def test_a_radius_sweep_compiles_once_and_matches_each_point():
    """`--sweep radius=...`: the radius may be the sweep's cvxpy Parameter (the forms are
    linear in it); each point equals the hand-written program at that radius."""
    from compiler.rolling.sweeps import sweep

    data = treasury_data(ROOT / "models" / "data" / "real_yields_2024.csv")
    result = sweep(load(ROOT / "models" / "treasury_dro.saddle"), "radius", [0.03, 0.08])
    assert any("compiled once" in note for note in result.notes)
    for radius in (0.03, 0.08):
        oracle = solve_treasury_dro(data, radius=radius)
        assert result.table.loc[radius, "objective"] == pytest.approx(oracle["objective"],
                                                                      abs=1e-6)


def test_saddle_show_lists_the_ambiguity_set():
    done = subprocess.run([sys.executable, "-m", "compiler", "show",
                           "models/treasury_dro.saddle"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    section = done.stdout.split("ambiguity:\n", 1)[1].split("\n\n", 1)[0]
    assert section.split() == ["nearby", "wasserstein(shock,", "radius", "=", "radius,",
                               "norm", "=", "inf)"]


def test_a_slack_supported_row_reports_its_measured_worst_case(market):
    """A box-supported term in a row that does not bind: its multipliers are free at the
    optimum, so the row's value is measured again at the decision (the program of Cor. 5.1
    with w fixed, written here per scenario) rather than read from the solve."""
    small = {"R": market["R"][:40], "mu": market["mu"]}
    lo, hi = float(small["R"].min()), float(small["R"].max())
    body = portfolio("wasserstein(ret, radius = 0.05, norm = 1)", "cvar(0.9, -(ret @ w))")
    body = body.replace(f"1..{DRAWS}", "1..40").replace(
        "ambiguity P", f"ambiguity B = wasserstein(ret, radius = 0.05, norm = 1, lower = {lo!r},"
        f" upper = {hi!r})\nambiguity P") + "    limit: cvar(0.9, -(ret @ w) over B) <= 10\n"
    result = solve(body, small)
    x = result.values["w"].to_numpy()
    xi, count = small["R"], 40
    lam, tau, s = cp.Variable(), cp.Variable(), cp.Variable(count)
    c_matrix = np.vstack([np.eye(ASSETS), -np.eye(ASSETS)])
    d = np.concatenate([np.full(ASSETS, hi), np.full(ASSETS, -lo)])
    rows = []
    for a_k, b_k in ((-x / (1 - LEVEL), tau - tau / (1 - LEVEL)), (np.zeros(ASSETS), tau)):
        gamma = cp.Variable((count, 2 * ASSETS), nonneg=True)
        for i in range(count):
            rows += [s[i] >= b_k + xi[i] @ a_k + gamma[i] @ (d - c_matrix @ xi[i]),
                     cp.norm_inf(c_matrix.T @ gamma[i] - a_k) <= lam]
    measured = cp.Problem(cp.Minimize(0.05 * lam + cp.sum(s) / count), rows)
    measured.solve(solver=cp.CLARABEL)
    assert not result.constraints["limit"].binding
    assert result.constraints["limit"].value == pytest.approx(measured.value, abs=1e-6)
    term = result.ambiguity["cvar(0.9, -(ret @ w) over B)"]
    assert term["worst_case"] == pytest.approx(measured.value, abs=1e-6)
