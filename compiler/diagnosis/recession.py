"""A direction that earns without limit, for an unbounded model.

The model is solved twice with every decision boxed (|x| <= R, then |x| <= 10 R, R a
thousand times the size of a feasible point); past some radius the optimum moves along a
recession direction d of the feasible set that improves the objective, so d is the
difference of the two solutions, scaled so its largest entry is ±1. It is checked, not
trusted: from the second solution p, the points p + t d for two larger steps t must satisfy
every constraint (each named row evaluated in numpy, to a tolerance relative to the point's
size; rows with auxiliary variables by a solve with the decisions fixed) and the objective
must improve at each. The reported gain is the objective's change per unit step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from compiler.diagnosis.conflicts import FEASIBLE, solve
from compiler.diagnosis.named_rows import NamedRows
from compiler.passes.symbols import Symbol

if TYPE_CHECKING:
    from compiler.backends.plain import CompiledModel

FIRST_RADIUS = 1e3  # times the largest entry of a feasible point
ZERO = 1e-9  # entries of the scaled direction below this are the solvers' noise
TOLERANCE = 1e-6  # violation allowed, relative to the size of the point


def plain_objective(problem: cp.Problem) -> bool:
    """A DCP minimize or maximize (not the objective of a `dsp.SaddlePointProblem`)."""
    objective = problem.objective
    return isinstance(objective, cp.Minimize | cp.Maximize) and objective.is_dcp()


@dataclass
class Ray:
    """`direction` by decision (flat C-order arrays); `gain` per unit step, positive."""

    direction: dict[Symbol, np.ndarray]
    gain: float
    steps: list[float] = field(default_factory=list)


class Recession:
    """The search for a `Ray` in a compiled model, with its named rows (`named_rows`)."""

    def __init__(self, compiled: CompiledModel, items: list[NamedRows],
                 hard: list[cp.Constraint]):
        self.problem = compiled.problem
        self.items, self.hard = items, hard
        self.decisions = dict(compiled.lowered.variables)
        self.exact = compiled.lowered.exact
        self.ids = {id(v) for v in self.decisions.values()}

    def find(self) -> Ray | str:
        """The verified direction, or the reason there is none."""
        objective = self.problem.objective
        if not plain_objective(self.problem):
            return "the objective is a saddle-point form with no closed-form counterpart"
        constraints = self.problem.constraints
        if solve(cp.Problem(cp.Minimize(0), constraints)) not in FEASIBLE:
            return "no feasible point was found to start from"
        scale = max([1.0] + [float(np.max(np.abs(v.value))) for v in self.decisions.values()
                             if v.value is not None and v.size])
        first = self._boxed(objective, constraints, FIRST_RADIUS * scale)
        second = self._boxed(objective, constraints, 10 * FIRST_RADIUS * scale)
        if first is None or second is None:
            return "the model with every decision boxed did not solve"
        step = {s: second[s] - first[s] for s in second}
        size = max(float(np.max(np.abs(v))) for v in step.values())
        if size <= 1e-6 * FIRST_RADIUS * scale:
            return "the optimum does not move when the decisions' box grows"
        direction = {s: np.where(np.abs(v / size) < ZERO, 0.0, v / size) for s, v in step.items()}
        return self._verify(objective, second, direction, FIRST_RADIUS * scale)

    def _boxed(self, objective: Any, constraints: list[cp.Constraint],
               radius: float) -> dict[Symbol, np.ndarray] | None:
        box = [c for v in self.decisions.values() for c in (v <= radius, v >= -radius)]
        if solve(cp.Problem(objective, list(constraints) + box)) not in FEASIBLE:
            return None
        return {s: np.asarray(v.value, dtype=float).reshape(-1)
                for s, v in self.decisions.items()}

    def _verify(self, objective: Any, start: dict[Symbol, np.ndarray],
                direction: dict[Symbol, np.ndarray], radius: float) -> Ray | str:
        sign = 1.0 if isinstance(objective, cp.Maximize) else -1.0
        steps = [10 * radius, 100 * radius]
        values = []
        for t in [0.0] + steps:
            point = {s: start[s] + t * direction[s] for s in start}
            value = self._objective_at(objective, point)
            if value is None:
                return f"a point along the direction (step {t:.3g}) breaks a constraint"
            values.append(sign * value)
        gains = np.diff(values) / np.diff([0.0] + steps)
        if not np.all(gains > 0):
            return "the objective does not improve along the direction found"
        return Ray(direction, float(gains[-1]), steps)

    def _set(self, point: dict[Symbol, np.ndarray]) -> None:
        for s, v in self.decisions.items():
            v.value = point[s].reshape(v.shape, order="C") if v.shape else point[s][0]

    def _pure(self, expression: Any) -> bool:
        return all(id(v) in self.ids for v in expression.variables())

    def _objective_at(self, objective: Any, point: dict[Symbol, np.ndarray]) -> float | None:
        """The objective at `point`, or None if a constraint fails there."""
        size = max(1.0, max(float(np.max(np.abs(v))) for v in point.values()))
        tolerance = TOLERANCE * size
        self._set(point)
        solved: list[cp.Constraint] = list(self.hard)
        for item in self.items:
            if item.name in self.exact and item.kind == "constraint":
                if not self._exact_holds(item.name, tolerance):
                    return None
                continue
            for g, equality in item.rows:
                if not self._pure(g):
                    solved.append(g == 0 if equality else g <= 0)
                    continue
                value = np.asarray(g.value, dtype=float)
                if np.any((np.abs(value) if equality else value) > tolerance):
                    return None
        expression = objective.expr
        if not solved and self._pure(expression):
            return float(expression.value)
        fixed = [v == v.value for v in self.decisions.values()]
        goal = objective if not self._pure(expression) else cp.Minimize(0)
        problem = cp.Problem(goal, solved + fixed)
        if solve(problem) not in FEASIBLE:
            return None
        self._set(point)
        return float(expression.value)

    def _exact_holds(self, name: str, tolerance: float) -> bool:
        form = self.exact[name]
        x = np.abs(np.asarray(self.decisions[form.variable].value, dtype=float))
        a, m = form.threshold, form.big_m
        ok = (x <= m + tolerance) & ((x >= a - tolerance) | (form.allow_zero & (x <= tolerance)))
        return bool(np.all(ok))
