"""Risk measures: quad_form, cvar, log_sum_exp, chi2_quantile.

`cvar(level, losses)` -> `cp.cvar(losses, level)`; `log_sum_exp(x, weights = w)` ->
`log_sum_exp(x + log w)` for data weights, DSP's weighted_log_sum_exp where the exponents
hold a decision and the weights an adversary's (the robust bond objective).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cvxpy as cp
import numpy as np
from scipy import special  # not scipy.stats: 0.3 s to import, for one quantile

from compiler.builtins import rules
from compiler.builtins.registry import (
    Builtin,
    Facts,
    Index,
    ShapeCall,
    ShapeRule,
    UnitsRule,
    Value,
    register,
    signature,
)
from compiler.lowering import tensor
from compiler.passes import ir
from compiler.passes.dimensions import TIMES, combine
from compiler.passes.symbols import Symbol, index_text
from dsl.errors import error

if TYPE_CHECKING:
    from compiler.lowering.evaluate import Evaluator


def _quad_form_shape(call: ShapeCall) -> Index:
    x, matrix = call.args
    ok = (len(x) == 1 and len(matrix) == 2 and x[0] in matrix
          and matrix[0].root is matrix[1].root)
    if not ok:
        raise error("E303", f"quad_form of {index_text(x)} with a matrix indexed by "
                    f"{index_text(matrix)}", call.node.span,
                    "index the matrix by the vector's set twice, e.g. `param cov[asset, "
                    "asset2]` with `set asset2 = asset`")
    return ()


def _quad_form(ev: Evaluator, node: ir.Call) -> Value:
    x_node, p_node = node.args
    x_set = ev.index(x_node)[0]
    p_index = ev.index(p_node)
    other = p_index[1] if p_index[0] is x_set else p_index[0]
    matrix = tensor.align(ev.constant(
        p_node, "the quad_form matrix", "write `x @ S @ x` for an uncertain matrix S: the "
        "saddle-point backend takes it when every S in its set is PSD (`uncertain S[a, a2] "
        "psd:`)"), p_index, (x_set, other))
    matrix = (matrix + matrix.T) / 2  # x' P x only sees the symmetric part
    x = ev(x_node)
    if not tensor.is_expr(x):
        return np.float64(x @ matrix @ x)
    return tensor.psd_quadratic(x, matrix, ev.factors)


def _cvar_shape(call: ShapeCall) -> Index:
    node, args = call.node, call.args
    if args[0]:
        raise error("E303", "the cvar level must be a scalar", node.args[0].span,
                    "write the level as a number, e.g. `cvar(0.95, losses)`")
    if len(args[1]) != 1:
        raise error("E303", f"cvar of losses indexed by {index_text(args[1])}",
                    node.args[1].span, "give one loss per scenario: an expression indexed "
                    "by the scenario set only (sum or contract the other sets)")
    return ()


def cvar_level(ev: Evaluator, node: ir.Call) -> float:
    """The confidence level of `cvar(level, losses)`: data in (0, 1), else E508."""
    level = float(ev.constant(node.args[0], "the cvar level"))
    if not 0 < level < 1:
        raise error("E508", f"cvar level {level} is not between 0 and 1", node.args[0].span,
                    "give the confidence level, e.g. 0.95 for the worst 5% of scenarios")
    return level


def lower_cvar(ev: Evaluator, node: ir.Call) -> Value:
    """cvar's lowering: one function, so a scalable form can take its place."""
    level = cvar_level(ev, node)
    losses = ev(node.args[1])
    if tensor.is_expr(losses):
        return cp.cvar(losses, level)
    return np.float64(cvar_of_sample(np.asarray(losses, dtype=float), level))


def cvar_of_sample(losses: np.ndarray, level: float) -> float:
    """Rockafellar-Uryasev CVaR of equally likely losses: min_a a + E[(L - a)+] / (1 - level)."""
    ordered = np.sort(losses)[::-1]
    tail = (1 - level) * ordered.size
    whole = int(np.floor(tail))
    total = ordered[:whole].sum() + (tail - whole) * (ordered[whole] if whole < ordered.size
                                                      else 0.0)
    return float(total / tail)


def _log_sum_exp(ev: Evaluator, node: ir.Call) -> Value:
    x_node = node.args[0]
    weights_node = node.kwarg("weights")
    x = ev(x_node)
    if weights_node is None:
        flat = rules.flat(x)
        return cp.log_sum_exp(flat) if tensor.is_expr(flat) else np.float64(
            np.logaddexp.reduce(flat))
    index = rules.union(ev.index(x_node), ev.index(weights_node))
    x = tensor.broadcast(x, ev.index(x_node), index, ev.sizes(index))
    weights = tensor.broadcast(ev(weights_node), ev.index(weights_node), index, ev.sizes(index))
    if tensor.is_expr(weights) and not weights.is_constant():
        if tensor.is_expr(x) and not x.is_constant():
            if ev.saddle is None:
                raise error("E412", "log_sum_exp with decisions in both the exponents and "
                            "the weights", node.span,
                            "this is a saddle term (convex in the exponents, concave in the "
                            "weights): make the exponents' variable uncertain, so the "
                            "saddle-point backend can take it")
            # log sum w exp(x): convex in x, concave in w >= 0 (the robust bond objective).
            # Terms whose weight is zero by its data factor (a bond's cash flow in a period
            # after it matures) are left out: they add nothing and make the cone solvers fail.
            keep = np.flatnonzero(data_factor(ev, weights_node, index) != 0)
            # The exponents' constant part moves into the weights (w e^(c + Bu) =
            # (w e^c) e^(Bu)): the floor form with spreads fails in Clarabel otherwise.
            offset = (rules.flat(_at_zero(ev, x_node, index))[keep] if ev.saddle.fold
                      else np.zeros(keep.size))
            return ev.saddle.weighted_log_sum_exp(
                rules.flat(x)[keep] - offset,
                cp.multiply(np.exp(offset), rules.flat(weights)[keep]))
        # log(sum(w * exp(x))) with data x is the log of an affine function: concave in w.
        return cp.log(cp.sum(cp.multiply(rules.flat(weights),
                                         np.exp(rules.flat(np.asarray(x))))))
    weights = np.asarray(weights.value if tensor.is_expr(weights) else weights, dtype=float)
    if (weights < 0).any():
        raise error("E508", "log_sum_exp weights must be nonnegative", weights_node.span,
                    "use nonnegative weights (they multiply exponentials)")
    keep = rules.flat(weights) > 0
    if not keep.any():  # log(0): cvxpy rejects the empty sum
        raise error("E508", "log_sum_exp weights are all zero", weights_node.span,
                    "give at least one positive weight")
    flat = rules.flat(x)
    shifted = flat[np.flatnonzero(keep)] + np.log(rules.flat(weights)[keep])
    return cp.log_sum_exp(shifted) if tensor.is_expr(shifted) else np.float64(
        np.logaddexp.reduce(shifted))


def _at_zero(ev: Evaluator, node: ir.Expr, index: tuple[Symbol, ...]) -> np.ndarray:
    """`node` with every decision and uncertain quantity at 0: an affine term's constant."""
    zeros = {s: np.zeros(v.shape) for s, v in ev.variables.items()}
    value = type(ev)(ev.shapes, ev.bindings, zeros, ev.lets)(node)
    return np.asarray(tensor.broadcast(value, ev.index(node), index, ev.sizes(index)),
                      dtype=float)


def data_factor(ev: Evaluator, node: ir.Expr, index: tuple[Symbol, ...]) -> np.ndarray:
    """The data side of a product `decision * data` over `index`, flat; ones if there is none."""
    sizes = ev.sizes(index)
    factor = np.ones(sizes)
    if isinstance(node, ir.BinOp) and node.op is ir.BinOperator.MUL:
        for side in (node.left, node.right):
            if ir.is_data(side):
                value = np.asarray(ev.constant(side, "a weight"), dtype=float)
                factor = factor * tensor.broadcast(value, ev.index(side), index, sizes)
    return np.ravel(factor)


def _chi2_shape(call: ShapeCall) -> Index:
    for at, index in zip(call.node.args, call.args, strict=True):
        if index:
            raise error("E303", f"chi2_quantile of a value indexed by {index_text(index)}",
                        at.span, "give the probability and the degrees of freedom as numbers, "
                        "e.g. chi2_quantile(0.5, count(factor))")
    return ()


def _chi2_quantile(ev: Evaluator, node: ir.Call) -> Value:
    p = float(ev.constant(node.args[0], "the probability"))
    dof = float(ev.constant(node.args[1], "the degrees of freedom"))
    if not 0 < p < 1 or dof <= 0:
        raise error("E508", "chi2_quantile needs 0 < p < 1 and dof > 0", node.span,
                    "e.g. chi2_quantile(0.5, 13)")
    # the chi-square quantile, as scipy.stats.chi2.ppf computes it
    return np.float64(2 * special.gammaincinv(dof / 2, p))


register(
    Builtin(name="quad_form", signature=signature(2, 2, usage="quad_form(x, P)"),
            doc="x′Px, P data indexed [S, S] or [S, S2] (S2 S's alias); the symmetric part "
                "is used",
            shape=ShapeRule("scalar", _quad_form_shape),
            units=UnitsRule("x's squared times P's", lambda call: combine(
                TIMES, combine(TIMES, call.args[0], call.args[0]), call.args[1])),
            lower=_quad_form, facts=Facts("convex", sign="nonneg"), section="risk"),
    Builtin(name="cvar", signature=signature(2, 2, usage="cvar(level, losses)"),
            doc="the mean of the worst (1 − level) share of equally likely losses "
                "(Rockafellar–Uryasev); losses indexed by one set",
            shape=ShapeRule("scalar", _cvar_shape), units=rules.keep("the losses'"),
            lower=lower_cvar,
            facts=Facts("convex", "increasing"), section="risk"),
    Builtin(name="log_sum_exp", signature=signature(
        1, 1, "weights", usage="log_sum_exp(x), log_sum_exp(x, weights = w)"),
            doc="log Σ exp(x); with weights, log Σ w·exp(x) (w ≥ 0, zero weights drop out, "
                "summed over the sets of both)",
            shape=rules.SCALAR, units=rules.PURE_IF_PURE, lower=_log_sum_exp,
            facts=Facts("convex", "increasing"), dsp_atom="weighted_log_sum_exp",
            section="risk"),
    Builtin(name="chi2_quantile", signature=signature(2, 2, usage="chi2_quantile(p, dof)"),
            doc="the chi-square quantile, for ellipsoid radii",
            shape=ShapeRule("scalar", _chi2_shape), units=rules.DIMENSIONLESS,
            lower=_chi2_quantile, section="risk"),
)
