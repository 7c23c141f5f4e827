"""One y = L'x for every term of the robust counterpart that needs it.

`quad_form(x, S)` lowers in factor form, `sum_squares(L'x)` with L L' = S
(`tensor.psd_quadratic`), and an ellipsoid with covariance S bounds the adversary by
`r ||L'x||` (its support). Written twice, L'x puts L's n(n+1)/2 nonzeros into the solver's
matrix twice; the hand-written factor form of the robust mean introduces y = L'x once and
is 2-3x faster at n = 500 (docs/benchmarks.md). The counterpart backend hands its evaluator
a `FactorProducts`: `quad_form` of a decision vector then lowers as `sum_squares(y)` with
`y == L'x` among the problem's constraints, and the ellipsoid's support finds the same y
(`shared`). Anywhere else (`factors` None) nothing changes.
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np
from cvxpy.atoms.affine.binary_operators import MulExpression, multiply
from cvxpy.atoms.affine.reshape import reshape as Reshape
from cvxpy.atoms.affine.unary_operators import NegExpression

# A factor proportional to a known one shares its y when equal to this relative precision
# (the Cholesky factor of c^2 S is c chol(S) up to rounding).
SCALE_RTOL = 1e-12


class FactorProducts:
    """The products y = L'x made so far (x a decision vector), and their defining rows."""

    def __init__(self) -> None:
        self.products: list[tuple[np.ndarray, int, cp.Variable]] = []  # L, x's id, y
        self.constraints: list[cp.Constraint] = []

    def product(self, factor: np.ndarray, x: Any) -> cp.Variable | None:
        """y with y == factor' x (made once per factor and decision vector); None when x is
        not a plain decision vector (nothing another term could share)."""
        if not isinstance(x, cp.Variable) or x.ndim != 1 or factor.shape[0] != x.size:
            return None
        for known, key, y in self.products:
            if key == x.id and known.shape == factor.shape and np.array_equal(known, factor):
                return y
        y = cp.Variable(factor.shape[1])
        self.products.append((factor, x.id, y))
        self.constraints.append(y == factor.T @ x)
        return y

    def shared(self, factor: np.ndarray, coefficient: Any) -> cp.Expression | None:
        """||factor' a||_2 for a coefficient a = c * x (c a nonzero scalar, x a decision
        vector that some y already multiplies by a proportional factor), as |c| s ||y||;
        None when no y fits."""
        found = _scaled_vector(coefficient)
        if found is None:
            return None
        x, c = found
        for known, key, y in self.products:
            if key != x.id or known.shape != factor.shape:
                continue
            s = _proportion(factor, known)
            if s is not None:
                scale = abs(c) * s
                return cp.norm(y, 2) if scale == 1.0 else scale * cp.norm(y, 2)
        return None


def _scaled_vector(value: Any) -> tuple[cp.Variable, float] | None:
    """(x, c) when `value` is c * x reshaped (C order, one row or one column) for a decision
    vector x and a scalar constant c; else None."""
    scale = 1.0
    while True:
        if isinstance(value, cp.Variable):
            return (value, scale) if value.ndim == 1 and scale != 0 else None
        if isinstance(value, NegExpression):
            scale, value = -scale, value.args[0]
        elif isinstance(value, Reshape) and max(value.shape, default=1) == value.size:
            value = value.args[0]  # (1, n), (n, 1) or (n,) of a vector: the same vector
        elif isinstance(value, multiply | MulExpression) and len(value.args) == 2:
            c = _uniform(value.args[0])
            other = value.args[1]
            if c is None:
                c, other = _uniform(value.args[1]), value.args[0]
            if c is None or other.size != value.size:
                return None
            scale, value = scale * c, other
        else:
            return None


def _uniform(value: Any) -> float | None:
    """The one number a constant holds in every entry (a scalar, or one promoted); None
    for anything else."""
    if not value.is_constant() or value.parameters():  # a Parameter's value may change
        return None
    data = np.asarray(value.value, dtype=float).reshape(-1)
    return float(data[0]) if data.size and np.all(data == data[0]) else None


def _proportion(factor: np.ndarray, known: np.ndarray) -> float | None:
    """s > 0 with factor == s * known (to SCALE_RTOL), else None."""
    if np.array_equal(factor, known):
        return 1.0
    peak = np.unravel_index(int(np.argmax(np.abs(known))), known.shape)
    if known[peak] == 0:
        return None
    s = float(factor[peak] / known[peak])
    if not s > 0 or not np.allclose(factor, s * known, rtol=SCALE_RTOL,
                                    atol=SCALE_RTOL * abs(s * known[peak])):
        return None
    return s
