"""The abstract uncertainty set: every method a set must provide, in one place.

u is the uncertain quantity, indexed by its declared sets, n elements, flattened in C order
wherever a method takes or returns a vector. Callers never ask which kind a set is; they
call these methods:

* validation: `StandardSet.parse` (the arguments of a call such as `box(lo, hi)`, E410
  located at the call) and `check_bounded` (E410 for an empty or unbounded set);
* the saddle-point backend (dsp): `variable` (the adversary's primitive variable, possibly
  whitened, u as an affine expression of it, and the rows that keep it in the set);
* the counterpart backend: `support` (max over the set of a_i'u, row by row, as a cvxpy
  expression convex in `a`, with any auxiliary rows: the set's dual);
* the certificate (adversary.py): `support_value`, the same maximum in numpy;
* the worst-case report: `argmax`, a maximizer of a'u;
* the nominal problem and relaxed coefficients: `center`, `bounds`.

A set without a closed form (a block of nonlinear lines) raises `NoClosedForm` from the
closed-form methods, and `counterpart_blocker` says why before any backend asks.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self

import numpy as np

from compiler.builtins.signatures import Signature
from compiler.passes import ir
from compiler.passes.symbols import Symbol

if TYPE_CHECKING:
    from compiler.data.bindings import Bindings
    from compiler.passes.shapes import Shapes
    from compiler.uncertainty.arguments import SetArguments


class NoClosedForm(Exception):
    """The set has no closed form for this question (the caller takes the conic path)."""


class MakeVariable(Protocol):
    """cp.Variable or dsp.LocalVariable: how a copy of the adversary's variable is made."""

    def __call__(self, shape: Any = ..., name: str | None = ..., **flags: Any) -> Any: ...


@dataclass
class Instance:
    """One copy of the adversary's variable: its primitive variables, u as an expression of
    them, and the constraints that keep it in its set."""

    symbol: Symbol
    primitive: Any  # cp.Variable or dsp.LocalVariable
    expression: Any  # cp.Expression
    constraints: list[Any]  # cp.Constraint


@dataclass
class SetContext:
    """What a block's checks need beyond the set itself (its lines are model expressions)."""

    model: ir.Model
    shapes: Shapes
    bindings: Bindings
    sets: dict[Symbol, UncertaintySet]


@dataclass(eq=False)
class UncertaintySet(ABC):
    """The set of one uncertain declaration, its data evaluated."""

    symbol: Symbol
    shape: tuple[int, ...]
    definition: ir.UncertainDef | None

    doc: ClassVar[str]  # one line for the docs: the set and what it means
    # the declaration's `nonneg`/`nonpos` flags: on the variable (a block) or as rows
    flags_on_variable: ClassVar[bool] = False

    @property
    def size(self) -> int:
        return math.prod(self.shape) if self.shape else 1

    # ---- what every set provides ----

    @abstractmethod
    def variable(self, make: MakeVariable) -> tuple[Any, Any, list[Any]]:
        """A fresh adversary variable (from `make`): the primitive, u as an expression of it
        (its shape), and the rows that keep u in the set (the saddle-point backend's)."""

    @abstractmethod
    def center(self) -> np.ndarray | None:
        """The set's nominal point, shaped like u (None for a set written as constraints)."""

    @abstractmethod
    def bounds(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Each element's least and greatest value over the set (flat), None if unknown."""

    @abstractmethod
    def support(self, a: Any) -> tuple[Any, list[Any]]:
        """Row by row, max over the set of a_i'u: `a` is (rows, n); returns a (rows,)
        expression and its auxiliary constraints (the counterpart backend's form).

        Raises:
            NoClosedForm: the set has none (`counterpart_blocker` says so beforehand).
        """

    @abstractmethod
    def support_value(self, a: np.ndarray) -> np.ndarray:
        """Row by row, max over the set of a_i'u for data `a` (rows, n), in numpy.

        Raises:
            NoClosedForm: the caller solves the adversary's conic problem instead.
        """

    @abstractmethod
    def argmax(self, a: np.ndarray) -> np.ndarray:
        """A maximizer of a'u over the set (the worst case reported), flat.

        Raises:
            NoClosedForm: the set has none.
        """

    @abstractmethod
    def check_bounded(self, context: SetContext) -> None:
        """Raises SpecError E410 if the set is empty or unbounded (with a direction)."""

    # ---- shared behaviour ----

    def instance(self, make: MakeVariable, extra_rows: Any) -> Instance:
        """A copy of u in its set; `extra_rows(u)` adds the declaration's own lines."""
        primitive, expression, rows = self.variable(make)
        return Instance(self.symbol, primitive, expression, rows + extra_rows(expression))

    @property
    def written_alone(self) -> bool:
        """No lines or bounds added to the set in its declaration (flags aside)."""
        d = self.definition
        return d is None or (not d.constraints and d.lower is None and d.upper is None)

    @property
    def closed_form_alone(self) -> bool:
        """The closed forms describe the declared set exactly: nothing, not even a sign
        flag, is added to it (the certificate's test)."""
        d = self.definition
        return self.written_alone and (d is None or not {"nonneg", "nonpos"} & d.flags)

    def counterpart_blocker(self) -> str | None:
        """Why the counterpart cannot dualize this set (None: `support` is exact)."""
        if self.written_alone:
            return None
        return (f"the set of '{self.symbol.name}' is written with nonlinear constraints (or "
                "adds lines to a standard set); only the standard sets and blocks of linear "
                "lines have closed forms")

    def refine(self, evaluate: Any, model: ir.Model) -> UncertaintySet:
        """A more specific set once the declaration's lines are known (a block of linear
        lines becomes a polyhedron); most sets are already final."""
        return self

    def flagged_variable(self, make: MakeVariable) -> Any:
        """u itself, carrying the declaration's flags (psd, symmetric, nonneg, nonpos)."""
        flags = self.definition.flags if self.definition is not None else frozenset()
        return make(self.shape, name=self.symbol.name, PSD="psd" in flags,
                    symmetric="symmetric" in flags, nonneg="nonneg" in flags,
                    nonpos="nonpos" in flags)

    def flat(self, value: Any) -> np.ndarray:
        """A value over u's sets (or a number) as a flat float vector."""
        return np.broadcast_to(np.asarray(value, dtype=float), self.shape).reshape(-1)


@dataclass(eq=False)
class StandardSet(UncertaintySet):
    """A set written as a call after `in` (`box(lo, hi)`): bounded by construction."""

    name: ClassVar[str]  # the DSL name; the registry keys on it
    signature: ClassVar[Signature]  # its arguments, checked by resolve (E207, E208)

    @classmethod
    @abstractmethod
    def parse(cls, args: SetArguments) -> Self:
        """The set from its call's arguments, validated.

        Raises:
            SpecError: E410 located at the call or the argument at fault.
        """

    def check_bounded(self, context: SetContext) -> None:
        return None  # bounded by construction (`parse` refuses negative radii and so on)
