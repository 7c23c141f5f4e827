"""`budget(center, deviation, gamma)` (Bertsimas-Sim): u = center + deviation * z with
||z||_inf <= 1 and ||z||_1 <= gamma; the counterpart is its LP dual."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import cvxpy as cp
import numpy as np

from compiler.builtins.signatures import Context, Signature
from compiler.uncertainty.arguments import SetArguments
from compiler.uncertainty.base import MakeVariable, StandardSet


@dataclass(eq=False)
class Budget(StandardSet):
    center_point: np.ndarray  # over u's shape
    deviation: np.ndarray
    gamma: float

    name: ClassVar[str] = "budget"
    doc: ClassVar[str] = ("u = center + deviation ∘ z, ‖z‖∞ ≤ 1, ‖z‖₁ ≤ gamma "
                          "(Bertsimas–Sim)")
    signature: ClassVar[Signature] = Signature(
        1, 3, frozenset({"deviation", "gamma"}), Context.UNCERTAINTY,
        doc="budget(center, deviation, gamma)")

    @classmethod
    def parse(cls, args: SetArguments) -> Self:
        deviation, gamma = args.over_u(1, "deviation"), args.scalar(2, "gamma")
        if (deviation < 0).any() or gamma < 0:
            raise args.invalid("a budget set needs deviations >= 0 and gamma >= 0",
                               "give nonnegative deviations and budget")
        return cls(args.symbol, args.shape, args.definition, args.over_u(0, "center"),
                   deviation, gamma)

    def variable(self, make: MakeVariable) -> tuple[Any, Any, list[Any]]:
        z = make(self.shape, name=f"{self.symbol.name}_deviation")
        u = self.center_point + (cp.multiply(self.deviation, z) if self.shape
                                 else self.deviation * z)
        return z, u, [cp.abs(z) <= 1, cp.norm(cp.vec(z, order="C"), 1) <= self.gamma]

    def center(self) -> np.ndarray:
        return np.asarray(self.center_point)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        reach = self.flat(self.deviation) * min(1.0, float(self.gamma))
        c = self.flat(self.center_point)
        return c - reach, c + reach

    def support(self, a: Any) -> tuple[Any, list[Any]]:
        rows = a.shape[0]
        scaled = cp.multiply(a, self.flat(self.deviation)[None, :])
        lam = cp.Variable(rows, nonneg=True)
        mu = cp.Variable((rows, self.size), nonneg=True)
        ones = np.ones((1, self.size))
        return (a @ self.flat(self.center_point) + self.gamma * lam + cp.sum(mu, axis=1),
                [mu + cp.reshape(lam, (rows, 1), order="C") @ ones >= cp.abs(scaled)])

    def support_value(self, a: np.ndarray) -> np.ndarray:
        # the floor(gamma) largest |dev_i a_i| and the fraction of the next
        gains = -np.sort(-np.abs(a * self.flat(self.deviation)[None, :]), axis=1)
        gamma = min(float(self.gamma), gains.shape[1])
        whole = int(math.floor(gamma))
        extra = gains[:, whole] * (gamma - whole) if whole < gains.shape[1] else 0.0
        return np.asarray(a @ self.flat(self.center_point) + gains[:, :whole].sum(axis=1)
                          + extra)

    def argmax(self, a: np.ndarray) -> np.ndarray:
        dev = self.flat(self.deviation)
        gain = np.abs(dev * a)
        z = np.zeros_like(a)
        left = float(self.gamma)
        for k in np.argsort(-gain):  # the largest gains first, up to the budget
            share = min(1.0, left)
            z[k] = share * np.sign(a[k])
            left -= share
            if left <= 0:
                break
        return np.asarray(self.flat(self.center_point) + dev * z)
