"""Which open solver takes a compiled problem: by its class (LP, QP, conic) and integrality.

    LP, MILP                      -> HiGHS (exact vertices, branch and bound)
    mixed-integer QP or SOCP      -> SCIP (spatial branch and bound over second-order cones)
    QP, SOCP, exponential, PSD    -> Clarabel (interior point)

No open solver here takes a mixed-integer problem with exponential or PSD cones: that is
`NoSolver`, which `saddle check` reports at the model's integer declaration (E414).
"""

from __future__ import annotations

import functools

import cvxpy as cp
from cvxpy.atoms import EXP_ATOMS, PSD_ATOMS
from cvxpy.constraints import PSD, ExpCone

# HiGHS stops a MIP at a 1e-4 relative gap by default; a model's answer should be exact.
MIP_DEFAULTS = {"mip_rel_gap": 1e-9}


class NoSolver(Exception):
    """No installed solver takes this class of problem; the message says which class."""


@functools.cache
def installed_solvers() -> frozenset[str]:
    """cvxpy's installed solvers, found once: cvxpy tries to import every solver it knows
    on each call, which costs milliseconds per solve."""
    return frozenset(cp.installed_solvers())


def is_qp(problem: cp.Problem) -> bool:
    """A QP: quadratic objective, piecewise-linear constraints. Every constraint's whole
    expression is checked: cvxpy 1.7's `is_qp` looks only at the left side of `lhs <= rhs`
    (so `t <= -rel_entr(...)` passed for a QP)."""
    return problem.is_qp() and all(c.expr.is_pwl() for c in problem.constraints
                                   if hasattr(c, "expr"))


def is_linear(problem: cp.Problem) -> bool:
    """An LP or MILP: piecewise-linear objective and constraints (abs, max, cvar, ...)."""
    return is_qp(problem) and problem.objective.expr.is_pwl()


def hard_cones(problem: cp.Problem) -> list[str]:
    """The cones beyond second order that the problem needs: "exponential", "PSD"."""
    atoms = set(problem.atoms())  # the atom classes used
    kinds = {type(c) for c in problem.constraints}
    cones = []
    if ExpCone in kinds or atoms & set(EXP_ATOMS):
        cones.append("exponential")
    if PSD in kinds or atoms & set(PSD_ATOMS):
        cones.append("PSD")
    return cones


def problem_class(problem: cp.Problem) -> str:
    """"LP", "mixed-integer QP", "conic (exponential)", ...: what `saddle check` says."""
    integer = "mixed-integer " if problem.is_mixed_integer() else ""
    if is_linear(problem):
        return integer + "LP"
    if is_qp(problem):
        return integer + "QP"
    cones = hard_cones(problem)
    return integer + (f"conic ({', '.join(cones)})" if cones else "SOCP")


def _preferences(problem: cp.Problem) -> list[str]:
    mixed = problem.is_mixed_integer()
    if is_linear(problem):
        return ["HIGHS", "SCIP", "SCIPY"] if mixed else ["HIGHS", "CLARABEL", "SCIPY"]
    if mixed:  # SCIP takes quadratic objectives and second-order cones, not exp or PSD
        return [] if hard_cones(problem) else ["SCIP"]
    return ["CLARABEL", "SCS"]


def solver_method(problem: cp.Problem, solver: str) -> str:
    """How `solver` runs on this problem, for `saddle check`. HiGHS's LP default is its dual
    simplex: on the Rockafellar-Uryasev LP it was the fastest exact method at every size
    measured (n = 5 and 50, 1,000 to 10,000 scenarios: 2.5-3.5x faster than its IPM; PDLP
    stopped 1.2e-5 off; Clarabel was as fast or slower and 1e-9 to 7e-6 short), and above
    2,500 scenarios a CVaR term leaves the LP for cutting planes (compiler/scale/)."""
    if solver != "HIGHS":
        return ""
    return " (branch and cut)" if problem.is_mixed_integer() else " (dual simplex)"


def default_solver(problem: cp.Problem) -> str:
    """The installed solver Saddle uses for this problem (see the module docstring).

    Raises:
        NoSolver: no installed solver takes the problem's class.
    """
    installed = installed_solvers()
    for name in _preferences(problem):
        if name in installed:
            return name
    wanted = _preferences(problem)
    need = f"needs {' or '.join(wanted)}, which is not installed" if wanted else \
        "is taken by no open solver Saddle knows (SCIP takes mixed-integer QPs and SOCPs)"
    raise NoSolver(f"a {problem_class(problem)} problem {need}")
