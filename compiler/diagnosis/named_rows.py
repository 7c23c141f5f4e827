"""The named pieces of a compiled model that a diagnosis may drop or relax.

Each named constraint, and each decision variable's declared bounds, becomes a `NamedRows`:
its lowered rows written as g <= 0 (or g == 0), flattened in C order so element k is the
label `name[label]` the report prints. Robust constraints carry their worst-case form (the
counterpart's, or DSP's `saddle_max`), so their worst case is what counts. Exact forms are
lowered again with binaries of their own and a looser big-M. Everything else in the problem
(auxiliary rows of the counterpart, the uncertainty sets' rows, variable flags) is kept.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from compiler.passes import ir
from compiler.passes.symbols import Symbol

if TYPE_CHECKING:
    from compiler.backends.plain import CompiledModel

TEXT_WIDTH = 60
# An exact form's big-M is a bound on |x| implied by other constraints (or x's bounds). The
# diagnosis loosens it by this factor: exact while those constraints are present, and when
# one is dropped it no longer hides inside the form, so it shows up in the conflict.
LOOSER_BIG_M = 10.0


@dataclass
class NamedRows:
    """One named item: a constraint (`kind` "constraint") or a variable's bounds ("bounds")."""

    name: str
    kind: str
    where: str  # file:line of the declaration
    text: str  # the declaration, on one line
    labels: list[str]  # one per element; [""] for a scalar
    rows: list[tuple[cp.Expression, bool]] = field(default_factory=list)  # (flat g, g == 0)
    uncertain: list[str] = field(default_factory=list)  # a robust constraint's
    note: str = ""

    @property
    def size(self) -> int:
        return len(self.labels)

    def element(self, k: int) -> str:
        label = self.labels[k]
        shown = self.name if self.kind == "constraint" else f"bounds of {self.name}"
        return f"{shown}[{label}]" if label else shown

    def title(self) -> str:
        return self.name if self.kind == "constraint" else f"the bounds of '{self.name}'"

    def constraints(self, mask: np.ndarray) -> list[cp.Constraint]:
        """The rows of the elements where `mask` is true."""
        if mask.all():
            return [g == 0 if equality else g <= 0 for g, equality in self.rows]
        picked = np.flatnonzero(mask)
        if picked.size == 0:
            return []
        return [g[picked] == 0 if equality else g[picked] <= 0 for g, equality in self.rows]

    def relaxed(self, slack: cp.Variable) -> list[cp.Constraint]:
        """Every row moved by a nonnegative slack per element: g <= s (|g| <= s for g == 0)."""
        out = []
        for g, equality in self.rows:
            out.append(g <= slack)
            if equality:
                out.append(-g <= slack)
        return out


def _flat(expression: Any, size: int) -> cp.Expression:
    return cp.reshape(expression, (size,), order="C")


def _labels(compiled: CompiledModel, index: tuple[Symbol, ...]) -> list[str]:
    if not index:
        return [""]
    labels = [compiled.bindings.labels_of(s) for s in index]
    return [", ".join(str(x) for x in combo) for combo in itertools.product(*labels)]


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TEXT_WIDTH else line[:TEXT_WIDTH - 3] + "..."


def _rows_of(constraint: cp.Constraint, size: int) -> tuple[cp.Expression, bool]:
    """A lowered `lhs <= rhs` or `lhs == rhs` as (lhs - rhs flattened, is an equality)."""
    return _flat(constraint.expr, size), isinstance(constraint, cp.constraints.Equality)


def constraint_rows(compiled: CompiledModel, con: ir.Constraint,
                    robust: dict[str, list[str]]) -> NamedRows | None:
    lowered = compiled.lowered
    form = lowered.exact.get(con.name)
    index = form.variable.index if form is not None else compiled.shapes.constraints.get(
        con.name, ())
    labels = _labels(compiled, index)
    span = con.span
    item = NamedRows(con.name, "constraint", f"{span.source.name}:{span.line}",
                     _one_line(span.text), labels, uncertain=robust.get(con.name, []))
    if form is not None:
        if not (form.threshold > 0).any():
            return None  # dropped at lowering: it always holds
        x = lowered.variables[form.variable]
        binaries = [cp.Variable(x.shape, boolean=True) for _ in range(2 if form.allow_zero
                                                                        else 1)]
        loose = dataclasses.replace(
            form, big_m=LOOSER_BIG_M * np.maximum(form.big_m, form.threshold))
        item.rows = [_rows_of(c, len(labels)) for c in loose.rows(x, binaries)]
        item.note = f"an exact mixed-integer form, with big-M from {form.bound_source}"
        return item
    parts = lowered.parts.get(con.name)
    if not parts:
        return None
    item.rows = [_rows_of(p.constraint, len(labels)) for p in parts]
    return item


def _bound_of(constraint: cp.Constraint, decisions: dict[int, Symbol]) -> Symbol | None:
    """The decision a declared bound (`x <= hi` or `lo <= x`, data on the other side) is on."""
    if not isinstance(constraint, cp.constraints.Inequality):
        return None
    left, right = constraint.args
    for side, other in ((left, right), (right, left)):
        if id(side) in decisions and other.is_constant():
            return decisions[id(side)]
    return None


def named_rows(compiled: CompiledModel, robust: dict[str, list[str]] | None = None
               ) -> tuple[list[NamedRows], list[cp.Constraint]]:
    """The model's named items (constraints in declaration order, then declared bounds)
    and the rows that stay as they are."""
    model, lowered = compiled.model, compiled.lowered
    items = [item for con in model.constraints
             if (item := constraint_rows(compiled, con, robust or {})) is not None]
    decisions = {id(v): s for s, v in lowered.variables.items()}
    bounds: dict[Symbol, NamedRows] = {}
    hard: list[cp.Constraint] = []
    for constraint in lowered.extra:
        symbol = _bound_of(constraint, decisions)
        if symbol is None:
            hard.append(constraint)
            continue
        if symbol not in bounds:
            span = symbol.span
            line = span.source.line_text(span.line).split("#")[0]
            bounds[symbol] = NamedRows(symbol.name, "bounds", f"{span.source.name}:{span.line}",
                                       _one_line(line), _labels(compiled, symbol.index))
        bounds[symbol].rows.append(_rows_of(constraint, bounds[symbol].size))
    return items + list(bounds.values()), hard

