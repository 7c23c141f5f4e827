"""Infeasible and unbounded models explained in the model's own names.

`diagnose(compiled, status)` runs when a solve ends infeasible or unbounded (lazily: when
the result is printed, serialized, or `Result.diagnosis` is read). For an infeasible model
it names an irreducible subset of the named constraints and declared bounds that cannot
hold together (`conflicts.irreducible_subset`) and the least total violation
(`conflicts.least_violation`); for an unbounded one, a direction along which the objective
improves without limit, checked (`recession.Recession`). A model whose constraints do hold
together although the solver said "infeasible" (DSP does, for a game the decisions win
without limit) is tested for unboundedness instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from compiler.diagnosis import conflicts
from compiler.diagnosis.conflicts import Conflict, Feasibility, irreducible_subset, least_violation
from compiler.diagnosis.domains import blocking_domain
from compiler.diagnosis.named_rows import NamedRows, named_rows
from compiler.diagnosis.recession import Ray, Recession, plain_objective
from compiler.diagnosis.report import diagnosis_dict, diagnosis_lines
from dsl.errors import SpecError

if TYPE_CHECKING:
    from compiler.backends.plain import CompiledModel


@dataclass
class ConflictItem:
    """One named constraint (or a variable's bounds) in the conflict, with its elements."""

    name: str
    kind: str  # "constraint", "bounds" or "domain" (a function of the objective's)
    where: str  # file:line of its declaration
    text: str
    elements: list[str]  # `name[label]` of each element in the conflict
    every_element: bool
    uncertain: list[str] = field(default_factory=list)  # robust: its worst case counts
    note: str = ""

    @property
    def title(self) -> str:
        return self.name if self.kind != "bounds" else f"the bounds of '{self.name}'"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "where": self.where, "text": self.text,
                "elements": list(self.elements), "uncertain": list(self.uncertain)}


@dataclass
class Diagnosis:
    """What `Result.diagnosis` holds for an infeasible or unbounded model."""

    kind: str  # "infeasible", "unbounded", or "undetermined"
    conflict: list[ConflictItem] = field(default_factory=list)
    irreducible: bool = False
    cleared: list[str] = field(default_factory=list)  # named items not in the conflict
    violations: dict[str, float] = field(default_factory=dict)  # element -> slack
    direction: dict[str, Any] = field(default_factory=dict)  # decision -> labelled values
    gain: float | None = None  # the objective's improvement per unit step along it
    objective: str = ""
    sense: str = ""
    notes: list[str] = field(default_factory=list)
    solves: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return diagnosis_dict(self)

    def lines(self) -> list[str]:
        """The paragraph `saddle solve` prints."""
        return diagnosis_lines(self)


def diagnose(compiled: CompiledModel, status: str,
             robust: dict[str, list[str]] | None = None) -> Diagnosis | None:
    """Explain a non-optimal `status` of `compiled` (None for other statuses); `robust`
    maps each robust constraint to its uncertain quantities (its worst case counts)."""
    if not (status.startswith("infeasible") or status.startswith("unbounded")):
        return None
    model = compiled.model
    diagnosis = Diagnosis("undetermined", objective=model.objective.name,
                          sense=model.objective.sense.value)
    started = time.perf_counter()
    try:
        _diagnose(diagnosis, compiled, status, robust)
    except Exception as exc:  # the report it belongs to must still print
        diagnosis.kind = "undetermined"
        diagnosis.notes.append(f"the diagnosis failed ({type(exc).__name__}: {exc}); this is "
                               f"a bug in Saddle, please report it with the model file")
    diagnosis.seconds = time.perf_counter() - started
    return diagnosis


def _diagnose(diagnosis: Diagnosis, compiled: CompiledModel, status: str,
              robust: dict[str, list[str]] | None) -> None:
    items, hard = named_rows(compiled, robust)
    problem = compiled.problem
    feasibility = Feasibility(items, hard, problem.objective if plain_objective(problem)
                              else None)
    if status.startswith("infeasible"):
        found = irreducible_subset(feasibility)
        if isinstance(found, Conflict):
            _conflict(diagnosis, items, hard, found)
        elif found is None:
            diagnosis.notes.append(_not_searched(items, feasibility))
            _conflict(diagnosis, items, hard, None)
        else:
            _objective_domain(diagnosis, compiled, items, feasibility, status)
    diagnosis.solves = feasibility.solves
    if diagnosis.kind == "undetermined":
        _direction(diagnosis, compiled, items, hard)


def _objective_domain(diagnosis: Diagnosis, compiled: CompiledModel, items: list[NamedRows],
                      feasibility: Feasibility, status: str) -> None:
    """The named constraints hold together: a function of the objective whose domain they
    rule out is the cause (then the conflict is searched with that domain as a hard row)."""
    blocking = blocking_domain(feasibility, compiled.problem.objective)
    if blocking is None:
        diagnosis.notes.append(f"the solver said '{status}', but the constraints hold "
                               f"together: the trouble is the objective")
        return
    span = compiled.model.objective.span
    hard = feasibility.hard + blocking.rows
    found = irreducible_subset(Feasibility(items, hard))
    _conflict(diagnosis, items, hard, found if isinstance(found, Conflict) else None)
    diagnosis.conflict.insert(0, ConflictItem(
        f"the domain of {blocking.text}", "domain", f"{span.source.name}:{span.line}",
        f"{blocking.condition} (in objective '{compiled.model.objective.name}')",
        [f"the domain of {blocking.text}"], True))
    diagnosis.notes.append(f"the objective's {blocking.text} is defined only where "
                           f"{blocking.condition}; the constraints rule that out")


def _not_searched(items: list[NamedRows], feasibility: Feasibility) -> str:
    total = sum(item.size for item in items)
    if total > conflicts.MAX_ELEMENTS:
        return (f"no irreducible subset was searched: the model has {total} constraint "
                f"elements (more than {conflicts.MAX_ELEMENTS}); the least violation still "
                f"points at the culprits")
    return "the feasibility problem itself could not be solved; no subset was searched"


def _conflict(diagnosis: Diagnosis, items: list[NamedRows], hard: list[Any],
              found: Conflict | None) -> None:
    diagnosis.kind = "infeasible"
    if found is not None:
        diagnosis.irreducible = found.irreducible
        diagnosis.notes += found.notes
        for i, elements in found.kept.items():
            item = items[i]
            diagnosis.conflict.append(ConflictItem(
                item.name, item.kind, item.where, item.text,
                [item.element(k) for k in elements], len(elements) == item.size,
                item.uncertain, item.note))
        if not found.kept:
            diagnosis.notes.append("no named constraint is needed for the conflict: the "
                                   "declarations alone (variable flags, uncertainty sets) "
                                   "admit no point")
        diagnosis.cleared = [items[i].title() for i in range(len(items))
                             if i not in found.kept]
    violations = least_violation(items, hard)
    if violations is None:
        diagnosis.notes.append("the least-violation problem did not solve")
        return
    diagnosis.violations = {items[v.item].element(v.element): v.amount for v in violations}


def _direction(diagnosis: Diagnosis, compiled: CompiledModel, items: list[NamedRows],
               hard: list[Any]) -> None:
    found = Recession(compiled, items, hard).find()
    if not isinstance(found, Ray):
        diagnosis.notes.append(f"no direction of unbounded improvement was found: {found}")
        return
    diagnosis.kind = "unbounded"
    diagnosis.gain = found.gain
    for symbol, values in found.direction.items():
        diagnosis.direction[symbol.name] = compiled.labelled(
            values.reshape(tuple(compiled.bindings.size(s) for s in symbol.index)),
            symbol.index)
    diagnosis.notes.append(f"checked: every constraint holds at steps {found.steps[0]:.3g} "
                           f"and {found.steps[1]:.3g} along it from a feasible point, and "
                           f"'{diagnosis.objective}' improves at each")


def diagnose_robust(robust: Any, status: str) -> Diagnosis | None:
    """`diagnose` for a `saddle.RobustModel`: its robust constraints count by their worst
    case; a saddle-point objective (no plain objective to push) is diagnosed on the model's
    closed-form counterpart when it has one."""
    compiled = robust.compiled
    if not plain_objective(compiled.problem) and robust.counterpart_available:
        try:
            compiled = type(robust)(robust.model, robust.shapes, robust.bindings, robust.sets,
                                    robust.robust, robust.exact, "counterpart", []).compiled
        except SpecError:
            pass  # the saddle-point form stays: the diagnosis says it has no direction
    uncertain = {name: sorted(u.name for u in found) for name, found in robust.robust.items()}
    return diagnose(compiled, status, uncertain)
