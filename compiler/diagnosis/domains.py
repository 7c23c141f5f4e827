"""The objective's implicit constraints: the domains of its functions.

`log(x)`, `sqrt(x)`, `inv_pos(x)`, `entr(x)` and the like are defined only where their
argument is nonnegative. In a constraint that domain is part of the constraint, so the
conflict search sees it; in the objective it is not, so a model whose named constraints hold
together can still be infeasible because of what its objective needs. This finds which of
the objective's functions rules every decision out, by solving the feasibility problem with
that function's domain added.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cvxpy as cp

from compiler.diagnosis.conflicts import Feasibility
from compiler.lowering import tensor


@dataclass
class Domain:
    """One function of the objective and the rows of its domain."""

    text: str  # the function as cvxpy prints it, e.g. "log(w)"
    rows: list[cp.Constraint]

    @property
    def condition(self) -> str:
        return " and ".join(_readable(str(row)) for row in self.rows)


def _readable(row: str) -> str:
    """cvxpy prints a domain as `0.0 <= x`; a reader writes `x >= 0`."""
    head, sep, rest = row.partition(" <= ")
    return f"{rest} >= 0" if sep and head in ("0", "0.0") else row


def objective_domains(objective: Any) -> list[Domain]:
    """Each function of the objective with a domain of its own, once per printed form."""
    found: dict[str, Domain] = {}
    for atom in tensor.nodes(objective.expr if hasattr(objective, "expr") else objective):
        own = getattr(atom, "_domain", None)
        # a row of constants only (quad_over_lin(x, 1.0): 1.0 >= 0) rules nothing out
        rows = [row for row in (own() if callable(own) else []) if row.variables()]
        if rows and str(atom) not in found:
            found[str(atom)] = Domain(str(atom), list(rows))
    return list(found.values())


def blocking_domain(feasibility: Feasibility, objective: Any) -> Domain | None:
    """The first of the objective's domains that the named constraints rule out (all the
    named constraints kept), or None when each of them can hold with the constraints."""
    every = {(i, k) for i, item in enumerate(feasibility.items) for k in range(item.size)}
    for domain in objective_domains(objective):
        trial = Feasibility(feasibility.items, feasibility.hard + domain.rows)
        ruled_out = trial.check(every) is False
        feasibility.solves += trial.solves  # the diagnosis counts every solve it made
        if ruled_out:
            return domain
    return None
