"""`ball(center, radius, norm = 1|2|inf)`: ||u - center||_p <= radius (default p = 2).

The adversary's variable is the deviation z = u - center; the counterpart is the dual
norm (q = inf, 2, 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import cvxpy as cp
import numpy as np

from compiler.builtins.signatures import Context, Signature
from compiler.passes import ir
from compiler.uncertainty.arguments import SetArguments
from compiler.uncertainty.base import MakeVariable, StandardSet

NORMS: dict[str, int | str] = {"inf": "inf", "1": 1, "2": 2}
DUALS: dict[int | str, float] = {1: np.inf, 2: 2.0, "inf": 1.0}  # numpy's orders
DUAL_NORMS: dict[int | str, int | str] = {1: "inf", 2: 2, "inf": 1}  # cvxpy's


@dataclass(eq=False)
class _PNormBall(StandardSet):
    """||u - center||_p <= radius, whatever p: what `ball` and `normball` share (they differ
    in the orders they accept and in how they write the dual norm)."""

    center_point: np.ndarray  # over u's shape
    radius: float
    p: float | str  # an order cvxpy's norm takes ("inf" spelled as the string)

    def variable(self, make: MakeVariable) -> tuple[Any, Any, list[Any]]:
        z = make(self.shape, name=f"{self.symbol.name}_deviation")
        return z, self.center_point + z, [cp.norm(cp.vec(z, order="C"), self.p)
                                          <= self.radius]

    def center(self) -> np.ndarray:
        return np.asarray(self.center_point)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        reach = np.full(self.size, float(self.radius))  # every p-ball reaches it on an axis
        c = self.flat(self.center_point)
        return c - reach, c + reach


@dataclass(eq=False)
class Ball(_PNormBall):
    p: int | str  # 1, 2 or "inf"

    name: ClassVar[str] = "ball"
    doc: ClassVar[str] = "‖u − center‖_p ≤ radius, p = 1, 2 (default) or inf"
    signature: ClassVar[Signature] = Signature(
        1, 2, frozenset({"radius", "norm"}), Context.UNCERTAINTY, frozenset({"norm"}),
        doc="ball(center, radius, norm = 1|2|inf)")

    @classmethod
    def parse(cls, args: SetArguments) -> Self:
        norm = args.call.kwarg("norm")
        p: int | str = 2
        if norm is not None:
            value = norm.word if isinstance(norm, ir.Word) else str(int(args.scalar(99, "norm")))
            if value not in NORMS:
                raise args.invalid(f"norm = {value} is not supported",
                                   "use norm = 1, norm = 2 or norm = inf", norm)
            p = NORMS[value]
        radius = args.scalar(1, "radius")
        if radius < 0:
            raise args.invalid("the ball's radius is negative", "give a radius >= 0")
        return cls(args.symbol, args.shape, args.definition, args.over_u(0, "center"),
                   radius, p)

    def support(self, a: Any) -> tuple[Any, list[Any]]:
        norms = cp.norm(a, DUAL_NORMS[self.p], axis=1)
        return a @ self.flat(self.center_point) + self.radius * norms, []

    def support_value(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(a @ self.flat(self.center_point)
                          + self.radius * np.linalg.norm(a, DUALS[self.p], axis=1))

    def argmax(self, a: np.ndarray) -> np.ndarray:
        c = self.flat(self.center_point)
        if self.p == 2:
            norm = np.linalg.norm(a)
            return np.asarray(c + (self.radius * a / norm if norm > 0 else 0))
        if self.p == "inf":
            return np.asarray(c + self.radius * np.sign(a))
        k = int(np.argmax(np.abs(a)))
        step = np.zeros_like(a)
        step[k] = self.radius * np.sign(a[k])
        return np.asarray(c + step)
