"""A `Diagnosis` as the paragraph `saddle solve` prints and as the JSON `"diagnosis"` object."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from compiler.report.result import flat_values

if TYPE_CHECKING:
    from compiler.diagnosis.diagnose import ConflictItem, Diagnosis


def _number(value: float) -> str:
    return f"{value:.6g}"


def _plain(value: Any) -> Any:
    number = float(value)
    return None if math.isnan(number) else number


def diagnosis_dict(diagnosis: Diagnosis) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": diagnosis.kind}
    if diagnosis.kind == "infeasible":
        out["conflict"] = [item.to_dict() for item in diagnosis.conflict]
        out["irreducible"] = diagnosis.irreducible
        out["cleared"] = list(diagnosis.cleared)
        out["violations"] = {k: _plain(v) for k, v in diagnosis.violations.items()}
    if diagnosis.kind == "unbounded":
        out["direction"] = {k: _plain(v) for k, v in flat_values(diagnosis.direction).items()}
        out["gain"] = diagnosis.gain
    out["notes"] = list(diagnosis.notes)
    out["solves"] = diagnosis.solves
    out["seconds"] = diagnosis.seconds
    return out


def _shown(item: ConflictItem) -> str:
    if item.every_element and len(item.elements) > 1:
        return f"{item.title} (every label)"
    return ", ".join(item.elements)


def _item_lines(item: ConflictItem, width: int) -> list[str]:
    lines = [f"  - {_shown(item):<{width}}  {item.where}  {item.text}"]
    if item.uncertain:
        names = ", ".join(f"'{u}'" for u in item.uncertain)
        lines.append(f"    {'':<{width}}  in its worst case: for every {names} in its set")
    if item.note:
        lines.append(f"    {'':<{width}}  {item.note}")
    return lines


def diagnosis_lines(diagnosis: Diagnosis) -> list[str]:
    if diagnosis.kind == "infeasible":
        lines = _infeasible(diagnosis)
    elif diagnosis.kind == "unbounded":
        lines = _unbounded(diagnosis)
    else:
        lines = ["diagnosis: the cause was not determined"]
    lines += [f"  - {note}" for note in diagnosis.notes]
    return lines


def _infeasible(diagnosis: Diagnosis) -> list[str]:
    lines = ["diagnosis: infeasible"]
    if diagnosis.conflict:
        minimal = ("an irreducible subset: without any one of them the rest can hold"
                   if diagnosis.irreducible else "a subset, not proven minimal")
        lines.append(f"  these cannot all hold together ({minimal}):")
        width = max(len(_shown(item)) for item in diagnosis.conflict)
        for item in diagnosis.conflict:
            lines += _item_lines(item, width)
    if diagnosis.cleared:
        lines.append(f"  not part of this conflict: {', '.join(diagnosis.cleared)}")
    if diagnosis.violations:
        lines.append("  least total violation (each named constraint and bound relaxed by a "
                     "slack >= 0, the slacks' sum minimized; in each constraint's own units):")
        width = max(len(k) for k in diagnosis.violations)
        lines += [f"    {k:<{width}}  {_number(v)}" for k, v in diagnosis.violations.items()]
    return lines


def _unbounded(diagnosis: Diagnosis) -> list[str]:
    verb = "rises" if diagnosis.sense == "maximize" else "falls"
    lines = ["diagnosis: unbounded",
             f"  '{diagnosis.objective}' {verb} without limit along this direction, and every "
             f"constraint holds all along it (each decision's change per unit step; the "
             f"largest change is 1 in size):"]
    flat = flat_values(diagnosis.direction)
    width = max([len(k) for k in flat] + [1])
    lines += [f"    {k:<{width}}  {_number(v)}" for k, v in flat.items()]
    if diagnosis.gain is not None:
        lines.append(f"  '{diagnosis.objective}' {verb} by {_number(diagnosis.gain)} per unit "
                     f"step; bound the decisions this direction moves (a capital, leverage or "
                     f"position limit)")
    return lines
