"""The robustness certificate of a robust answer: each worst case measured again, apart.

After a robust solve (either backend) the decision is fixed and the adversary's problem is
solved on its own (`adversary.py`: closed forms for the standard sets, else a conic problem
over the sets as declared) for the objective and for each element of each robust
constraint (each part of a chained one). Each entry compares that worst case with the
solve's own: the objective's reported value, a robust row's worst case as the solve's
slack implies it; `gap` = |own - measured|.

Tolerance: 1e-6 * max(1, |worst|, |limit|) (1e-6 relative with a 1e-6 absolute floor; the
solvers stop at 1e-7..1e-8). The objective is certified when its gap is within it: the
answer's objective is its worst case at the decision. A robust row is certified when it
holds in the measured worst case (slack >= -tolerance) and the solve's own worst case is
not below the measured one by more than the tolerance (the solve did not underrate the
adversary). The solve's own value may lie above the measured one ("bound"): the LP-dual
multipliers of a budget set or a polyhedron need only be feasible, and a solver returns
any feasible ones where the row's dual is 0, so a row's own value is an upper bound, not a
measurement. That is why robust rows report the measured worst case as their value and
slack (the value is the worst case of the uncertain side, the limit the other side, as in
a plain row). A result with an element not certified is "optimal_uncertified", and a note
names it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from compiler.backends.adversary import Adversary, Unanswered
from compiler.backends.plain import BINDING_TOLERANCE, labelled
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.passes import ir
from compiler.passes.symbols import Symbol
from compiler.report.result import CertificateEntry, ConstraintReport, Result
from dsl.errors import SpecError

if TYPE_CHECKING:
    from compiler.backends.dsp import RobustModel

RELATIVE = 1e-6  # of max(1, |worst|, |limit|): the tolerance of agreement and of slack
UNCERTIFIED = "optimal_uncertified"
# Clarabel's settings for a second solve of an answer not certified (dsp.py)
TIGHTER = {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9}
SHOWN = 3  # elements named in a note


def certify(robust: RobustModel, result: Result) -> None:
    """Measure the objective's and every robust row's worst case at `result`'s decision:
    fills `result.certificate` and `result.gap`, reports robust rows by their measured worst
    case, and marks an answer that does not check out (status and a note)."""
    point = decision_point(robust)
    if point is None:
        return
    adversary = Adversary(robust, point)
    objective = robust.model.objective
    key = objective.name if objective.name not in robust.shapes.constraints else \
        f"{objective.name} (objective)"
    entry = _objective_entry(robust, adversary, result)
    result.certificate[key] = entry
    result.gap = None if entry.gap is None else float(np.asarray(entry.gap))
    _note(result, key, entry, [key])
    for con in robust.model.constraints:
        condition = con.condition
        if con.name not in robust.robust or not isinstance(condition, ir.Comparison):
            continue
        measured: list[_Part] = []
        for k, op in enumerate(condition.ops):
            label = con.name if len(condition.ops) == 1 else f"{con.name} (part {k + 1})"
            part = _part(robust, adversary, con, k, op, result)
            if isinstance(part, str):
                result.certificate[label] = CertificateEntry(None, None, None, None, None,
                                                             False, "unanswered")
                result.notes.append(f"not certified: the worst case of '{label}' could not "
                                    f"be measured at the decision: {part}")
                measured = []
                break
            result.certificate[label] = part.entry
            _note(result, label, part.entry, part.labels)
            measured.append(part)
        if measured:
            result.constraints[con.name] = _report(robust, con, measured,
                                                   result.constraints.get(con.name))
    if result.certified is False and result.status == "optimal":
        result.status = UNCERTIFIED


def decision_point(robust: RobustModel) -> dict[Symbol, np.ndarray] | None:
    """Each decision's value, within its declared data bounds (a solver's -1e-10 on a
    `>= 0` holding is the 0 the model means: a log-sum-exp weight must not be negative)."""
    ev = Evaluator(robust.shapes, robust.bindings)
    point = {}
    for definition in robust.model.variables:
        variable = robust.compiled.lowered.variables.get(definition.symbol)
        if variable is None:
            return None
        # a decision the problem never uses keeps no value: any value is its answer
        value = np.zeros(variable.shape) if variable.value is None else \
            np.asarray(variable.value, dtype=float)
        sizes = ev.sizes(definition.symbol.index)
        for bound, clip in ((definition.lower, np.maximum), (definition.upper, np.minimum)):
            if bound is None:
                continue
            try:
                level = ev(bound)
            except (SpecError, RuntimeError):
                continue  # a bound that is not data
            if not tensor.is_expr(level):
                value = clip(value, np.asarray(tensor.broadcast(
                    level, ev.index(bound), definition.symbol.index, sizes), dtype=float))
        point[definition.symbol] = value.reshape(variable.shape)
    return point


def _objective_entry(robust: RobustModel, adversary: Adversary,
                     result: Result) -> CertificateEntry:
    objective = robust.model.objective
    own = result.objective
    sign = 1.0 if objective.sense is ir.Sense.MINIMIZE else -1.0
    try:
        values, method = adversary.extremes(objective.expr, None, (), sign)
    except (Unanswered, SpecError) as exc:
        result.notes.append(f"not certified: the worst case of objective '{objective.name}' "
                            f"could not be measured at the decision: {_reason(exc)}")
        return CertificateEntry(None, None, None, own, None, False, "unanswered")
    worst = float(values[0])
    gap = abs(own - worst) if own is not None else math.inf
    agrees = gap <= RELATIVE * max(1.0, abs(worst))
    return CertificateEntry(worst, None, None, own, gap, bool(agrees), method)


class _Part:
    """One part of a robust constraint, measured: flat arrays over its elements."""

    def __init__(self, entry: CertificateEntry, worst: np.ndarray, slack: np.ndarray,
                 limit: np.ndarray, labels: list[str]):
        self.entry, self.worst, self.slack, self.limit = entry, worst, slack, limit
        self.labels = labels


def _part(robust: RobustModel, adversary: Adversary, con: ir.Constraint, k: int,
          op: ir.Relation, result: Result) -> _Part | str:
    """Part k of `con`: the adversary maximizes high - low per element."""
    condition = con.condition
    lhs, rhs = condition.terms[k], condition.terms[k + 1]  # type: ignore[union-attr]
    high, low = (lhs, rhs) if op is ir.Relation.LE else (rhs, lhs)
    index = robust.shapes.constraints[con.name]
    shape = tuple(robust.bindings.size(s) for s in index)
    try:
        most, method = adversary.extremes(high, low, index, 1.0)  # max of high - low
        parts = robust.compiled.lowered.parts.get(con.name) or []
        own_most = -_part_slack(parts[k], shape) if k < len(parts) else None
        if own_most is None:
            return "the solve kept no value for it"
        uncertain_high, uncertain_low = adversary.uncertain_in(high), \
            adversary.uncertain_in(low)
        if uncertain_high and not uncertain_low:  # worst = max of high, limit = low
            limit = adversary.value(low, index)
            worst, own = most + limit, own_most + limit
        elif uncertain_low and not uncertain_high:  # worst = min of low, limit = high
            limit = adversary.value(high, index)
            worst, own = limit - most, limit - own_most
        else:  # both sides: the worst case of lhs - rhs against 0
            limit = np.zeros_like(most)
            flip = 1.0 if op is ir.Relation.LE else -1.0
            worst, own = flip * most, flip * own_most
    except (Unanswered, SpecError) as exc:
        return _reason(exc)
    slack = -most
    gap = np.abs(own - worst)
    tolerance = RELATIVE * np.maximum(1.0, np.maximum(np.abs(worst), np.abs(limit)))
    bound = own_most > most + tolerance  # the solve's own value only bounds it
    certified = (slack >= -tolerance) & (own_most >= most - tolerance)

    def shaped(values: np.ndarray) -> Any:
        return labelled(robust.bindings, values.reshape(shape), index)

    entry = CertificateEntry(shaped(worst), shaped(limit), shaped(slack), shaped(own),
                             shaped(gap), _flags(shaped(certified.astype(float)), index),
                             method, _flags(shaped(bound.astype(float)), index))
    labels = [_element(robust, con.name, index, shape, i) for i in range(most.size)]
    return _Part(entry, worst, slack, limit, labels)


def _at(values: np.ndarray | None, i: int, missing: float | None) -> float | None:
    return float(values[i]) if values is not None else missing


def _part_slack(part: Any, shape: tuple[int, ...]) -> np.ndarray:
    """The solve's own slack of a part (as `CompiledModel.report` computes it), flat."""
    lhs, rhs = (np.asarray(side.value if tensor.is_expr(side) else side, dtype=float)
                for side in (part.lhs, part.rhs))
    slack = rhs - lhs if part.op is ir.Relation.LE else lhs - rhs
    return np.broadcast_to(slack, shape).reshape(-1).astype(float)


def _report(robust: RobustModel, con: ir.Constraint, parts: list[_Part],
            solved: ConstraintReport | None) -> ConstraintReport:
    """The row as measured: per element, the part with the least slack gives the value
    (the uncertain side's worst case) and the slack; the dual stays the solve's."""
    index = robust.shapes.constraints[con.name]
    shape = tuple(robust.bindings.size(s) for s in index)
    slacks = np.vstack([p.slack for p in parts])
    tightest = np.argmin(slacks, axis=0)
    columns = np.arange(slacks.shape[1])
    slack = slacks[tightest, columns]
    value = np.vstack([p.worst for p in parts])[tightest, columns]
    limit = np.vstack([p.limit for p in parts])[tightest, columns]
    scale = np.maximum(1.0, np.maximum(np.abs(value), np.abs(limit)))
    binding = np.abs(slack) <= BINDING_TOLERANCE * scale

    def shaped(values: np.ndarray) -> Any:
        return labelled(robust.bindings, values.reshape(shape), index)

    return ConstraintReport(shaped(value), shaped(slack),
                            solved.dual if solved is not None else None,
                            _flags(shaped(binding.astype(float)), index))


def _note(result: Result, key: str, entry: CertificateEntry, labels: list[str]) -> None:
    """A note naming the elements that are not certified, with the numbers."""
    flags = np.asarray(entry.certified, dtype=bool).reshape(-1)
    if flags.all():
        return
    flat = {name: np.asarray(getattr(entry, name), dtype=float).reshape(-1)
            if getattr(entry, name) is not None else None
            for name in ("worst", "own", "gap", "slack")}
    said = []
    for i in np.flatnonzero(~flags)[:SHOWN]:
        worst, own, gap = (_at(flat[n], i, math.nan) for n in ("worst", "own", "gap"))
        slack = _at(flat["slack"], i, None)
        fails = f", and it fails there (slack {slack:.6g})" if slack is not None and \
            slack < 0 and not math.isclose(slack, 0.0, abs_tol=1e-12) else ""
        said.append(f"'{labels[i]}': the solve's worst case {own:.10g}, the adversary's "
                    f"problem solved again at the decision {worst:.10g} (gap {gap:.3g})"
                    f"{fails}")
    more = len(np.flatnonzero(~flags)) - SHOWN
    result.notes.append("not certified: " + "; ".join(said)
                        + (f"; and {more} more element(s) of '{key}'" if more > 0 else ""))


def _element(robust: RobustModel, name: str, index: tuple[Symbol, ...],
             shape: tuple[int, ...], i: int) -> str:
    if not index:
        return name
    position = np.unravel_index(i, shape)
    labels = [str(robust.bindings.labels_of(s)[p]) for s, p in zip(index, position,
                                                                   strict=True)]
    return f"{name}[{', '.join(labels)}]"


def _flags(value: Any, index: tuple[Symbol, ...]) -> Any:
    if not index:
        return bool(value)
    return value.astype(bool)


def _reason(exc: Exception) -> str:
    if isinstance(exc, SpecError) and exc.diagnostics:
        return exc.diagnostics[0].message
    return str(exc)
