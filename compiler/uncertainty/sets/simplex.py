"""`simplex` / `simplex(total)`: u >= 0, sum(u) == total (default 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import cvxpy as cp
import numpy as np

from compiler.builtins.signatures import Context, Signature
from compiler.uncertainty.arguments import SetArguments
from compiler.uncertainty.base import MakeVariable, StandardSet


@dataclass(eq=False)
class Simplex(StandardSet):
    total: float

    name: ClassVar[str] = "simplex"
    doc: ClassVar[str] = "u ≥ 0, Σu = total (default 1)"
    signature: ClassVar[Signature] = Signature(0, 1, frozenset({"total"}),
                                               Context.UNCERTAINTY, doc="simplex(total)")

    @classmethod
    def parse(cls, args: SetArguments) -> Self:
        total = args.scalar(0, "total", 1.0)
        if total < 0:
            raise args.invalid("a simplex needs total >= 0", "e.g. simplex(1)")
        return cls(args.symbol, args.shape, args.definition, total)

    def variable(self, make: MakeVariable) -> tuple[Any, Any, list[Any]]:
        u = make(self.shape, name=self.symbol.name)
        return u, u, [u >= 0, cp.sum(u) == self.total]

    def center(self) -> np.ndarray:
        return np.full(self.shape, self.total / self.size)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.size), np.full(self.size, float(self.total))

    def support(self, a: Any) -> tuple[Any, list[Any]]:
        return self.total * cp.max(a, axis=1), []

    def support_value(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(float(self.total) * a.max(axis=1))

    def argmax(self, a: np.ndarray) -> np.ndarray:
        out = np.zeros_like(a)
        out[int(np.argmax(a))] = self.total
        return out
