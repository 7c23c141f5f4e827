"""Where a large scenario CVaR stays on the Rockafellar-Uryasev LP outside a plain model's
cutting-plane dispatcher (compiler/scale/scenario_cvar.py): robust models (the saddle-point
form, a counterpart that is not an LP) and rolling runs. One located line, the same in the
solve's notes and in `saddle check`.
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp

from compiler.backends.solver_choice import is_linear
from compiler.passes import ir
from compiler.scale import cvar_terms

SADDLE_POINT = ("the saddle-point form (dsp-cvxpy) is solved as one conic problem; the cutting "
                "planes need an LP or MILP on a HiGHS master")
NOT_LINEAR = ("the robust counterpart is not an LP or MILP (the cutting-plane master is "
              "solved by HiGHS)")
ROLLING = ("a rolling run or backtest hands its windows to the solver directly (as one "
           "problem or one by one); the cutting planes take a single model's solve")


def writes_cvar(model: ir.Model) -> bool:
    """Whether a `cvar(...)` call is written in the objective, a let or a constraint."""
    conditions = [c.condition for c in model.constraints]
    roots = [model.objective.expr, *(d.value for d in model.lets)] + [
        t for c in conditions for o in (c.options if isinstance(c, ir.Disjunction) else (c,))
        for t in o.terms]
    return any(isinstance(n, ir.Call) and n.func == "cvar" for r in roots for n in ir.walk(r))


def _eligible(problem: cp.Problem) -> list[Any]:
    """The CVaR atoms the dispatcher would take to cutting planes by their size (every one
    under a forced method): at least the threshold's scenarios."""
    method = cvar_terms.requested_method()
    if method == "lp":
        return []
    least = 0 if method != "auto" else cvar_terms.threshold()
    return [a for a in cvar_terms.problem_atoms(problem) if a.args[0].size >= least]


def large_cvar(problem: cp.Problem) -> bool:
    """A CVaR term the dispatcher would take to cutting planes by its size (or a forced
    method): only then is a note due."""
    return bool(_eligible(problem))


def lp_line(compiled: Any, why: str | None = None, solver: str | None = None) -> str | None:
    """'CVaR of <place> over N scenarios solved as the Rockafellar-Uryasev LP: <why>' for a
    `CompiledModel` whose large CVaR does not reach the cutting planes; None when it does (the
    dispatcher's own note is located) or when no term is large. `why` None: the reason the
    dispatcher would give (a solver asked for, a counterpart that is not an LP)."""
    problem = compiled.problem
    atoms = _eligible(problem)
    if not atoms:
        return None
    largest = max(a.args[0].size for a in atoms)
    if why is None:
        if type(problem) is not cp.Problem:
            why = SADDLE_POINT
        else:
            plan = cvar_terms.plan(problem, solver)
            if plan.method == "lp":
                why = plan.reason or None
            elif not is_linear(problem):
                why = NOT_LINEAR
        if why is None:
            return None
    where = cvar_terms.places(compiled.lowered, compiled.model.objective.name, atoms)
    return (f"CVaR of {where} over {largest:,} scenarios solved as the Rockafellar-Uryasev "
            f"LP: {why}")


def replace_unlocated(notes: list[str], line: str | None) -> None:
    """The dispatcher's own fallback note names no place (and, for a robust model, can blame
    a solver the robust backend chose, not the user): `line` stands in for it."""
    if line is None:
        return
    notes[:] = [n for n in notes if not (n.startswith("CVaR over ") and
                                         "Rockafellar-Uryasev LP" in n)]
    notes.append(line)


def check_line(compiled: Any) -> str | None:
    """`saddle check`'s CVaR line for a robust or rolling model (a plain one's is
    scenario_cvar.describe): the solve's located fallback note, or, where the robust
    counterpart takes the cutting planes, the dispatcher's line with the place."""
    from compiler.scale.scenario_cvar import describe

    backend = getattr(compiled, "backend", "")
    if backend in ("counterpart", "dsp"):
        inner = compiled.compiled
        line = lp_line(inner)
        if line is not None or backend == "dsp":
            return line
        described = describe(inner)
        if described is None or not described.startswith("CVaR over "):
            return described
        atoms = _eligible(inner.problem) or cvar_terms.problem_atoms(inner.problem)
        where = cvar_terms.places(inner.lowered, inner.model.objective.name, atoms)
        return f"CVaR of {where} over " + described[len("CVaR over "):]
    line = getattr(compiled, "cvar_line", None)  # a rolling model's
    return line() if callable(line) else None
