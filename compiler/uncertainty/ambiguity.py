"""Worst cases over ambiguity sets: `cvar(a, loss over P)` and `mean(loss over P)`.

The loss must be affine in one scenario row xi: L(xi) = c + W'xi, with W affine and c
convex in the decisions (found by evaluating the loss at chosen rows, then checked at
random rows and random decisions: E415 otherwise).

* `wasserstein(S, radius = r, norm = p, lower =, upper =)`: the largest value over every
  distribution within type-1 Wasserstein distance r (ground norm p) of the empirical
  distribution of S. Mohajerin Esfahani & Kuhn (2018), Cor. 5.1, for a loss max_k
  (a_k'xi + b_k): min lam r + (1/N) sum_i s_i, s_i >= b_k + a_k'xi_i + g_ik'(d - C xi_i),
  ||C'g_ik - a_k||_* <= lam, g_ik >= 0. CVaR_a(L) = min_t t + E(L - t)+ / (1 - a) is the two
  pieces (L - t)/(1 - a) + t and t; a mean is the one piece L. Without support the
  program collapses to the empirical value + r ||W||_* / (1 - a) (mean: + r ||W||_*).
* `moments(S, mean = mu, covariance = V)`: every distribution with that mean and
  covariance (default: S's own): CVaR_a = c + W'mu + sqrt(a / (1 - a)) ||V^1/2 W||_2
  (the one-sided Chebyshev bound, attained), mean = c + W'mu.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from compiler.builtins import cvar_of_sample
from compiler.data import limits
from compiler.lowering import tensor
from compiler.passes import ir
from compiler.passes.symbols import Symbol
from dsl.errors import SpecError, error

if TYPE_CHECKING:
    from compiler.lowering.evaluate import Evaluator, Value

DUAL_NORM = {1.0: np.inf, 2.0: 2.0, np.inf: 1.0}


@dataclass
class AffineLoss:
    """L(xi) = c + W'xi: W (D,) and c (scalar) as cvxpy expressions or numbers, and the
    losses at the N scenarios."""

    gradient: Value
    constant: Value
    losses: Value


@dataclass
class Wasserstein:
    radius: Value  # a number, or a sweep's cvxpy Parameter
    norm: float  # the ground metric's: 1, 2 or inf
    lower: np.ndarray | None = None  # (D,) support bounds, -inf/inf where absent
    upper: np.ndarray | None = None

    @property
    def supported(self) -> bool:
        return self.lower is not None or self.upper is not None


@dataclass
class Moments:
    mean: np.ndarray  # (D,)
    root: np.ndarray  # R with R'R = the covariance


@dataclass
class Term:
    """One `cvar(a, loss over P)` or `mean(loss over P)` as lowered, for the report."""

    node: ir.Call
    over: ir.Over
    level: float | None  # None for a mean
    ambiguity: Wasserstein | Moments
    loss: AffineLoss
    scenarios: np.ndarray  # (N, D)
    labels: list[str]  # one per scenario column
    value: Value
    aux: list[cp.Variable]  # the support form's multipliers, in the order worst_case made them


def lower_worst_case(ev: Evaluator, node: ir.Call) -> Value:
    """The worst case of `node` (cvar or mean with a `loss over P` argument)."""
    over = next(a for a in node.args if isinstance(a, ir.Over))
    if ev.saddle is not None or ev.batch is not None:
        raise error("E901", "a worst case over an ambiguity set in a saddle-point or rolling "
                    "model", node.span, "this version compiles ambiguity sets in one-period "
                    "models without uncertain quantities; see docs/status.md")
    uncertain = ev._uncertain_in(over.value)
    if uncertain is not None:
        raise error("E901", f"a loss over '{over.ambiguity.name}' that mentions the uncertain "
                    f"quantity '{uncertain.name}'", over.value.span,
                    "take the worst case over the scenarios' distributions or over the "
                    "uncertain quantity, not both in one term")
    level = None
    if node.func == "cvar":
        level = float(ev.constant(node.args[0], "the cvar level"))
        if not 0 < level < 1:
            raise error("E508", f"cvar level {level} is not between 0 and 1",
                        node.args[0].span, "give the confidence level, e.g. 0.95")
    elif node.kwargs:
        raise error("E208", f"mean(loss over {over.ambiguity.name}) takes no other argument",
                    node.kwargs[0][1].span, "the mean is over the draws of the scenarios")
    scenarios = over.definition.args[0]
    if not isinstance(scenarios, ir.Ref):  # resolve guarantees it
        raise RuntimeError("an ambiguity set without its scenarios")
    symbol = scenarios.symbol
    data = np.asarray(ev.bindings.values[symbol], dtype=float)
    xi = data.reshape(data.shape[0], -1)
    loss = affine_loss(ev, over, symbol, xi)
    ambiguity = (wasserstein_of(ev, over.definition, symbol, xi)
                 if over.definition.func == "wasserstein"
                 else moments_of(ev, over.definition, symbol, xi))
    if tensor.is_expr(loss.gradient) and not loss.gradient.is_affine():
        raise error("E415", f"the loss's sensitivity to '{symbol.name}' is not affine in the "
                    "decisions", over.value.span, "the exact worst case needs a loss "
                    "c(x) + W(x)'xi with W affine in the decisions, as in `-(shock @ w)`")
    aux: list[cp.Variable] = []
    value = worst_case(ambiguity, loss, xi, level, aux)
    terms: dict[ir.Call, Term] = ev.__dict__.setdefault("ambiguity_terms", {})
    terms[node] = Term(node, over, level, ambiguity, loss, xi, _column_labels(ev, symbol),
                       value, aux)
    return value


# ==== the loss as c + W'xi ====


Terms = list[tuple[float, ir.Expr]]  # signed terms of a sum


def _terms(node: ir.Expr, sign: float = 1.0) -> Terms:
    """The signed terms of the loss's outer sum: `-(ret @ w) + cost(w)` is two."""
    if isinstance(node, ir.Neg):
        return _terms(node.operand, -sign)
    if isinstance(node, ir.BinOp) and node.op in (ir.BinOperator.ADD, ir.BinOperator.SUB):
        right = sign if node.op is ir.BinOperator.ADD else -sign
        return _terms(node.left, sign) + _terms(node.right, right)
    return [(sign, node)]


def _mentions(ev: Evaluator, node: ir.Expr, symbol: Symbol) -> bool:
    stack, seen = ir.refs(node), set()
    while stack:
        found = stack.pop().symbol
        if found is symbol:
            return True
        if found in ev.lets and found not in seen:
            seen.add(found)
            stack.extend(ir.refs(ev.lets[found].value))
    return False


def _loss_at(ev: Evaluator, terms: Terms, symbol: Symbol, rows: np.ndarray,
             variables: Mapping[Symbol, Value]) -> Value:
    """The sum of `terms`, one value per draw, with the scenarios replaced by `rows`."""
    bindings = copy.copy(ev.bindings)
    shape = np.shape(ev.bindings.values[symbol])
    # a copy a sweep's watch (compiler/lowering/parametric.py) does not count as a read of its
    # param: `sub` takes that param's cvxpy Parameter, not its number
    bindings.values = dict(dict.items(ev.bindings.values))
    bindings.values[symbol] = rows.reshape(shape)
    sub = type(ev)(ev.shapes, bindings, variables, ev.lets)  # the evaluator, on these draws
    sub.parameters = ev.parameters
    draws = symbol.index[:1]
    total: Value = np.zeros(rows.shape[0])
    for sign, node in terms:
        total = total + sign * tensor.broadcast(sub(node), ev.index(node), draws,
                                                (rows.shape[0],))
    return total


def _gradient(ev: Evaluator, terms: Terms, symbol: Symbol, count: int, dim: int,
              variables: Mapping[Symbol, Value]) -> Value:
    """W, read off the terms that mention the scenarios at rows e_j (up to `count` unit
    rows per evaluation), less their value at 0: the rest of the loss (a cost of the
    decisions) is left out, so W is affine as written, not only after a cancellation."""
    terms = [(sign, node) for sign, node in terms if _mentions(ev, node, symbol)]
    if not terms:
        return np.zeros(dim)
    at_zero = _loss_at(ev, terms, symbol, np.zeros((count, dim)), variables)
    parts = []
    for start in range(0, dim, count):
        width = min(count, dim - start)
        rows = np.zeros((count, dim))
        rows[np.arange(width), start + np.arange(width)] = 1.0
        parts.append(_loss_at(ev, terms, symbol, rows, variables)[:width] - at_zero[:width])
    if len(parts) == 1:
        return parts[0]
    return cp.hstack(parts) if any(tensor.is_expr(p) for p in parts) else np.concatenate(parts)


def affine_loss(ev: Evaluator, over: ir.Over, symbol: Symbol, xi: np.ndarray) -> AffineLoss:
    count, dim = xi.shape
    losses = ev(over.value)
    whole = [(1.0, over.value)]
    at_zero = _loss_at(ev, whole, symbol, np.zeros_like(xi), ev.variables)
    gradient = _gradient(ev, _terms(over.value), symbol, count, dim, ev.variables)
    _check_affine(ev, over, symbol, xi)
    return AffineLoss(gradient, at_zero[0], losses)


def _check_affine(ev: Evaluator, over: ir.Over, symbol: Symbol, xi: np.ndarray) -> None:
    """At random decisions, the loss at random rows (and at the scenarios) is c + W'xi
    with one c for every row: else the loss is not a function affine in one row."""
    rng = np.random.default_rng(20180101)
    count, dim = xi.shape
    scale = 1.0 + float(np.max(np.abs(xi), initial=0.0))
    try:
        for _ in range(2):
            decisions = {s: rng.uniform(0.5, 1.5, np.shape(v)) for s, v in ev.variables.items()}
            whole = [(1.0, over.value)]
            at_zero = np.asarray(_loss_at(ev, whole, symbol, np.zeros_like(xi), decisions))
            gradient = np.asarray(_gradient(ev, whole, symbol, count, dim, decisions))
            for rows in (xi, rng.normal(0.0, scale, xi.shape)):
                got = np.asarray(_loss_at(ev, whole, symbol, rows, decisions), dtype=float)
                want = at_zero[0] + rows @ gradient
                tol = 1e-7 * (1.0 + np.max(np.abs(want)) + np.max(np.abs(got)))
                if np.max(np.abs(got - want)) > tol or np.ptp(at_zero) > tol:
                    raise _not_affine(over, symbol)
    except SpecError as exc:
        if exc.diagnostics and exc.diagnostics[0].code == "E415":
            raise
        raise _not_affine(over, symbol) from None


def _not_affine(over: ir.Over, symbol: Symbol) -> SpecError:
    return error("E415", f"the loss is not affine in one draw of '{symbol.name}'",
                 over.value.span, f"the worst case over '{over.ambiguity.name}' is compiled "
                 "exactly for a loss c(x) + W(x)'xi of the draw xi alone (a linear P&L such "
                 f"as `-({symbol.name} @ w)`); move nonlinear terms out of the loss")


# ==== the sets ====


def _radius(ev: Evaluator, call: ir.Call) -> Value:
    """A number >= 0, or the cvxpy Parameter a sweep puts in its place (the forms are
    linear in the radius, so a sweep solves them again without compiling)."""
    node = call.kwarg("radius")
    if node is None:
        raise error("E208", f"{call.func}(...) needs `radius = ...`", call.span,
                    f"give the ball's size, as in {call.func}(shock, radius = 0.05)")
    value: Any = ev(node) if ir.is_data(node) else ev.constant(node, "the radius")
    if tensor.is_expr(value):
        if value.variables() or value.size != 1:
            ev.constant(node, "the radius")  # E406: data, not a decision
        if value.value is None:
            return cp.reshape(value, ())
        current = np.asarray(value.value, dtype=np.float64)
    else:
        current = np.asarray(value, dtype=np.float64)
    if current.size != 1 or not np.isfinite(current).all() or float(current.ravel()[0]) < 0:
        raise error("E508", "the radius must be one finite number >= 0", node.span,
                    "e.g. radius = 0.05 (in the scenarios' units)")
    return cp.reshape(value, ()) if tensor.is_expr(value) else float(current.ravel()[0])


def _norm(call: ir.Call) -> float:
    node = call.kwarg("norm")
    if node is None:
        return 2.0
    found = node.word if isinstance(node, ir.Word) else ir.literal(node)
    norms: dict[str | float, float] = {"inf": np.inf, 1.0: 1.0, 2.0: 2.0}
    value = norms.get(found) if found is not None else None
    if value is None:
        raise error("E208", "the norm must be 1, 2 or inf", node.span,
                    "the Wasserstein ground metric: norm = 1, norm = 2 or norm = inf")
    return value


def _per_column(ev: Evaluator, node: ir.Expr, symbol: Symbol, what: str) -> np.ndarray:
    value = ev.constant(node, what)
    index = symbol.index[1:]
    sizes = tuple(ev.bindings.size(s) for s in index)
    return np.ravel(np.broadcast_to(tensor.broadcast(value, ev.index(node), index, sizes),
                                    sizes)).astype(float)


def wasserstein_of(ev: Evaluator, call: ir.Call, symbol: Symbol, xi: np.ndarray
                   ) -> Wasserstein:
    found = Wasserstein(_radius(ev, call), _norm(call))
    bounds = {}
    for name, fill in (("lower", -np.inf), ("upper", np.inf)):
        node = call.kwarg(name)
        if node is None:
            continue
        value = _per_column(ev, node, symbol, f"the support's {name} bound")
        outside = (xi < value) if name == "lower" else (xi > value)
        if outside.any():
            row, col = np.argwhere(outside)[0]
            raise error("E508", f"draw {row + 1} of '{symbol.name}' lies outside the support "
                        f"({xi[row, col]:.6g} is {'below' if name == 'lower' else 'above'} "
                        f"{value[col]:.6g})", node.span, "the support must hold every "
                        "scenario: widen the bound or leave it out")
        bounds[name] = np.where(np.isnan(value), fill, value)
    found.lower, found.upper = bounds.get("lower"), bounds.get("upper")
    if found.supported:
        limits.check_shape((2, *xi.shape), "the support's multipliers", call.span)
    return found


def moments_of(ev: Evaluator, call: ir.Call, symbol: Symbol, xi: np.ndarray) -> Moments:
    node = call.kwarg("mean")
    mean = xi.mean(axis=0) if node is None else _per_column(ev, node, symbol, "the mean")
    node = call.kwarg("covariance")
    if node is None:
        covariance = np.cov(xi, rowvar=False, bias=True).reshape(xi.shape[1], xi.shape[1])
    else:
        covariance = np.asarray(ev.constant(node, "the covariance"), dtype=float)
        if len(symbol.index) != 2 or covariance.shape != (xi.shape[1], xi.shape[1]) or \
                any(s.root is not symbol.index[1].root for s in ev.index(node)):
            raise error("E303", f"the covariance of '{symbol.name}' must be indexed "
                        f"[{symbol.index[-1].name}, alias]", node.span, "index it by the "
                        "scenarios' set and an alias of it, e.g. `cov[asset, asset2]`")
    covariance = (covariance + covariance.T) / 2
    values, vectors = np.linalg.eigh(covariance)
    if values.min(initial=0.0) < -1e-9 * max(1.0, values.max(initial=0.0)):
        raise error("E508", "the covariance is not positive semidefinite",
                    (node or call).span, "give a covariance matrix (symmetric, PSD)")
    root = np.sqrt(np.clip(values, 0, None))[:, None] * vectors.T
    return Moments(mean, root)


# ==== the worst cases ====


def _norm_of(value: Value, p: float) -> Value:
    if tensor.is_expr(value):
        return cp.norm(value, "inf" if np.isinf(p) else p)
    return np.float64(np.linalg.norm(np.asarray(value, dtype=float), p))


def worst_case(ambiguity: Wasserstein | Moments, loss: AffineLoss, xi: np.ndarray,
               level: float | None, aux: list[cp.Variable]) -> Value:
    """The worst case as a convex expression. The box-support form has auxiliary
    variables (appended to `aux`), minimized over wherever the term is minimized or bounded
    above, as an epigraph's are."""
    scale = 1.0 if level is None else 1.0 / (1.0 - level)
    if isinstance(ambiguity, Moments):
        center = loss.constant + ambiguity.mean @ loss.gradient
        if level is None:
            return center
        spread = _norm_of(ambiguity.root @ loss.gradient, 2)
        return center + np.sqrt(level / (1.0 - level)) * spread
    if not ambiguity.supported:
        dual = _norm_of(loss.gradient, DUAL_NORM[ambiguity.norm])
        return empirical(loss.losses, level) + ambiguity.radius * scale * dual
    return _supported(ambiguity, loss, xi, level, scale, aux)


def empirical(losses: Value, level: float | None) -> Value:
    if tensor.is_expr(losses):
        return cp.cvar(losses, level) if level is not None else cp.sum(losses) / losses.size
    sample = np.asarray(losses, dtype=float)
    return np.float64(cvar_of_sample(sample, level) if level is not None else sample.mean())


def _supported(ambiguity: Wasserstein, loss: AffineLoss, xi: np.ndarray,
               level: float | None, scale: float, aux: list[cp.Variable]) -> Value:
    """Cor. 5.1 with the box lower <= xi <= upper: multipliers g+ (upper) and g- (lower),
    one row per scenario, only on the sides with a finite bound."""
    count, dim = xi.shape
    upper = ambiguity.upper if ambiguity.upper is not None else np.full(dim, np.inf)
    lower = ambiguity.lower if ambiguity.lower is not None else np.full(dim, -np.inf)
    slack: Value = 0.0
    transport: Value = 0.0
    for bound, sign in ((upper, 1.0), (lower, -1.0)):
        finite = np.flatnonzero(np.isfinite(bound))
        if finite.size == 0:
            continue
        gamma = cp.Variable((count, finite.size), nonneg=True)
        aux.append(gamma)
        select = np.zeros((finite.size, dim))
        select[np.arange(finite.size), finite] = 1.0
        slack = slack + cp.sum(cp.multiply(gamma, sign * (bound[finite] - xi[:, finite])),
                               axis=1)
        transport = transport + sign * (gamma @ select)  # rows of C'g
    tau = cp.Variable() if level is not None else None
    aux += [tau] if tau is not None else []
    gradient = scale * loss.gradient
    rows = transport - np.ones((count, 1)) @ cp.reshape(gradient, (1, dim), order="C")
    dual = DUAL_NORM[ambiguity.norm]
    lam = cp.max(cp.norm(rows, "inf" if np.isinf(dual) else dual, axis=1))
    if tau is None:
        pieces = loss.losses + slack
    else:
        pieces = cp.maximum(scale * (loss.losses - tau) + tau + slack, tau)
    return ambiguity.radius * lam + cp.sum(pieces) / count


def _column_labels(ev: Evaluator, symbol: Symbol) -> list[str]:
    axes = [[str(label) for label in ev.bindings.labels_of(s)] for s in symbol.index[1:]]
    out = [""]
    for labels in axes:
        out = [f"{a}, {b}" if a else b for a in out for b in labels]
    return out
