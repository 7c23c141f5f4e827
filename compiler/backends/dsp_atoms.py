"""DSP's atoms where a decision meets an adversary's expression (used by `dsp.py`)."""

from __future__ import annotations

import warnings
from typing import Any

import cvxpy as cp
import dsp


class SaddleAtoms:
    """DSP's atoms where a decision meets an adversary's expression, with the argument
    order DSP requires (the minimizing player's expression first)."""

    def __init__(self, adversary: set[cp.Variable], adversary_first: bool, fold: bool = True,
                 nonneg: set[cp.Variable] | None = None):
        self.adversary, self.adversary_first = adversary, adversary_first
        # weighted_log_sum_exp: move the exponents' constant into the weights (see builtins)
        self.fold = fold
        # variables >= 0 wherever the problem is feasible (declared bounds, the sets)
        self.nonneg = nonneg or set()

    def inner(self, a: Any, b: Any) -> Any:
        a_is_adversary = bool(self.adversary & set(a.variables()))
        if a_is_adversary != self.adversary_first:
            a, b = b, a
        if not (a.is_affine() and b.is_affine()) and a.is_convex() and b.is_concave() \
                and self._nonneg(a) and self._nonneg(b):
            # F'G with F convex and G concave (`h @ exp(-t * d)`) is convex-concave where
            # both are >= 0. dsp wants F >= 0 by sign analysis (pos(F) is F on the feasible
            # set) and adds G >= 0, which holds already.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Gy is non-positive")
                return dsp.saddle_inner(a if a.is_nonneg() else cp.pos(a), b)
        if a.is_affine() and b.is_affine():
            return dsp.inner(a, b)
        # no saddle form: a plain product, which fails DSP's check only where it is used
        # (an unused let is still lowered for the report), and is blamed there
        return cp.vec(a, order="C") @ cp.vec(b, order="C")

    def _nonneg(self, value: Any) -> bool:
        """value >= 0 by sign analysis, with the variables known >= 0 taken as such."""
        copies = {v.id: cp.Variable(v.shape, nonneg=True) for v in value.variables()
                  if v in self.nonneg}
        return bool(_substituted(value, copies).is_nonneg())

    def weighted_log_sum_exp(self, x: Any, weights: Any) -> Any:
        """log sum w exp(x): convex in x, concave in w >= 0 (the robust bond objective)."""
        with warnings.catch_warnings():
            # dsp warns that it adds w >= 0 whenever w is not provably nonnegative; it is
            # the constraint the model means (h * cashflow with h >= 0), so say nothing
            warnings.filterwarnings("ignore", message="Weights are non-positive")
            return dsp.weighted_log_sum_exp(x, weights)

    def quad_form(self, x: Any, matrix: Any) -> Any:
        """x' S x: convex in x, linear in a PSD S (a worst-case covariance)."""
        return dsp.saddle_quad_form(x, matrix)

def _substituted(node: Any, copies: dict[int, cp.Variable]) -> Any:
    """A copy of a cvxpy expression with some variables (by id) replaced."""
    if isinstance(node, cp.Variable):
        return copies.get(node.id, node)
    if not node.args:
        return node
    return node.copy([_substituted(arg, copies) for arg in node.args])
