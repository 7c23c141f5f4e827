"""What a status that is not plainly optimal means, in the model's own names, and the check
that keeps a broken answer from being called optimal."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd

from compiler.passes import ir
from compiler.report.result import Result

# a reported optimum whose slack is below -1e-4 (scaled) breaks its constraint: far past
# any solver's feasibility tolerance (1e-6), so only a wrong status is caught
VIOLATION_TOLERANCE = 1e-4


def refuse_violations(result: Result) -> None:
    """A status is never "optimal" for an answer that breaks a constraint: measured on the
    report's slacks. Checked after SCIP, whose cvxpy interface returned "optimal" for a
    row 0 <= -1 (the other solvers' answers are checked by the tests and the fuzzer)."""
    broken = []
    for name, report in result.constraints.items():
        slack = np.asarray(report.slack if not isinstance(report.slack, pd.Series |
                                                          pd.DataFrame)
                           else report.slack.to_numpy(), dtype=float)
        value = np.asarray(report.value if not isinstance(report.value, pd.Series |
                                                          pd.DataFrame)
                           else report.value.to_numpy(), dtype=float) \
            if report.value is not None else np.zeros_like(slack)
        tolerance = VIOLATION_TOLERANCE * np.maximum(1.0, np.abs(value))
        if np.any(slack < -tolerance):
            broken.append(f"{name} (slack {float(np.min(slack)):.3g})")
    if broken:
        result.status = "solver_error"
        result.notes.append("the solver reported 'optimal', but its answer breaks "
                            f"{', '.join(broken)}: not reported as optimal")


def has_domains(problem: cp.Problem) -> bool:
    from compiler.diagnosis.domains import objective_domains  # only for an infeasible model

    return bool(objective_domains(problem.objective))


def explain_status(status: str, model: ir.Model, objective_domains: bool = False
                   ) -> list[str]:
    """A sentence in the model's own names for every status that is not plainly optimal;
    `objective_domains`: the objective has functions defined only on part of the line
    (log, sqrt, ...), whose domains are implicit constraints."""
    objective = f"'{model.objective.name}'"
    if status.startswith("infeasible"):
        # not every constraint is to blame: the diagnosis names a subset that conflicts
        rows = "the constraints" if model.constraints else "the variable bounds"
        domains = " and the domains of the objective's functions" if objective_domains else ""
        return [f"infeasible: no decision satisfies {rows}{domains} together; "
                f"relax a limit or check the data they use (a solve's diagnosis names the "
                f"ones in conflict)"]
    if status.startswith("unbounded"):
        direction = "up" if model.objective.sense is ir.Sense.MAXIMIZE else "down"
        return [f"unbounded: {objective} can be pushed {direction} without limit; bound the "
                f"decisions it uses (a capital, leverage or position limit)"]
    if status.endswith("inaccurate"):
        return [f"the solver reports '{status}': its answer may be off; try another solver "
                f"(--solver CLARABEL, SCS, HIGHS) or rescale the data"]
    if status not in ("optimal",):
        return [f"the solver stopped with status '{status}'"]
    return []
