"""The explicit robust counterpart: for terms affine in the uncertain quantities over the
standard sets, the adversary's problem is solved in closed form by duality.

A term f(x, u) that is affine in u is split as f = b(x) + sum_u A_u(x) vec(u), with b and
A_u affine in the decisions (`extract`). Then, row by row,

    max over u in U of f = b + support_U(A_u)        (UncertaintySet.support: box -> l1
    min over u in U of f = b - support_U(-A_u)        term, ellipsoid -> SOC, budget -> LP dual)

so a robust model becomes one ordinary cvxpy problem: faster than the saddle form, and it
takes integer decisions. Terms that are not affine in u raise `NotAffine` (the DSP path
takes them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np

from compiler.backends import entropy
from compiler.backends.affine import Index, Lin, NotAffine
from compiler.backends.entropy import EntropyTerm
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.lowering.lower import Part
from compiler.passes import ir
from compiler.passes.shapes import contraction
from compiler.passes.symbols import Symbol, SymbolKind
from compiler.uncertainty.sets.ellipsoid import Ellipsoid
from dsl.source import synthetic_span


class Extractor:
    """Splits expressions into their affine parts in the uncertain quantities."""

    def __init__(self, evaluate: Evaluator, model: ir.Model, entropy_terms: bool = True):
        self.ev = evaluate
        # log-sum-exp stand-ins (entropy.py) only where the counterpart is built; the DSP
        # path extracts affine parts alone
        self.entropy_terms = entropy_terms
        self.lets = {d.symbol: d for d in model.lets}
        self.axes: dict[Symbol, Symbol] = {}
        self.done: dict[ir.Expr, Lin] = {}  # the backend check and the build share work
        self.identities: dict[Symbol, np.ndarray] = {}  # u's own coefficient (`_Ref`)
        self.entropy: list[EntropyTerm] = []  # log-sum-exp terms stood in for (entropy.py)

    def axis(self, u: Symbol) -> Symbol:
        """The trailing axis of u's coefficients: one position per element of u."""
        if u not in self.axes:
            self.axes[u] = Symbol(f"{u.name}#", SymbolKind.SET, synthetic_span())
        return self.axes[u]

    def uncertain_in(self, node: ir.Expr) -> set[Symbol]:
        found, stack = set(), ir.refs(node)
        while stack:
            ref = stack.pop()
            if ref.symbol.kind is SymbolKind.UNCERTAIN:
                found.add(ref.symbol)
            elif ref.symbol in self.lets:
                stack.extend(ir.refs(self.lets[ref.symbol].value))
        return found

    def size(self, u: Symbol) -> int:
        return math.prod(self.ev.sizes(u.index)) if u.index else 1

    def extract(self, node: ir.Expr) -> Lin:
        if node in self.done:
            return self.done[node]
        index = self.ev.index(node)
        if not self.uncertain_in(node):
            return Lin(index, self.ev(node))
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise NotAffine(node, "this expression is not affine in the uncertain quantity")
        result: Lin = method(node)
        self.done[node] = result
        return result

    # ---- helpers ----

    def _move(self, lin: Lin, out: Index) -> Lin:
        """`lin` with its axes in `out`'s order (size 1 where it lacks a set)."""
        coef = {u: tensor.align(k, lin.index + (self.axis(u),), out + (self.axis(u),))
                for u, k in lin.coef.items()}
        return Lin(out, tensor.align(lin.const, lin.index, out), coef)

    def _affine_only(self, node: ir.Expr, factor: Any, lin: Lin) -> None:
        """A coefficient of u must stay affine in the decisions: decision * decision is not."""
        if tensor.varies(factor) and any(tensor.varies(k) for k in lin.coef.values()):
            raise NotAffine(node, "the uncertain quantity's coefficient would be a product of "
                            "decisions")

    def _scale(self, lin: Lin, factor: Any, factor_index: Index, out: Index) -> Lin:
        lin = self._move(lin, out)
        const = tensor.multiply(tensor.align(factor, factor_index, out), lin.const)
        coef = {u: tensor.multiply(tensor.align(factor, factor_index, out + (self.axis(u),)), k)
                for u, k in lin.coef.items()}
        return Lin(out, const, coef)

    # ---- node types ----

    def _Ref(self, node: ir.Ref) -> Lin:
        symbol = node.symbol
        if symbol.kind is SymbolKind.UNCERTAIN:
            shape = self.ev.sizes(symbol.index)
            if symbol not in self.identities:
                n = self.size(symbol)
                self.identities[symbol] = np.eye(n).reshape(tuple(shape) + (n,))
            return Lin(symbol.index, np.zeros(shape), {symbol: self.identities[symbol]})
        definition = self.lets[symbol]
        inner = self.extract(definition.value)
        return self._move(inner, self.ev.shapes.index(symbol))

    def _Neg(self, node: ir.Neg) -> Lin:
        inner = self.extract(node.operand)
        return Lin(inner.index, -inner.const, {u: -k for u, k in inner.coef.items()})

    def _BinOp(self, node: ir.BinOp) -> Lin:
        out = self.ev.index(node)
        op = node.op
        if op in (ir.BinOperator.ADD, ir.BinOperator.SUB):
            left = self._move(self.extract(node.left), out)
            right = self._move(self.extract(node.right), out)
            sign = 1.0 if op is ir.BinOperator.ADD else -1.0
            coef = dict(left.coef)
            for u, k in right.coef.items():
                coef[u] = coef[u] + sign * k if u in coef else sign * k
            return Lin(out, left.const + sign * right.const, coef)
        left_u, right_u = self.uncertain_in(node.left), self.uncertain_in(node.right)
        if left_u and right_u:
            raise NotAffine(node, "a product of two uncertain expressions is not affine")
        if op is ir.BinOperator.MUL:
            certain, lin_node = (node.right, node.left) if left_u else (node.left, node.right)
            factor, lin = self.ev(certain), self.extract(lin_node)
            self._affine_only(node, factor, lin)
            return self._scale(lin, factor, self.ev.index(certain), out)
        if op is ir.BinOperator.DIV and not right_u:
            divisor = self.ev.constant(node.right, "a divisor")
            return self._scale(self.extract(node.left), 1.0 / divisor,
                               self.ev.index(node.right), out)
        if op is ir.BinOperator.MATMUL:
            return self._matmul(node, left_u)
        raise NotAffine(node, f"'{op.value}' of an uncertain quantity is not affine")

    def _matmul(self, node: ir.BinOp, uncertain_left: set[Symbol]) -> Lin:
        li, ri = self.ev.index(node.left), self.ev.index(node.right)
        pairs = contraction(li, ri)
        out = self.ev.index(node)
        if uncertain_left:
            lin, other, oi = self.extract(node.left), self.ev(node.right), ri
            self._affine_only(node, other, lin)
            const = self._contract_const(lin.const, li, other, oi, pairs, out)
            coef = {}
            for u, k in lin.coef.items():
                s = self.axis(u)
                raw = _through_identity(other, oi, li, [(b, a) for a, b in pairs], True) \
                    if k is self.identities.get(u) else None
                if raw is None:
                    raw = tensor.contract(k, li + (s,), other, oi, pairs)
                kept = tuple(x for x in li if x not in {a for a, _ in pairs}) + (s,) + tuple(
                    x for x in oi if x not in {b for _, b in pairs})
                coef[u] = tensor.align(raw, kept, out + (s,))
            return Lin(out, const, coef)
        other, lin = self.ev(node.left), self.extract(node.right)
        self._affine_only(node, other, lin)
        const = self._contract_const(other, li, lin.const, ri, pairs, out)
        coef = {}
        for u, k in lin.coef.items():
            through = _through_identity(other, li, ri, pairs, False) \
                if k is self.identities.get(u) else None
            coef[u] = through if through is not None else \
                tensor.contract(other, li, k, ri + (self.axis(u),), pairs)
        return Lin(out, const, coef)

    def _contract_const(self, left: Any, li: Index, right: Any, ri: Index,
                        pairs: list[tuple[Symbol, Symbol]], out: Index) -> Any:
        """The certain part of a product: zeros when a side is zero data (`w @ u`'s, where u
        contributes no constant: no `w @ 0` term reaches cvxpy)."""
        for side in (left, right):
            if not tensor.is_expr(side) and not np.any(side):
                return np.zeros(self.ev.sizes(out))
        return tensor.contract(left, li, right, ri, pairs)

    def _Call(self, node: ir.Call) -> Lin:
        if node.func == "log_sum_exp" and self.entropy_terms:
            stand_in = entropy.stand_in(self, node)
            if stand_in is not None:
                return stand_in
        if node.func not in ("sum", "mean"):
            raise NotAffine(node, f"'{node.func}' of an uncertain quantity has no closed-form "
                            "counterpart")
        inner = self.extract(node.args[0])
        over = node.kwarg("over")
        axes = ([inner.index.index(over.symbol)] if isinstance(over, ir.Ref)
                else list(range(len(inner.index))))
        count = math.prod(self.ev.sizes(tuple(inner.index[a] for a in axes))) or 1
        scale = 1.0 / count if node.func == "mean" else 1.0
        const, coef = inner.const, dict(inner.coef)
        for axis in sorted(axes, reverse=True):
            const = tensor.reduce_sum(const, axis)
            coef = {u: tensor.reduce_sum(k, axis) for u, k in coef.items()}
        out = self.ev.index(node)
        return Lin(out, const * scale, {u: k * scale for u, k in coef.items()})

    def _Select(self, node: ir.Select) -> Lin:
        inner = self.extract(node.base)
        if node.reindex is not None:  # the same coefficients on renamed axes
            return Lin(self.ev.index(node), inner.const, inner.coef)
        positions = tuple(self.ev.bindings.position(s, _label(x), x.span)
                          for x, s in zip(node.labels, inner.index, strict=False))
        return Lin(self.ev.index(node), inner.const[positions],
                   {u: k[positions] for u, k in inner.coef.items()})


def _through_identity(other: Any, oi: Index, ui: Index, pairs: list[tuple[Symbol, Symbol]],
                      u_first: bool) -> Any:
    """`other` contracted with u's identity coefficient (over u's axes + (k,)): other itself,
    its contracted axes flattened into k in u's C order, the kept axes in place (after k
    when u_first: `u @ M`). No dense identity reaches cvxpy. None if u's axes are not all
    contracted in order (tensor.contract then does it)."""
    o_axes = [oi.index(a) for a, _ in pairs]
    if [ui.index(b) for _, b in pairs] != list(range(len(ui))):
        return None
    kept = [k for k in range(len(oi)) if k not in o_axes]
    shape = tuple(other.shape)
    flat = math.prod(shape[k] for k in o_axes)
    kept_shape = tuple(shape[k] for k in kept)
    if u_first:
        return tensor.reshape(tensor.permute(other, o_axes + kept), (flat,) + kept_shape)
    return tensor.reshape(tensor.permute(other, kept + o_axes), kept_shape + (flat,))


def _label(node: ir.Expr) -> str | float:
    value = ir.literal(node)
    if value is None:
        raise NotAffine(node, "select by a literal label")
    return value


def rows(value: Any, index_size: int) -> Any:
    """A coefficient over (constraint index..., k) as a (rows, k) matrix."""
    shape = tuple(value.shape)
    k = shape[-1] if shape else 1
    return tensor.reshape(value, (max(1, index_size), k))


@dataclass
class RobustRow:
    """A robust constraint part or the objective, kept to report the worst case: the
    coefficient matrix of each uncertain quantity (rows x k) and the sign it enters with."""

    name: str
    coef: dict[Symbol, Any]
    sign: float  # +1: the adversary maximizes A u; -1: it minimizes


def worst_case_form(lin: Lin, index: Index, shape: tuple[int, ...], sets: dict[Symbol, Any],
                    sign: float, extractor: Extractor) -> tuple[Any, list[Any], dict[Symbol, Any]]:
    """b + sign * support(sign * A): the adversary's best response, row by row.

    Returns the (rows,) expression, auxiliary constraints, and each coefficient matrix.
    """
    lin = extractor._move(lin, index)
    count = math.prod(shape) if shape else 1
    const = tensor.broadcast(lin.const, index, index, shape)
    total = tensor.reshape(const, (count,)) if shape else cp.reshape(
        cp.Constant(np.asarray(const)) if not tensor.is_expr(const) else const, (1,),
        order="C")
    aux: list[Any] = []
    matrices: dict[Symbol, Any] = {}
    for u, k in lin.coef.items():
        s = extractor.axis(u)
        n = extractor.size(u)
        full = tensor.broadcast(k, index + (s,), index + (s,), tuple(shape) + (n,))
        matrix = tensor.reshape(full, (count, n))
        if not tensor.is_expr(matrix):
            matrix = cp.Constant(np.asarray(matrix, dtype=float))
        stand_in = matrix
        if not matrix.is_affine():  # a convex coefficient, on a set where u >= 0
            stand_in, bound = relaxed(matrix, sign, sets[u].bounds(), u.name)
            aux += bound
        support, rows_aux = _shared_support(sets[u], sign * stand_in, extractor) or \
            sets[u].support(sign * stand_in)
        total = total + sign * support
        aux += rows_aux
        matrices[u] = matrix
    return total, aux, matrices


def _shared_support(uset: Any, a: Any, extractor: Extractor) -> tuple[Any, list[Any]] | None:
    """An ellipsoid's support a'c + r ||L'a|| for one row a = c x, with L'x the y that a
    quad_form over the same factor already made (lowering/factors.py): the solver then
    holds L once, as in the hand-written factor form. None where no y fits."""
    factors = extractor.ev.factors
    if factors is None or not isinstance(uset, Ellipsoid) or a.shape[0] != 1:
        return None
    norm = factors.shared(uset.factor, a)
    if norm is None:
        return None
    return a @ uset.flat(uset.center_point) + uset.radius * cp.reshape(norm, (1,), order="C"), []


def difference(extractor: Extractor, high: ir.Expr, low: ir.Expr,
                index: tuple[Symbol, ...]) -> Any:
    """high - low as one affine form over the constraint's index."""
    a, b = extractor._move(extractor.extract(high), index), \
        extractor._move(extractor.extract(low), index)
    coef = dict(a.coef)
    for u, k in b.coef.items():
        coef[u] = coef[u] - k if u in coef else -k
    return Lin(index, a.const - b.const, coef)


def robust_part(worst: Any, op: ir.Relation, extractor: Extractor, lhs: ir.Expr,
                 rhs: ir.Expr, index: tuple[Symbol, ...], shape: tuple[int, ...]) -> Part:
    """Report a robust row like any constraint: its value is the worst-case left side when
    the right side is certain."""
    worst = cp.reshape(worst, shape, order="C") if shape else worst[0]
    constraint = worst <= 0
    certain = rhs if op is ir.Relation.LE else lhs
    if not extractor.uncertain_in(certain):
        value = tensor.broadcast(extractor.ev(certain), extractor.ev.index(certain), index,
                                 shape)
        if op is ir.Relation.LE:
            return Part(worst + value, ir.Relation.LE, value, constraint)
        return Part(value - worst, ir.Relation.GE, value, constraint)
    return Part(worst, ir.Relation.LE, 0.0, constraint)


# Relaxing. A coefficient of u that is convex in the decisions (`u * square(x - c)`) is
# replaced by a variable s >= the coefficient. Where u >= 0 on its set the adversary's best
# response is nondecreasing in s, so the optimum takes s = the coefficient and the form is
# exact (u <= 0 and a concave coefficient likewise).
SIGN_TOL = 1e-9


class NoForm(Exception):
    """No convex form for a coefficient of u: the reason."""


def relaxed(coef: Any, sign: float, bounds: tuple[np.ndarray, np.ndarray] | None,
            name: str) -> tuple[Any, list[cp.Constraint]]:
    """`coef` (the adversary maximizes sign * coef'u) with a non-affine coefficient
    replaced by a variable s and the constraint that bounds it (see the module doc).

    Raises:
        NoForm: the coefficient's curvature and u's sign on its set do not fit.
    """
    if not tensor.is_expr(coef) or coef.is_affine():
        return coef, []
    a = sign * coef
    low, high = bounds if bounds is not None else (None, None)
    if a.is_convex():
        if low is None or np.any(low < -SIGN_TOL):
            raise NoForm(f"the coefficient of '{name}' is {_curvature(sign, 'convex')} in "
                         f"the decisions, which needs '{name}' >= 0 on its set, and it can "
                         "be negative there")
        s = cp.Variable(coef.shape)
        return s, [sign * s >= a]
    if a.is_concave():
        if high is None or np.any(high > SIGN_TOL):
            raise NoForm(f"the coefficient of '{name}' is {_curvature(sign, 'concave')} in "
                         f"the decisions, which needs '{name}' <= 0 on its set, and it can "
                         "be positive there")
        s = cp.Variable(coef.shape)
        return s, [sign * s <= a]
    raise NoForm(f"the coefficient of '{name}' is neither convex nor concave in the "
                 "decisions")


def _curvature(sign: float, of_a: str) -> str:
    return of_a if sign > 0 else ("concave" if of_a == "convex" else "convex")
