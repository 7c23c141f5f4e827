"""`box(lo, hi)`: lo <= u <= hi elementwise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import cvxpy as cp
import numpy as np

from compiler.builtins.signatures import Context, Signature
from compiler.uncertainty.arguments import SetArguments
from compiler.uncertainty.base import MakeVariable, StandardSet


@dataclass(eq=False)
class Box(StandardSet):
    lo: np.ndarray  # over u's shape
    hi: np.ndarray

    name: ClassVar[str] = "box"
    doc: ClassVar[str] = "lo ≤ u ≤ hi"
    signature: ClassVar[Signature] = Signature(0, 2, frozenset({"lo", "hi"}),
                                               Context.UNCERTAINTY, doc="box(lo, hi)")

    @classmethod
    def parse(cls, args: SetArguments) -> Self:
        lo, hi = args.over_u(0, "lo"), args.over_u(1, "hi")
        if (lo > hi).any():
            raise args.invalid("the box is empty: some lo > hi",
                               "make every lower bound at most its upper bound")
        return cls(args.symbol, args.shape, args.definition, lo, hi)

    def variable(self, make: MakeVariable) -> tuple[Any, Any, list[Any]]:
        u = make(self.shape, name=self.symbol.name)
        return u, u, [u >= self.lo, u <= self.hi]

    def center(self) -> np.ndarray:
        return np.asarray((self.lo + self.hi) / 2)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return self.flat(self.lo), self.flat(self.hi)

    def support(self, a: Any) -> tuple[Any, list[Any]]:
        mid, half = self.flat((self.lo + self.hi) / 2), self.flat((self.hi - self.lo) / 2)
        return a @ mid + cp.abs(a) @ half, []

    def support_value(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(np.maximum(a * self.flat(self.lo), a * self.flat(self.hi))
                          .sum(axis=1))

    def argmax(self, a: np.ndarray) -> np.ndarray:
        return np.where(a >= 0, self.flat(self.hi), self.flat(self.lo))
