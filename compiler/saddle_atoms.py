"""DSP's atoms where a decision meets an adversary's expression (used by `saddle.py`)."""

from __future__ import annotations

import warnings
from typing import Any

import cvxpy as cp
import dsp


class SaddleAtoms:
    """DSP's atoms where a decision meets an adversary's expression, with the argument
    order DSP requires (the minimizing player's expression first)."""

    def __init__(self, adversary: set[cp.Variable], adversary_first: bool, fold: bool = True):
        self.adversary, self.adversary_first = adversary, adversary_first
        # weighted_log_sum_exp: move the exponents' constant into the weights (see builtins)
        self.fold = fold

    def inner(self, a: Any, b: Any) -> Any:
        a_is_adversary = bool(self.adversary & set(a.variables()))
        if a_is_adversary != self.adversary_first:
            a, b = b, a
        return dsp.inner(a, b)

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