"""Sets written as an indented block of constraints on u (no call after `in`).

* `PolyhedronSet`: every line linear (and bounds, sign flags): {A u <= b, E u = f},
  dualized by LP (`linear.py`), so the counterpart takes it.
* `ConvexBlock`: any other convex set; the saddle-point path only (no closed form).
* `PsdBlock`: a block on a `psd` (or `symmetric`) matrix: a matrix set, e.g. a worst-case
  covariance.

Their variable carries the declaration's flags, and `instance` adds the block's lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from compiler.passes import ir
from compiler.uncertainty.base import (
    MakeVariable,
    NoClosedForm,
    SetContext,
    UncertaintySet,
)
from compiler.uncertainty.boundedness import check_block, check_polyhedron
from compiler.uncertainty.linear import Polyhedron, polyhedron
from compiler.uncertainty.registry import register
from dsl.errors import error


@dataclass(eq=False)
class _Block(UncertaintySet):
    """What every block shares: u itself is the variable, with the declaration's flags."""

    flags_on_variable: ClassVar[bool] = True

    def variable(self, make: MakeVariable) -> tuple[Any, Any, list[Any]]:
        u = self.flagged_variable(make)
        return u, u, []  # its lines are the declaration's (`instance` adds them)

    def center(self) -> None:
        return None


@dataclass(eq=False)
class PolyhedronSet(_Block):
    polyhedron: Polyhedron

    doc: ClassVar[str] = ("an indented block of linear lines: a polyhedron {A u ≤ b, E u = f}, "
                          "dualized by LP")

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return self.polyhedron.extremes()

    def support(self, a: Any) -> tuple[Any, list[Any]]:
        return self.polyhedron.support(a)

    def support_value(self, a: np.ndarray) -> np.ndarray:
        # one LP per row: the certificate's conic problem over the block answers instead
        raise NoClosedForm("a polyhedron's support is an LP")

    def argmax(self, a: np.ndarray) -> np.ndarray:
        return self.polyhedron.argmax(a)

    def check_bounded(self, context: SetContext) -> None:
        check_polyhedron(context, self.symbol, self.polyhedron, self.size)

    def counterpart_blocker(self) -> str | None:
        return None  # its lines are the polyhedron


@dataclass(eq=False)
class ConvexBlock(_Block):
    doc: ClassVar[str] = "an indented block: any convex set, written as constraints on u"

    def bounds(self) -> None:
        return None

    def support(self, a: Any) -> tuple[Any, list[Any]]:
        raise NoClosedForm(self.counterpart_blocker())

    def support_value(self, a: np.ndarray) -> np.ndarray:
        raise NoClosedForm(self.counterpart_blocker())

    def argmax(self, a: np.ndarray) -> np.ndarray:
        raise NoClosedForm(self.counterpart_blocker())

    def check_bounded(self, context: SetContext) -> None:
        if self.definition is not None:
            check_block(context, self.definition, self.size)

    def counterpart_blocker(self) -> str:
        return (f"the set of '{self.symbol.name}' is written with nonlinear constraints (or "
                "adds lines to a standard set); only the sets written as a call after 'in' "
                "and blocks of linear lines have closed forms")

    def refine(self, evaluate: Any, model: ir.Model) -> UncertaintySet:
        """A block of linear lines is a polyhedron (checked non-empty here)."""
        if self.definition is None:
            return self
        found = polyhedron(self.definition, evaluate, model)
        if found is None:
            return self
        if not found.nonempty():
            raise error("E410", f"the set of '{self.symbol.name}' is empty: its lines "
                        "contradict each other", self.symbol.span,
                        "relax the bounds or lines of this uncertain block")
        return PolyhedronSet(self.symbol, self.shape, self.definition, found)


@dataclass(eq=False)
class PsdBlock(ConvexBlock):
    doc: ClassVar[str] = ("an indented block on a `psd` (or `symmetric`) matrix: a matrix "
                          "set, e.g. a worst-case covariance")

    def refine(self, evaluate: Any, model: ir.Model) -> UncertaintySet:
        return self  # a matrix cone is never a polyhedron


BLOCKS: tuple[type[UncertaintySet], ...] = (PolyhedronSet, ConvexBlock, PsdBlock)
for _block in BLOCKS:
    register(_block)
