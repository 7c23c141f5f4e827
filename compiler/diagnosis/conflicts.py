"""Which named constraints conflict, for an infeasible model.

* `irreducible_subset`: a deletion filter over the named items (`named_rows.NamedRows`),
  refined to their elements (`name[label]`) where an item is indexed. An item is dropped
  for good when the rest is still infeasible; what is left is infeasible, and dropping any
  one element of it makes it feasible. Elements are tried in halves first, so an indexed
  constraint with one culprit label costs about 2 log n solves rather than n.
* `least_violation`: the elastic problem. Every element of every item gets a nonnegative
  slack (g <= s, |g| <= s for equalities); the sum of the slacks is minimized, and each
  nonzero slack says by how much, in that constraint's own units, it would have to move.

Both re-solve the feasibility problem only (no objective), so a mixed-integer model stays
mixed-integer, and a robust constraint counts by its worst case.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from compiler.backends.solver_choice import MIP_DEFAULTS, NoSolver, default_solver
from compiler.backends.solver_output import solve_problem
from compiler.diagnosis.named_rows import NamedRows

MAX_SOLVES = 120  # feasibility solves the deletion filter may spend
MAX_SECONDS = 30.0  # and wall-clock seconds; past either it stops, and says so
MAX_ELEMENTS = 2000  # elements beyond which no deletion filter runs (the elastic one does)
VIOLATION_TOLERANCE = 1e-6  # a slack this small is the solver's noise, not a violation
FEASIBLE = ("optimal", "optimal_inaccurate")
INFEASIBLE = ("infeasible", "infeasible_inaccurate")
UNBOUNDED = ("unbounded", "unbounded_inaccurate")  # feasible too

Key = tuple[int, int]  # (item position, element position)


def solve(problem: cp.Problem) -> str:
    """The status of one diagnostic solve ("solver_error" if the solver gives up)."""
    try:
        name = default_solver(problem)
        options = MIP_DEFAULTS if name == "HIGHS" and problem.is_mixed_integer() else {}
        solve_problem(problem, name, **options)
    except (cp.error.SolverError, NoSolver):
        return "solver_error"
    return str(problem.status)


@dataclass
class Feasibility:
    """Feasibility of the model with only some elements of its named items kept."""

    items: list[NamedRows]
    hard: list[cp.Constraint]
    # the model's own objective: where a solver fails on the bare feasibility problem
    # (Clarabel does on the bond models' exponential cones), it decides with the objective
    objective: cp.Minimize | cp.Maximize | None = None
    solves: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def exhausted(self) -> bool:
        return self.solves >= MAX_SOLVES or time.perf_counter() - self.started > MAX_SECONDS

    def check(self, kept: set[Key]) -> bool | None:
        """True feasible, False infeasible, None unknown (a solver failure, or no budget)."""
        if self.exhausted:
            return None
        rows = list(self.hard)
        for i, item in enumerate(self.items):
            mask = np.array([(i, k) in kept for k in range(item.size)])
            rows += item.constraints(mask)
        self.solves += 1
        status = solve(cp.Problem(cp.Minimize(0), rows))
        if status not in FEASIBLE + INFEASIBLE and self.objective is not None:
            status = solve(cp.Problem(self.objective, rows))
        if status in FEASIBLE + UNBOUNDED:
            return True
        return False if status in INFEASIBLE else None


@dataclass
class Conflict:
    """The kept elements of each item (by item position) and whether that is proven minimal."""

    kept: dict[int, list[int]]
    irreducible: bool
    notes: list[str] = field(default_factory=list)


def irreducible_subset(feasibility: Feasibility) -> Conflict | bool | None:
    """A conflict among the named items; True if they hold together after all (the trouble
    is elsewhere), None if even that cannot be told or the model is too large to search."""
    items = feasibility.items
    total = sum(item.size for item in items)
    if total > MAX_ELEMENTS:
        return None
    kept = {(i, k) for i, item in enumerate(items) for k in range(item.size)}
    first = feasibility.check(kept)
    if first is not False:
        return first
    unsure: list[Key] = []
    for i, item in enumerate(items):
        _drop(feasibility, kept, [(i, k) for k in range(item.size)], unsure)
    conflict = Conflict({}, irreducible=not unsure)
    for i, k in sorted(kept):
        conflict.kept.setdefault(i, []).append(k)
    if unsure:
        reason = (f"the search stopped after {feasibility.solves} solves"
                  if feasibility.exhausted else "some solves failed")
        conflict.notes.append(f"{reason}, so this subset may not be minimal "
                              f"({len(unsure)} elements could not be tested)")
    return conflict


def _drop(feasibility: Feasibility, kept: set[Key], chunk: list[Key],
          unsure: list[Key]) -> None:
    """Drop `chunk` if the rest stays infeasible; otherwise try its parts."""
    verdict = feasibility.check(kept - set(chunk))
    if verdict is False:
        kept.difference_update(chunk)
        return
    if verdict is None and feasibility.exhausted:
        unsure.extend(chunk)
        return
    if len(chunk) == 1:
        if verdict is None:
            unsure.extend(chunk)
        return
    parts = ([[key] for key in chunk] if len(chunk) <= 4
             else [chunk[:len(chunk) // 2], chunk[len(chunk) // 2:]])
    for part in parts:
        _drop(feasibility, kept, part, unsure)


@dataclass
class Violation:
    item: int
    element: int
    amount: float


def least_violation(items: list[NamedRows], hard: list[cp.Constraint]
                    ) -> list[Violation] | None:
    """The elastic problem's nonzero slacks, largest first (None if it did not solve)."""
    if not items:
        return None
    slacks = [cp.Variable(item.size, nonneg=True) for item in items]
    rows = list(hard) + [c for item, s in zip(items, slacks, strict=True)
                         for c in item.relaxed(s)]
    problem = cp.Problem(cp.Minimize(cp.sum(cp.hstack([cp.sum(s) for s in slacks]))), rows)
    if solve(problem) not in FEASIBLE:
        return None
    found = [Violation(i, k, float(amount)) for i, s in enumerate(slacks)
             for k, amount in enumerate(np.asarray(s.value, dtype=float).reshape(-1))
             if amount > VIOLATION_TOLERANCE]
    return sorted(found, key=lambda v: -v.amount)
