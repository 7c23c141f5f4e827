"""The robustness certificate, the measured robust rows, the saddle-point path's failure
status, and bounded uncertainty blocks.

Every expected number comes from outside Saddle: a plain-CVXPY maximum over the set
written here from its definition (box lo <= u <= hi, ball ||u - c||_p <= r, ellipsoid
c + L z with a Cholesky L, budget c + dev * z with |z| <= 1 and ||z||_1 <= gamma, simplex),
a closed form (box: c'w + rho ||w||_1; ellipsoid: mu'w - kappa ||L'w||_2), or an
enumeration of the budget polytope's vertices.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from saddle_testing import compile_text, first_error
from scipy import stats

from compiler import compile_model, load
from compiler.cli import main
from compiler.uncertainty.sets.box import Box

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ("counterpart", "dsp")
TOL = 1e-6
LABELS = ["a", "b", "c", "d"]
MU = np.array([0.08, 0.06, 0.05, 0.03])
CTR = np.array([0.10, 0.05, 0.02, 0.01])
DEV = np.array([0.05, 0.04, 0.03, 0.02])
COV = np.array([[0.04, 0.01, 0.0, 0.0], [0.01, 0.03, 0.005, 0.0],
                [0.0, 0.005, 0.02, 0.0], [0.0, 0.0, 0.0, 0.01]])

DATA = ('set asset = ["a", "b", "c", "d"]\nset asset2 = asset\n'
        "param mu[asset] = [0.08, 0.06, 0.05, 0.03]\n"
        "param ctr[asset] = [0.10, 0.05, 0.02, 0.01]\n"
        "param dev[asset] = [0.05, 0.04, 0.03, 0.02]\n"
        "param cov[asset, asset2] = [[0.04, 0.01, 0, 0], [0.01, 0.03, 0.005, 0], "
        "[0, 0.005, 0.02, 0], [0, 0, 0, 0.01]]\n")

SETS = {
    "box": "box(ctr - dev, ctr + dev)",
    "ball2": "ball(ctr, 0.05)",
    "ball1": "ball(ctr, 0.05, norm = 1)",
    "ballinf": "ball(ctr, 0.05, norm = inf)",
    "ellipsoid": "ellipsoid(ctr, covariance = cov, radius = 0.5)",
    "budget": "budget(ctr, dev, 1.5)",
    "simplex": "simplex(0.2)",
}


def membership(kind: str, u: cp.Variable) -> list:
    """The set's own definition, written here."""
    if kind == "box":
        return [u >= CTR - DEV, u <= CTR + DEV]
    if kind.startswith("ball"):
        p = {"ball2": 2, "ball1": 1, "ballinf": "inf"}[kind]
        return [cp.norm(u - CTR, p) <= 0.05]
    if kind == "ellipsoid":
        z = cp.Variable(4)
        return [u == CTR + np.linalg.cholesky(COV) @ z, cp.norm(z, 2) <= 0.5]
    if kind == "budget":
        z = cp.Variable(4)
        return [u == CTR + cp.multiply(DEV, z), cp.abs(z) <= 1, cp.norm(z, 1) <= 1.5]
    if kind == "simplex":
        return [u >= 0, cp.sum(u) == 0.2]
    raise AssertionError(kind)


def extreme(kind: str, a: np.ndarray, sense: str = "max") -> float:
    """max (or min) over the set of a'u by a plain CVXPY problem."""
    u = cp.Variable(4)
    goal = cp.Maximize(a @ u) if sense == "max" else cp.Minimize(a @ u)
    problem = cp.Problem(goal, membership(kind, u))
    problem.solve(solver="CLARABEL")
    assert problem.status == "optimal"
    return float(problem.value)


def budget_max(a: np.ndarray, gamma: float = 1.5) -> float:
    """max over the budget set by enumerating candidate vertices z in {-1, -f, 0, f, 1}^n."""
    f = gamma - np.floor(gamma)
    grid = np.array(list(itertools.product(sorted({-1.0, -f, 0.0, f, 1.0}), repeat=4)))
    grid = grid[np.abs(grid).sum(axis=1) <= gamma + 1e-12]
    return float(CTR @ a + (grid @ (DEV * a)).max())


def weights(result) -> np.ndarray:
    return result.values["w"].loc[LABELS].to_numpy(float)


def solve(body: str, backend: str):
    result = compile_text(DATA + body, backend=backend).solve()
    assert result.status == "optimal", (result.status, result.notes)
    return result


ROW_MODEL = """uncertain u[asset] in {set}
variable w[asset] >= 0 <= 0.6
maximize ret: mu @ w
subject to
    full: sum(w) == 1
    risk: w @ u <= {limit}
"""


# ---- item 1: the certificate against an independent maximum ----

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", sorted(SETS))
def test_row_worst_case_is_the_maximum_over_the_set(kind: str, backend: str) -> None:
    result = solve(ROW_MODEL.format(set=SETS[kind], limit=0.2), backend)
    w = weights(result)
    truth = extreme(kind, w)
    entry = result.certificate["risk"]
    assert entry.certified and result.certified
    assert entry.worst == pytest.approx(truth, abs=TOL)
    assert entry.limit == pytest.approx(0.2)
    assert entry.slack == pytest.approx(0.2 - truth, abs=TOL)
    # the row reports the measured worst case, as a plain row reports its expression
    report = result.constraints["risk"]
    assert report.value == pytest.approx(truth, abs=TOL)
    assert report.slack == pytest.approx(0.2 - truth, abs=TOL)
    assert result.certificate["ret"].worst == pytest.approx(MU @ w, abs=TOL)
    assert result.gap is not None and result.gap <= TOL


def test_box_closed_form_and_ellipsoid_objective() -> None:
    """box: max c'w + rho ||w||_1; ellipsoid in the objective: mu'w - r ||L'w||_2."""
    body = ("uncertain u[asset] in box(ctr - 0.02, ctr + 0.02)\n"
            "uncertain m[asset] in ellipsoid(mu, covariance = cov, radius = 0.5)\n"
            "variable w[asset] >= 0 <= 0.6\nmaximize ret: w @ m\nsubject to\n"
            "    full: sum(w) == 1\n    risk: w @ u <= 0.2\n")
    for backend in BACKENDS:
        result = solve(body, backend)
        w = weights(result)
        factor = np.linalg.cholesky(COV)
        objective = MU @ w - 0.5 * np.linalg.norm(factor.T @ w)
        assert result.certificate["ret"].worst == pytest.approx(objective, abs=1e-9)
        assert result.objective == pytest.approx(objective, abs=TOL)
        assert result.gap == pytest.approx(abs(result.objective - objective), abs=1e-9)
        worst_row = CTR @ w + 0.02 * np.abs(w).sum()
        assert result.certificate["risk"].worst == pytest.approx(worst_row, abs=1e-9)


# ---- item 6: a budget row the solve does not bind ----

@pytest.mark.parametrize("backend", BACKENDS)
def test_budget_row_reports_the_measured_slack(backend: str) -> None:
    result = solve(ROW_MODEL.format(set=SETS["budget"], limit=0.2), backend)
    w = weights(result)
    truth = budget_max(w)
    report = result.constraints["risk"]
    assert report.slack == pytest.approx(0.2 - truth, abs=TOL)
    assert report.value == pytest.approx(truth, abs=TOL)
    assert not report.binding
    entry = result.certificate["risk"]
    # the solve's own worst case (its LP dual) is never below the true one
    assert entry.own >= truth - TOL
    assert entry.gap == pytest.approx(abs(entry.own - truth), abs=TOL)
    assert entry.certified


def test_budget_row_both_backends_agree() -> None:
    first, second = (solve(ROW_MODEL.format(set=SETS["budget"], limit=0.2), b)
                     for b in BACKENDS)
    assert weights(first) == pytest.approx(weights(second), abs=1e-5)
    slack = [r.constraints["risk"].slack for r in (first, second)]
    assert slack[0] == pytest.approx(slack[1], abs=1e-5)
    assert slack[0] == pytest.approx(0.2 - budget_max(weights(first)), abs=TOL)


@pytest.mark.parametrize("backend", BACKENDS)
def test_value_is_the_uncertain_sides_worst_case(backend: str) -> None:
    """`floor <= w @ u` reports min w@u, `0.2 >= w @ u` max w@u, and a chained row its
    tightest part; slack = value - limit or limit - value, as for plain rows."""
    body = ("uncertain u[asset] in box(ctr - dev, ctr + dev)\n"
            "variable w[asset] >= 0 <= 0.6\nmaximize ret: mu @ w\nsubject to\n"
            "    full: sum(w) == 1\n    floor: w @ u >= 0.01\n    cap: 0.2 >= w @ u\n"
            "    band: 0.0 <= w @ u <= 0.09\n")
    result = solve(body, backend)
    w = weights(result)
    low, high = extreme("box", w, "min"), extreme("box", w)
    floor, cap = result.constraints["floor"], result.constraints["cap"]
    assert floor.value == pytest.approx(low, abs=TOL)
    assert floor.slack == pytest.approx(low - 0.01, abs=TOL)
    assert cap.value == pytest.approx(high, abs=TOL)
    assert cap.slack == pytest.approx(0.2 - high, abs=TOL)
    parts = result.certificate["band (part 1)"], result.certificate["band (part 2)"]
    assert parts[0].worst == pytest.approx(low, abs=TOL)
    assert parts[1].worst == pytest.approx(high, abs=TOL)
    band = result.constraints["band"]
    assert band.slack == pytest.approx(min(low - 0.0, 0.09 - high), abs=TOL)
    assert band.value == pytest.approx(high if 0.09 - high < low else low, abs=TOL)


# ---- a conic set and a polyhedron ----

def test_conic_block_certificate() -> None:
    body = ("uncertain d[asset]:\n    cap: norm2(d) <= 0.01\n"
            "variable w[asset] >= 0 <= 0.6\nmaximize ret: w @ (mu + d)\nsubject to\n"
            "    full: sum(w) == 1\n")
    result = solve(body, "dsp")
    w = weights(result)
    entry = result.certificate["ret"]
    assert entry.method == "conic" and entry.certified
    assert entry.worst == pytest.approx(MU @ w - 0.01 * np.linalg.norm(w), abs=TOL)


@pytest.mark.parametrize("backend", BACKENDS)
def test_polyhedron_row(backend: str) -> None:
    body = ("uncertain u[asset]:\n    near: u - ctr <= dev\n    far: u - ctr >= -dev\n"
            "    total: sum(u - ctr) <= 0.03\n"
            "variable w[asset] >= 0 <= 0.6\nmaximize ret: mu @ w\nsubject to\n"
            "    full: sum(w) == 1\n    risk: w @ u <= 0.2\n")
    result = solve(body, backend)
    w = weights(result)
    u = cp.Variable(4)
    problem = cp.Problem(cp.Maximize(w @ u), [u - CTR <= DEV, u - CTR >= -DEV,
                                              cp.sum(u - CTR) <= 0.03])
    problem.solve(solver="CLARABEL")
    entry = result.certificate["risk"]
    assert entry.method == "conic" and entry.certified
    assert entry.worst == pytest.approx(problem.value, abs=TOL)
    assert result.constraints["risk"].slack == pytest.approx(0.2 - problem.value, abs=TOL)


# ---- an answer that does not check out ----

TIGHT = ('model m "test"\n' + DATA + ROW_MODEL.format(set="box(ctr - dev, ctr + dev)",
                                                       limit=0.09))


def test_disagreement_is_uncertified(tmp_path: Path, monkeypatch, capsys) -> None:
    """A measured worst case above the solve's (a stand-in for a wrong counterpart) makes
    the status optimal_uncertified, names the row, and `saddle solve` exits 4."""
    real = Box.support_value
    monkeypatch.setattr(Box, "support_value", lambda uset, a: real(uset, a) + 0.001)
    path = tmp_path / "tight.saddle"
    path.write_text(TIGHT)
    assert main(["solve", str(path)]) == 4
    out = capsys.readouterr().out
    assert "optimal_uncertified" in out and "not certified: 'risk'" in out
    result = compile_model(load(path)).solve()
    assert result.status == "optimal_uncertified" and result.certified is False
    entry = result.certificate["risk"]
    assert not entry.certified and entry.gap == pytest.approx(0.001, abs=TOL)
    assert result.certificate["ret"].certified  # the objective holds no uncertainty


def test_binding_row_is_certified_without_tampering() -> None:
    result = compile_model(load_text(TIGHT)).solve()
    assert result.status == "optimal" and result.certified
    w = weights(result)
    assert result.certificate["risk"].worst == pytest.approx(
        CTR @ w + DEV @ np.abs(w), abs=TOL)
    assert result.constraints["risk"].binding


def load_text(text: str):
    from compiler import loads

    return loads(text, "m.saddle")


# ---- the fields: a robust constraint named `gap` or `backend` ----

def test_gap_and_backend_have_their_own_fields() -> None:
    body = ("uncertain u[asset] in box(ctr - dev, ctr + dev)\n"
            "variable w[asset] >= 0 <= 0.6\nmaximize ret: mu @ w\nsubject to\n"
            "    full: sum(w) == 1\n    gap: w @ u <= 0.2\n    backend: w @ u <= 0.3\n")
    result = solve(body, "counterpart")
    assert result.backend == "counterpart" and isinstance(result.gap, float)
    assert set(result.worst_case["gap"]) == {"u"}  # the adversary's choice, not a number
    report = result.to_dict()
    assert report["backend"] == "counterpart" and report["gap"] == result.gap
    assert report["certificate"]["gap"]["certified"] is True
    assert set(report["certificate"]["gap"]) >= {"worst", "limit", "slack", "gap"}
    assert "robustness certificate" in result.table()


# ---- the shipped robust models ----

def _robust_mean_worst(w: np.ndarray) -> float:
    folder = ROOT / "models" / "data" / "robust_mean"
    assets = pd.read_csv(folder / "assets.csv")
    cov = pd.read_csv(folder / "covariance.csv", index_col=0).loc[
        assets["asset"], assets["asset"]].to_numpy(float)
    mu = assets["mean"].to_numpy(float)
    kappa = np.sqrt(stats.chi2.ppf(0.9, len(mu)) / 20)
    factor = np.linalg.cholesky(cov)
    return float(mu @ w - kappa * np.linalg.norm(factor.T @ w) - 2 * w @ cov @ w)


def _arbitrage_worst(x: np.ndarray) -> float:
    folder = ROOT / "models" / "data" / "arbitrage"
    frame = pd.read_csv(folder / "strategies.csv")
    cov = pd.read_csv(folder / "covariance.csv", index_col=0).loc[
        frame["strategy"], frame["strategy"]].to_numpy(float)
    kappa = np.sqrt(stats.chi2.ppf(0.9, len(frame)) / 10)
    short = frame["hedge"].to_numpy(float) * x
    gross = np.sum(x + short)
    costs = (np.sum(7.5e-4 * frame["trades"].to_numpy(float) * (x + short)
                    + frame["borrow"].to_numpy(float) * short)
             + 0.08 * max(gross - 1, 0.0))
    worst_mean = frame["mean"].to_numpy(float) @ x - kappa * np.linalg.norm(
        np.linalg.cholesky(cov).T @ x)
    return float(worst_mean - costs - 2 * x @ cov @ x)


@pytest.mark.parametrize(("name", "decision", "oracle"),
                         [("robust_mean", "w", _robust_mean_worst),
                          ("arbitrage_robust", "x", _arbitrage_worst)])
def test_shipped_models_certificate_agrees_across_backends(name, decision, oracle) -> None:
    model = load(ROOT / "models" / f"{name}.saddle")
    results = {b: compile_model(model, backend=b).solve() for b in BACKENDS}
    for backend, result in results.items():
        assert result.status == "optimal" and result.certified, (backend, result.notes)
        x = result.values[decision].to_numpy(float)
        entry = result.certificate["utility"]
        assert entry.worst == pytest.approx(oracle(x), abs=1e-9)
        assert result.gap == pytest.approx(abs(result.objective - oracle(x)), abs=1e-9)
        assert result.gap <= TOL
    worst = [r.certificate["utility"].worst for r in results.values()]
    assert worst[0] == pytest.approx(worst[1], abs=1e-6)


@pytest.mark.parametrize("name", ["pairs_hedge", "robust_lots", "robust_bond",
                                  "robust_bond_floor", "robust_bond_krd"])
def test_shipped_robust_models_are_certified(name: str) -> None:
    result = compile_model(load(ROOT / "models" / f"{name}.saddle")).solve()
    assert result.status == "optimal" and result.certified, result.notes
    for entry in result.certificate.values():
        gaps = np.asarray(entry.gap, dtype=float)
        worst = np.abs(np.asarray(entry.worst, dtype=float))
        own_bound = np.asarray(entry.bound, dtype=bool)
        assert np.all((gaps <= TOL * np.maximum(1, worst)) | own_bound)


# ---- item 7: the saddle-point path's failure status ----

INFEASIBLE = ("uncertain m[asset] in box(ctr - dev, ctr + dev)\n"
              "variable w[asset] >= 0\n{sense} ret: w @ m\nsubject to\n"
              "    full: sum(w) == 1\n    small: sum(w) <= 0.5\n")


def _nominal_status(constraints: list, objective) -> str:
    problem = cp.Problem(objective, constraints)
    problem.solve(solver="CLARABEL")
    return str(problem.status)


@pytest.mark.parametrize("sense", ["maximize", "minimize"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_infeasible_with_uncertain_objective(sense: str, backend: str) -> None:
    w = cp.Variable(4)
    goal = (cp.Maximize if sense == "maximize" else cp.Minimize)(CTR @ w)
    assert _nominal_status([w >= 0, cp.sum(w) == 1, cp.sum(w) <= 0.5], goal) == "infeasible"
    result = compile_text(DATA + INFEASIBLE.format(sense=sense), backend=backend).solve()
    assert result.status == "infeasible"


@pytest.mark.parametrize("backend", BACKENDS)
def test_unbounded_with_uncertain_objective(backend: str) -> None:
    body = ("uncertain m[asset] in box(ctr - 0.01, ctr + 0.01)\nvariable w[asset] >= 0\n"
            "maximize ret: w @ m\nsubject to\n    floor: sum(w) >= 1\n")
    w = cp.Variable(4)
    # every mean in the box is positive (ctr - 0.01 >= 0): scaling w up earns without limit
    assert np.all(CTR - 0.01 >= 0) and (CTR - 0.01).max() > 0
    assert _nominal_status([w >= 0, cp.sum(w) >= 1], cp.Maximize(CTR @ w)) == "unbounded"
    assert compile_text(DATA + body, backend=backend).solve().status == "unbounded"


# ---- item 9: unbounded uncertainty blocks ----

def test_unbounded_polyhedral_block_is_E410_with_a_direction() -> None:
    body = ("uncertain b[asset]:\n    b <= mu + 0.01\nvariable w[asset] >= 0\n"
            "maximize ret: w @ b\nsubject to\n    budget: sum(w) == 1\n")
    diagnostic = first_error(DATA + body)
    assert diagnostic.code == "E410" and "unbounded" in diagnostic.message
    direction = _direction(diagnostic.message)
    # a recession direction of {b <= mu + 0.01}: every entry <= 0, not all zero
    assert all(v <= 0 for v in direction.values()) and any(direction.values())


def test_unbounded_conic_block_names_the_coordinate() -> None:
    body = ('uncertain b[asset]:\n    near: norm2(b - mu) <= 0.1 + b["c"]\n'
            "variable w[asset] >= 0\nmaximize ret: w @ b\nsubject to\n"
            "    budget: sum(w) == 1\n")
    diagnostic = first_error(DATA + body)
    assert diagnostic.code == "E410" and "unbounded" in diagnostic.message
    direction = _direction(diagnostic.message)
    d = np.array([direction.get(f"b[{x}]", 0.0) for x in LABELS])
    for t in (1e2, 1e4):  # mu + t d stays in the set: ||t d|| <= 0.1 + mu_c + t d_c
        point = MU + t * d
        assert np.linalg.norm(point - MU) <= 0.1 + point[2] + 1e-9


def test_empty_conic_block_is_E410() -> None:
    body = ("uncertain b[asset]:\n    near: norm2(b - mu) <= -0.1\nvariable w[asset] >= 0\n"
            "maximize ret: w @ b\nsubject to\n    budget: sum(w) == 1\n")
    diagnostic = first_error(DATA + body, backend="dsp")
    assert diagnostic.code == "E410" and "empty" in diagnostic.message


def test_bounded_blocks_pass() -> None:
    body = ("uncertain b[asset]:\n    near: abs(b - mu) <= 0.02\n"
            "uncertain d[asset]:\n    cap: sum_squares(d) <= 0.0001\n    d >= -0.05\n"
            "variable w[asset] >= 0 <= 0.6\nmaximize ret: w @ (b + d)\nsubject to\n"
            "    budget: sum(w) == 1\n")
    result = compile_text(DATA + body).solve()
    assert result.status == "optimal" and result.certified
    w = weights(result)
    expected = MU @ w - 0.02 * np.abs(w).sum() - 0.01 * np.linalg.norm(w)
    assert result.certificate["ret"].worst == pytest.approx(expected, abs=TOL)


def _direction(message: str) -> dict[str, float]:
    """The direction an E410 message names: `b[a] -1, b[c] +0.5`."""
    text = message.split("in the direction ", 1)[1].split(" (", 1)[0]
    out = {}
    for item in text.split(", "):
        name, value = item.rsplit(" ", 1)
        out[name] = float(value)
    return out


# ---- what the user sees: `saddle` as a process ----

def test_cli_reports_the_certificate_and_refuses_an_unbounded_set(tmp_path: Path) -> None:
    from test_cli_process import run

    loose = tmp_path / "loose.saddle"
    loose.write_text('model m "test"\n' + DATA + ROW_MODEL.format(set=SETS["budget"],
                                                                   limit=0.2))
    done = run("solve", str(loose), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    w = np.array([report["variables"]["w"][x] for x in LABELS])
    entry = report["certificate"]["risk"]
    assert entry["certified"] is True and report["backend"] == "counterpart"
    assert entry["slack"] == pytest.approx(0.2 - budget_max(w), abs=TOL)
    assert report["constraints"]["risk"]["slack"] == pytest.approx(entry["slack"], abs=1e-12)
    unbounded = tmp_path / "unbounded.saddle"
    unbounded.write_text('model m "test"\n' + DATA + "uncertain b[asset]:\n"
                         "    b <= mu + 0.01\nvariable w[asset] >= 0\n"
                         "maximize ret: w @ b\nsubject to\n    budget: sum(w) == 1\n")
    done = run("check", str(unbounded))
    assert done.returncode == 1 and "error[E410]" in done.stderr
    assert "unbounded" in done.stderr
