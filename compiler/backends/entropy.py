"""The closed-form counterpart of a weighted log-sum-exp over a standard set (relative entropy).

The robust bond objective has the term log V(h, u) = log sum_k w_k(h) exp(b_k + A_k u), with
weights w affine in the decisions (w >= 0) and exponents affine in the uncertain u. Its worst
case for an adversary who lowers it is a concave maximization (log-sum-exp is the conjugate
of the negative entropy on the simplex, and Sion swaps min over u and max over nu):

    min over u in U of log V = max over nu >= 0, sum(nu) = 1 of
        -sum_k rel_entr(nu_k, w_k) + nu'b - support_U(-A'nu)

(the derivation is in tests/oracles/robust_bond.py). The extractor replaces the term by a
scalar t, and the model gets `t <= D(h, nu)`: wherever t helps the decision maker (the
objective or a robust row is monotone in t the right way, checked numerically), the
optimum pushes t up to max_nu D, the exact worst case. The adversary's u must enter the
objective or row through this term alone; otherwise the path is blocked and DSP takes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from compiler.backends.affine import Lin, NotAffine
from compiler.builtins.risk import data_factor
from compiler.lowering import tensor
from compiler.passes import ir
from compiler.passes.shapes import union
from compiler.passes.symbols import Symbol

if TYPE_CHECKING:
    from compiler.backends.counterpart import Extractor


@dataclass
class EntropyTerm:
    """A weighted log-sum-exp of an uncertain exponent, stood in for by the scalar `t`."""

    t: cp.Variable
    node: ir.Call
    u: Symbol
    offset: np.ndarray  # b (K,)
    matrix: np.ndarray  # A (K, n)
    weights: Any  # w(h) (K,), affine in the decisions

    def dual(self, support: Any) -> tuple[Any, list[cp.Constraint], cp.Expression]:
        """D(h, nu), the constraints on nu, and -A'nu (the adversary's linear objective)."""
        nu = cp.Variable(len(self.offset), nonneg=True)
        pull = -(self.matrix.T @ nu)
        value, aux = support(cp.reshape(pull, (1, self.matrix.shape[1]), order="C"))
        d = -cp.sum(cp.rel_entr(nu, self.weights)) + self.offset @ nu - value[0]
        return d, [cp.sum(nu) == 1, *aux], pull


def stand_in(extractor: Extractor, node: ir.Call) -> Lin | None:
    """A `Lin` holding t for `log_sum_exp(b + A u, weights = w(h))`, or None if the call is
    not of that form (the caller then reports it as not affine)."""
    weights_node = node.kwarg("weights")
    if node.func != "log_sum_exp" or weights_node is None or \
            extractor.uncertain_in(weights_node):
        return None
    ev = extractor.ev
    exponent = extractor.extract(node.args[0])
    if len(exponent.coef) != 1:
        return None
    (u, coef), = exponent.coef.items()
    if tensor.is_expr(coef) and not coef.is_constant():
        raise NotAffine(node, "the exponents' coefficient of the uncertain quantity depends "
                        "on the decisions")
    if tensor.is_expr(exponent.const) and not exponent.const.is_constant():
        # the dual's nu'b would be a product of nu and the decisions
        raise NotAffine(node, "the exponents of this log-sum-exp depend on a decision as well "
                        "as on the uncertain quantity")
    index = union(ev.index(node.args[0]), ev.index(weights_node))
    sizes, n = ev.sizes(index), extractor.size(u)
    axis = extractor.axis(u)
    offset = tensor.broadcast(exponent.const, exponent.index, index, sizes)
    matrix = tensor.broadcast(_numbers(coef), exponent.index + (axis,), index + (axis,),
                              tuple(sizes) + (n,))
    weights = tensor.broadcast(ev(weights_node), ev.index(weights_node), index, sizes)
    keep = np.flatnonzero(data_factor(ev, weights_node, index) != 0)
    flat_weights = cp.vec(weights, order="C") if tensor.is_expr(weights) else np.ravel(weights)
    term = EntropyTerm(cp.Variable(name="log_sum_exp_worst"), node, u,
                       np.ravel(_numbers(offset))[keep],
                       np.asarray(matrix, dtype=float).reshape(-1, n)[keep],
                       flat_weights[keep])
    extractor.entropy.append(term)
    return Lin((), term.t)


def _numbers(value: Any) -> np.ndarray:
    return np.asarray(value.value if tensor.is_expr(value) else value, dtype=float)


def slope(expression: Any, t: cp.Variable) -> np.ndarray:
    """d expression / d t for an expression affine in t (every other variable at 1; a
    point where a term is undefined gives nan, which the caller refuses)."""
    saved = [(v, v.value) for v in expression.variables()]
    try:
        for variable, _ in saved:
            variable.value = np.ones(variable.shape)
        t.value = np.zeros(t.shape)
        low = np.asarray(expression.value, dtype=float)
        t.value = np.ones(t.shape)
        return np.asarray(expression.value, dtype=float) - low
    finally:
        for variable, value in saved:
            variable.value = value
