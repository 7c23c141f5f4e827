"""`normball(center, radius, p)`: ||u - center||_p <= radius for any order p >= 1.

Its support function is the dual norm: max over the ball of a'u = a'center +
radius * ||a||_q with 1/p + 1/q = 1 (q = p / (p - 1), inf for p = 1), attained at
u = center + radius * sign(a) |a|^(q-1) / ||a||_q^(q-1) (Hoelder's equality case).
The adversary's variable is the deviation z = u - center."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import cvxpy as cp
import numpy as np

from compiler.builtins.signatures import Context, Signature
from compiler.uncertainty.arguments import SetArguments
from compiler.uncertainty.sets.ball import _PNormBall


@dataclass(eq=False)
class NormBall(_PNormBall):
    p: float  # >= 1, finite

    name: ClassVar[str] = "normball"
    doc: ClassVar[str] = ("‖u − center‖_p ≤ radius for any order p ≥ 1 (its counterpart is "
                          "the dual norm, q = p/(p − 1))")
    signature: ClassVar[Signature] = Signature(
        1, 3, frozenset({"radius", "p"}), Context.UNCERTAINTY,
        doc="normball(center, radius, p)")

    @classmethod
    def parse(cls, args: SetArguments) -> Self:
        radius, p = args.scalar(1, "radius"), args.scalar(2, "p")
        if radius < 0:
            raise args.invalid("the ball's radius is negative", "give a radius >= 0")
        if not (math.isfinite(p) and p >= 1):
            raise args.invalid(f"p = {p:g} is not a norm's order",
                               "give a finite p >= 1 (use ball(..., norm = inf) for the "
                               "largest-element norm)", args.node(2, "p"))
        return cls(args.symbol, args.shape, args.definition, args.over_u(0, "center"),
                   radius, p)

    @property
    def q(self) -> float:
        """The dual order: 1/p + 1/q = 1."""
        return math.inf if self.p == 1 else self.p / (self.p - 1)

    def support(self, a: Any) -> tuple[Any, list[Any]]:
        if math.isinf(self.q):
            norms = cp.norm(a, "inf", axis=1)
        else:  # cvxpy's pnorm takes an axis only for p = 2: one norm per row
            norms = cp.hstack([cp.pnorm(a[i, :], self.q) for i in range(a.shape[0])])
        return a @ self.flat(self.center_point) + self.radius * norms, []

    def support_value(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(a @ self.flat(self.center_point)
                          + self.radius * np.linalg.norm(a, self.q, axis=1))

    def argmax(self, a: np.ndarray) -> np.ndarray:
        c = self.flat(self.center_point)
        step = np.zeros_like(a, dtype=float)
        if math.isinf(self.q):  # p = 1: all of the radius on the largest |a_i|
            k = int(np.argmax(np.abs(a)))
            step[k] = self.radius * np.sign(a[k])
            return np.asarray(c + step)
        norm = float(np.linalg.norm(a, self.q))
        if norm > 0:
            step = self.radius * np.sign(a) * (np.abs(a) / norm) ** (self.q - 1)
        return np.asarray(c + step)
