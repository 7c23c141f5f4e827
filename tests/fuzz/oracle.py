"""Solve a generated model twice, through Saddle and directly, and compare.

The direct side enumerates the branches of the exact forms (each element above `a`, below
`-a`, or zero) and the values of integer decisions, solving each continuous problem with
Clarabel: a brute force that shares nothing with Saddle's big-M forms or its MIP solvers.
"""

from __future__ import annotations

import copy
import itertools
import math
import traceback
import warnings
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from compiler import compile_model, loads
from dsl.errors import SpecError
from fuzz.generate import MAY_REFUSE, Generated
from fuzz.spec import Env, Expr, Spec

RTOL = 1e-6      # relative agreement of the optima
ATOL = 1e-6      # the absolute floor, for optima near 0
# where a solver says "inaccurate" (either side), or the direct side had to fall back to
# SCS (Clarabel failed): first-order accuracy
LOOSE = 1e-4


@dataclass
class Outcome:
    status: str                 # optimal infeasible unbounded | error | crash | other
    value: float | None = None
    detail: str = ""            # the SpecError codes, or the traceback's head


@dataclass
class Finding:
    kind: str                   # crash:<Type>, E900, status, value, nan, refused:<codes>
    detail: str


def run_saddle(text: str, name: str = "fuzz.saddle", **compile_options) -> Outcome:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = compile_model(loads(text, name), **compile_options).solve()
    except SpecError as exc:
        return Outcome("error", None, ",".join(exc.codes) + "\n" + str(exc)[:600])
    except Exception as exc:  # noqa: BLE001 - any other exception is what we hunt
        return Outcome("crash", None, crash_head(exc))
    value = None if result.objective is None else float(result.objective)
    return Outcome(result.status, value, "; ".join(result.notes)[:300])


def crash_head(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    where = " <- ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} {f.name}"
                        for f in reversed(frames))
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}" \
           f"\n  at {where}"


def _solve(spec: Spec, branch: list[list[str]], fixed: dict) -> tuple[str, float | None]:
    env = Env(spec)
    constraints = []
    for var in spec.variables.values():
        x = env[var.name]
        if var.lo is not None:
            constraints.append(x >= var.lo)
        if var.hi is not None:
            constraints.append(x <= var.hi)
        if var.name in fixed:
            constraints.append(x == fixed[var.name])
    objective = spec.objective.build(env)
    for c in spec.constraints.values():
        constraints += c.build(env)
    for exact, sides in zip(spec.exact.values(), branch, strict=True):
        x = cp.reshape(exact.target(env), (exact.size,), order="C")
        for i, side in enumerate(sides):
            constraints.append({"zero": x[i] == 0, "up": x[i] >= exact.a,
                                "down": x[i] <= -exact.a}[side])
    constraints += env.aux
    sense = cp.Minimize if spec.sense == "minimize" else cp.Maximize
    problem = cp.Problem(sense(objective), constraints)
    fallbacks = ["CLARABEL", *(["HIGHS"] if problem.is_qp() else []), "SCS"]
    for solver in fallbacks:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                problem.solve(solver=solver)
        except cp.error.SolverError:
            continue
        if problem.status in ("optimal", "infeasible", "unbounded"):
            approximate = solver == "SCS" and problem.status == "optimal"
            return ("optimal_inaccurate" if approximate else problem.status), problem.value
    return "solver_error", None


def run_direct(spec: Spec) -> Outcome:
    """The best branch: unbounded if one is (and it has a feasible point: a solver may
    call a problem that is both infeasible and unbounded either), infeasible if all are."""
    outcome = _best_branch(spec)
    if _plain(outcome.status) == "unbounded" and not _feasible(spec):
        return Outcome("infeasible", None, "the solver said unbounded; no feasible point")
    return outcome


def _feasible(spec: Spec) -> bool:
    """Some branch has a feasible point (the objective replaced by 0)."""
    flat = copy.copy(spec)
    flat.sense = "minimize"
    flat.objective = Expr("0", lambda env: 0.0 * env["w"][0])
    return _plain(_best_branch(flat).status) == "optimal"


def _best_branch(spec: Spec) -> Outcome:
    integers = [v for v in spec.variables.values() if v.integer]
    choices = []
    for var in integers:
        values = np.arange(var.lo, var.hi + 1)
        size = int(np.prod(spec.size(var.index)))
        choices.append([(var.name, np.array(c)) for c in itertools.product(values,
                                                                          repeat=size)])
    best: tuple[str, float | None] = ("infeasible", None)
    sign = 1.0 if spec.sense == "minimize" else -1.0
    for fixed in itertools.product(*choices):
        for branch in itertools.product(*(e.branches() for e in spec.exact.values())):
            status, value = _solve(spec, list(branch), dict(fixed))
            if status in ("unbounded", "unbounded_inaccurate"):
                return Outcome(status, None)
            if status.startswith("optimal") and (best[1] is None or sign * value <
                                                 sign * best[1]):
                best = (status, value)
            elif not status.startswith(("optimal", "infeasible")):
                return Outcome(status, None)
    return Outcome(*best)


def compare(generated: Generated, saddle: Outcome, direct: Outcome | None) -> Finding | None:
    """None when Saddle's outcome is right; otherwise what is wrong with it."""
    if saddle.status == "crash":
        return Finding("crash:" + saddle.detail.split(":")[0], saddle.detail)
    if saddle.status == "error":
        codes = set(saddle.detail.split("\n")[0].split(","))
        if "E900" in codes:
            return Finding("E900", saddle.detail)
        if generated.expect_error:
            return None
        allowed = set().union(*(MAY_REFUSE.get(f, set()) for f in generated.features))
        if codes <= allowed:
            return None
        return Finding("refused:" + ",".join(sorted(codes)), saddle.detail)
    if generated.expect_error:
        return Finding("accepted-bad-data", f"Saddle: {saddle.status} {saddle.value}")
    if saddle.value is not None and math.isnan(saddle.value):
        return Finding("nan", f"Saddle: {saddle.status} objective nan")
    assert direct is not None
    mine, theirs = _plain(saddle.status), _plain(direct.status)
    if mine != theirs:
        return Finding("status", f"Saddle: {saddle.status} {saddle.value}; direct: "
                       f"{direct.status} {direct.value}")
    if mine == "optimal":
        loose = "inaccurate" in saddle.status + direct.status
        tol = max((LOOSE if loose else RTOL) * abs(direct.value), LOOSE if loose else ATOL)
        if not abs(saddle.value - direct.value) <= tol:
            return Finding("value", f"Saddle: {saddle.value!r}; direct: {direct.value!r} "
                           f"(difference {saddle.value - direct.value:.3g})")
    return None


def _plain(status: str) -> str:
    """The status without its qualifier: `optimal_inaccurate` (compared loosely) and
    `optimal_uncertified` (Saddle's robust optimum whose worst case it could not measure:
    compared at full precision) are optima."""
    return status.removesuffix("_inaccurate").removesuffix("_uncertified")


def check(generated: Generated) -> tuple[Outcome, Outcome | None, Finding | None]:
    saddle = run_saddle(generated.text)
    direct = None
    if saddle.status not in ("crash", "error") and not generated.expect_error:
        direct = run_direct(generated.spec)
    return saddle, direct, compare(generated, saddle, direct)
