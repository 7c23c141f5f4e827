"""The differential oracle's own pieces, checked against their definitions: each uncertain
set's closed-form support function (uncertainty.py) equals the maximum of a'u over the set
written as constraints on u, and the brute-force exact forms enumerate every branch."""

import cvxpy as cp
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz.generate import UNCERTAIN_SETS, enabled, models
from fuzz.oracle import compare, run_direct, run_saddle
from fuzz.spec import Env, Exact, Spec
from fuzz.terms import Picker, Terms
from fuzz.uncertainty import block, declare


def _spec(n: int) -> Spec:
    spec = Spec()
    spec.sets["s"] = [f"l{i}" for i in range(n)]
    spec.decls.append("# end of sets")
    return spec


@settings(max_examples=60, derandomize=True, database=None, deadline=None)
@given(st.data())
def test_support_functions_equal_the_maximum_over_the_set(data):
    pick = Picker(data.draw)
    n = pick.integer(1, 4)
    terms = Terms(pick, _spec(n), set())
    kind = pick.one(UNCERTAIN_SETS)
    vector = kind not in ("box", "ball") or pick.chance(70)
    if kind.startswith("block"):
        unc = block(terms, kind == "block_nonlinear")
    else:
        unc = declare(terms, kind, vector)
    a = pick.values(n) if unc.vector else float(pick.values(1)[0])
    env = Env(terms.spec)
    closed = cp.Problem(cp.Minimize(unc.support(env, a)), env.aux)
    closed.solve(solver="CLARABEL")
    u = cp.Variable(n) if unc.vector else cp.Variable()
    primal = cp.Problem(cp.Maximize(a @ u if unc.vector else a * u), unc.primal(u))
    primal.solve(solver="CLARABEL")
    assert closed.status == primal.status == "optimal"
    assert abs(closed.value - primal.value) <= 1e-6 * max(1.0, abs(primal.value)), \
        (kind, terms.spec.decls, a, closed.value, primal.value)


def test_exact_branches_cover_each_side_of_each_element():
    both = Exact("abs(w) >= 1", lambda env: env["w"], 2, 1.0, with_zero=False)
    assert sorted(map(tuple, both.branches())) == [
        ("down", "down"), ("down", "up"), ("up", "down"), ("up", "up")]
    zero = Exact("w == 0 or abs(w) >= 1", lambda env: env["w"], 2, 1.0, with_zero=True)
    assert len(zero.branches()) == 9



@settings(max_examples=15, derandomize=True, database=None, deadline=None)
@given(models(enabled("lp")))
def test_the_comparison_notices_a_shifted_optimum(generated):
    """The oracle is not vacuous: Saddle solving `1 + objective` disagrees with the
    direct optimum wherever there is one."""
    direct = run_direct(generated.spec)
    shifted = generated.text.replace(f"{generated.spec.sense} obj: ",
                                     f"{generated.spec.sense} obj: 1 + ", 1)
    saddle = run_saddle(shifted)
    finding = compare(generated, saddle, direct)
    if direct.status == "optimal":
        assert finding is not None and finding.kind == "value"
    else:
        assert finding is None or finding.kind == "status"
