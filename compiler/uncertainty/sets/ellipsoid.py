"""`ellipsoid(center, shape = A | covariance = S | precision = P, radius = r)`:
{center + L z : ||z||_2 <= r} with L = A, or L L' = S, or L L' = P^-1 (r defaults to 1).

The compiler always works with z (whitening): a precision of order 1e7 never reaches the
solver."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import cvxpy as cp
import numpy as np
from scipy import linalg

from compiler.builtins.signatures import Context, Signature
from compiler.uncertainty.arguments import SetArguments
from compiler.uncertainty.base import MakeVariable, StandardSet

MATRICES = ("shape", "covariance", "precision")


@dataclass(eq=False)
class Ellipsoid(StandardSet):
    center_point: np.ndarray  # over u's shape
    radius: float
    factor: np.ndarray  # L (n, k): u = center + L z

    name: ClassVar[str] = "ellipsoid"
    doc: ClassVar[str] = ("{center + L z : ‖z‖₂ ≤ r} with L = A, L L′ = S or L L′ = P⁻¹ "
                          "(r defaults to 1); the compiler works in z (whitening)")
    signature: ClassVar[Signature] = Signature(
        1, 2, frozenset({"shape", "covariance", "precision", "radius"}), Context.UNCERTAINTY,
        doc="ellipsoid(center, covariance = S, radius = r)")

    @classmethod
    def parse(cls, args: SetArguments) -> Self:
        center = args.over_u(0, "center")
        radius = args.scalar(1, "radius", 1.0)
        if radius < 0:
            raise args.invalid("the ellipsoid's radius is negative", "give a radius >= 0")
        given = [(k, m) for k in MATRICES if (m := args.matrix(k)) is not None]
        if len(given) != 1:
            raise args.invalid("an ellipsoid needs exactly one of shape, covariance, "
                               "precision", "e.g. ellipsoid(mean, covariance = cov, radius = 2)")
        given_as, (matrix, node) = given[0]
        factor = matrix if given_as == "shape" else _whitening(args, given_as, matrix, node)
        return cls(args.symbol, args.shape, args.definition, center, radius, factor)

    def variable(self, make: MakeVariable) -> tuple[Any, Any, list[Any]]:
        z = make(self.size, name=f"{self.symbol.name}_whitened")
        u = (self.center_point + cp.reshape(self.factor @ z, self.shape, order="C")
             if self.shape else self.center_point + self.factor[0] @ z)
        return z, u, [cp.norm(z, 2) <= self.radius]

    def center(self) -> np.ndarray:
        return np.asarray(self.center_point)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        reach = self.radius * np.linalg.norm(self.factor, axis=1)
        c = self.flat(self.center_point)
        return c - reach, c + reach

    def support(self, a: Any) -> tuple[Any, list[Any]]:
        return (a @ self.flat(self.center_point)
                + self.radius * cp.norm(a @ self.factor, 2, axis=1)), []

    def support_value(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(a @ self.flat(self.center_point)
                          + self.radius * np.linalg.norm(a @ self.factor, 2, axis=1))

    def argmax(self, a: np.ndarray) -> np.ndarray:
        g = self.factor.T @ a
        norm = np.linalg.norm(g)
        z = self.radius * g / norm if norm > 0 else np.zeros_like(g)
        return np.asarray(self.flat(self.center_point) + self.factor @ z)


def _whitening(args: SetArguments, given_as: str, matrix: np.ndarray, node: Any) -> np.ndarray:
    """L with L L' = S (covariance) or L L' = P^-1 (precision), checked semidefinite."""
    symmetric = (matrix + matrix.T) / 2
    try:
        # Cholesky first: it proves definiteness, and its triangular factor keeps the
        # solver's matrices half as dense as an eigenvector factor (fewer iterations too).
        factor = np.linalg.cholesky(symmetric)
    except np.linalg.LinAlgError:
        factor = None
    if factor is not None:
        if given_as == "covariance":
            return factor
        # P = R R' gives P^-1 = R'^-1 R^-1, so L = R'^-1 (upper triangular)
        inverse = linalg.solve_triangular(factor, np.eye(len(factor)), lower=True)
        return np.asarray(inverse.T)
    values, vectors = np.linalg.eigh(symmetric)
    scale = max(1.0, float(np.abs(values).max()))
    if values.min() < -1e-9 * scale:
        raise args.invalid(f"the {given_as} matrix is not positive semidefinite (smallest "
                           f"eigenvalue {values.min():.3g})",
                           f"give a {given_as} matrix that is symmetric positive semidefinite",
                           node)
    if given_as == "covariance":
        return np.asarray(vectors * np.sqrt(np.clip(values, 0, None)))
    if values.min() <= 1e-12 * scale:
        raise args.invalid("the precision matrix is singular: the ellipsoid is unbounded",
                           "give a positive definite precision, or a covariance", node)
    return np.asarray(vectors / np.sqrt(values))
