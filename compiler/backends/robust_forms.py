"""Robust terms that are not one affine form in the uncertain quantities, made into ones.

* Splitting (`pieces`). `abs(a) <= b` holds for every u iff `a <= b` and `-a <= b` both
  do, and `max(v) <= b` iff every `v_i <= b` does (the worst case of a maximum is the
  maximum of the worst cases). So a robust row whose large side is `abs`, `pos`, `neg`,
  `max`, `norm_inf` (or whose small side is `min`) of terms affine in u becomes several
  affine pieces, each with its own worst case; the row's worst case is the largest.
  The backend check, the counterpart and the saddle-point form all split with this one
  function, so both paths take the same rows.
* Relaxing (`counterpart.relaxed`) makes a coefficient convex in the decisions affine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np

from compiler.backends.affine import Lin, NotAffine
from compiler.backends.counterpart import Extractor, NoForm, RobustRow, relaxed, worst_case_form
from compiler.lowering import tensor
from compiler.passes import ir
from compiler.passes.symbols import Symbol

Index = tuple[Symbol, ...]
Form = tuple[Lin, Index]  # an affine form and the axes the adversary maximizes it over


@dataclass
class Piece:
    """One affine piece of a robust row, over the row's index + `extra`."""

    lin: Lin
    extra: Index  # the axes of a max (or min) the adversary also chooses along


def pieces(ex: Extractor, high: ir.Expr, low: ir.Expr, index: Index) -> list[Piece]:
    """`high - low <= 0 for every u` as pieces that must each be <= 0 for every u.

    Raises:
        NotAffine: a piece is not affine in u, or a max's axes meet the row's own.
    """
    out = []
    for top, top_extra in _upper(ex, high):
        for bottom, bottom_extra in _lower(ex, low):
            extra = top_extra + bottom_extra
            if len(set(extra)) < len(extra) or set(extra) & set(index):
                raise NotAffine(high, "a max or min runs along a set the row is also "
                                "indexed by")
            full = index + extra
            a, b = ex._move(top, full), ex._move(bottom, full)
            coef = dict(a.coef)
            for u, k in b.coef.items():
                coef[u] = coef[u] - k if u in coef else -k
            out.append(Piece(Lin(full, a.const - b.const, coef), extra))
    return out


def _upper(ex: Extractor, node: ir.Expr) -> list[Form]:
    """Affine forms whose largest value (over their extra axes too) is `node`."""
    if ex.uncertain_in(node):
        if isinstance(node, ir.Neg):
            return [_negated(f) for f in _lower(ex, node.operand)]
        if isinstance(node, ir.Call) and node.kwarg("weights") is None:
            args = node.args
            if node.func == "abs":
                return _upper(ex, args[0]) + [_negated(f) for f in _lower(ex, args[0])]
            if node.func == "pos":
                return _upper(ex, args[0]) + [_zero(ex, node)]
            if node.func == "neg":
                return [_negated(f) for f in _lower(ex, args[0])] + [_zero(ex, node)]
            if node.func == "max" and len(args) == 2:
                return _upper(ex, args[0]) + _upper(ex, args[1])
            if node.func in ("max", "norm_inf") and len(args) == 1:
                forms = _upper(ex, args[0])
                if node.func == "norm_inf":
                    forms += [_negated(f) for f in _lower(ex, args[0])]
                return _reduced(ex, node, forms)
    return [(ex.extract(node), ())]


def _lower(ex: Extractor, node: ir.Expr) -> list[Form]:
    """Affine forms whose least value is `node`."""
    if ex.uncertain_in(node):
        if isinstance(node, ir.Neg):
            return [_negated(f) for f in _upper(ex, node.operand)]
        if isinstance(node, ir.Call) and node.func == "min":
            if len(node.args) == 2:
                return _lower(ex, node.args[0]) + _lower(ex, node.args[1])
            return _reduced(ex, node, _lower(ex, node.args[0]))
    return [(ex.extract(node), ())]


def _reduced(ex: Extractor, node: ir.Call, forms: list[Form]) -> list[Form]:
    gone = tuple(s for s in ex.ev.index(node.args[0]) if s not in ex.ev.index(node))
    if any(set(gone) & set(extra) for _, extra in forms):
        raise NotAffine(node, "a max or min inside another along the same set")
    return [(lin, extra + gone) for lin, extra in forms]


def _negated(form: Form) -> Form:
    lin, extra = form
    return Lin(lin.index, -lin.const, {u: -k for u, k in lin.coef.items()}), extra


def _zero(ex: Extractor, node: ir.Expr) -> Form:
    index = ex.ev.index(node)
    return Lin(index, np.zeros(ex.ev.sizes(index))), ()


def flat_const(ex: Extractor, lin: Lin, shape: tuple[int, ...]) -> Any:
    """A piece's certain part, flat over its index (C order)."""
    const = tensor.broadcast(lin.const, lin.index, lin.index, shape)
    if not tensor.is_expr(const):
        const = np.asarray(const, dtype=float)
    return tensor.reshape(const, (math.prod(shape),))


def flat_matrix(ex: Extractor, lin: Lin, u: Symbol, shape: tuple[int, ...]) -> Any:
    """A piece's coefficient of u as (elements, n)."""
    n = ex.size(u)
    axis = (ex.axis(u),)
    full = tensor.broadcast(lin.coef[u], lin.index + axis, lin.index + axis,
                            tuple(shape) + (n,))
    matrix = tensor.reshape(full, (math.prod(shape), n))
    return matrix if tensor.is_expr(matrix) else cp.Constant(np.asarray(matrix, float))


# ---- coefficients that are not affine in the decisions ----

def coefficient_blocker(lin: Lin, sign: float, sets: dict[Symbol, Any]) -> str | None:
    """Why a form's coefficients have no convex form (None if every one has)."""
    for u, k in lin.coef.items():
        try:
            relaxed(k, sign, sets[u].bounds() if _varies(k) else None, u.name)
        except NoForm as exc:
            return str(exc)
    return None


def _varies(value: Any) -> bool:
    return tensor.is_expr(value) and not value.is_affine()


def signed_terms(node: ir.Expr, sign: float) -> list[tuple[ir.Expr, float]]:
    """The terms of a sum with their signs (`a - b`: (a, +), (b, -)): what to blame."""
    if isinstance(node, ir.Neg):
        return signed_terms(node.operand, -sign)
    if isinstance(node, ir.BinOp) and node.op in (ir.BinOperator.ADD, ir.BinOperator.SUB):
        flip = 1.0 if node.op is ir.BinOperator.ADD else -1.0
        return signed_terms(node.left, sign) + signed_terms(node.right, sign * flip)
    return [(node, sign)]


def blamed_term(ex: Extractor, node: ir.Expr, sign: float, sets: dict[Symbol, Any]
                ) -> ir.Expr:
    """The term of `node` whose coefficients have no convex form (else `node`)."""
    for term, term_sign in signed_terms(node, sign):
        if ex.uncertain_in(term):
            try:
                if coefficient_blocker(ex.extract(term), term_sign, sets) is not None:
                    return term
            except NotAffine:
                continue
    return node


# ---- the counterpart of a split row ----

def counterpart_rows(ex: Extractor, parts: list[Piece], index: Index,
                     shape: tuple[int, ...], sets: dict[Symbol, Any],
                     label: str) -> tuple[Any, list[Any], RobustRow]:
    """The worst case of a (split) robust row over its index (elements,), its auxiliary
    constraints, and the row kept for the worst-case report."""
    count = math.prod(shape) if shape else 1
    worsts, aux, forms = [], [], []
    split = len(parts) > 1 or bool(parts[0].extra)
    for piece in parts:
        full = index + piece.extra
        sizes = tuple(shape) + ex.ev.sizes(piece.extra)
        worst, more, matrices = worst_case_form(piece.lin, full, sizes, sets, 1.0, ex)
        aux += more
        m = math.prod(ex.ev.sizes(piece.extra)) if piece.extra else 1
        if piece.extra:
            worst = cp.max(cp.reshape(worst, (count, m), order="C"), axis=1)
        worsts.append(worst)
        forms.append((flat_const(ex, piece.lin, sizes) if split else None, matrices, m))
    if not split:
        return worsts[0], aux, RobustRow(label, forms[0][1], 1.0)
    return cp.maximum(*worsts) if len(worsts) > 1 else worsts[0], aux, \
        PiecewiseRow(label, forms, count, sets)


class PiecewiseRow(RobustRow):
    """A split row's report: each element's coefficients are those of the piece (and the
    element of a max) that is largest at the solution, so the worst case reported is the
    adversary's choice there."""

    def __init__(self, name: str, forms: list[tuple[Any, dict[Symbol, Any], int]],
                 count: int, sets: dict[Symbol, Any]):
        self.forms, self.count, self.sets = forms, count, sets
        super().__init__(name, {}, 1.0)

    @property
    def coef(self) -> dict[Symbol, Any]:
        names = {u for _, matrices, _ in self.forms for u in matrices}
        best = np.full(self.count, -np.inf)
        chosen = {u: np.zeros((self.count, self.sets[u].size)) for u in names}
        for const, matrices, m in self.forms:
            values = {u: _number(matrix).reshape(self.count, m, -1)
                      for u, matrix in matrices.items()}
            total = _number(const).reshape(self.count, m).copy()
            for u, a in values.items():
                for i, j in np.ndindex(self.count, m):
                    total[i, j] += a[i, j] @ self.sets[u].argmax(a[i, j])
            for i in range(self.count):
                j = int(np.argmax(total[i]))
                if total[i, j] > best[i]:
                    best[i] = total[i, j]
                    for u in names:
                        chosen[u][i] = values[u][i, j] if u in values else 0.0
        return {u: cp.Constant(matrix) for u, matrix in chosen.items()}

    @coef.setter
    def coef(self, value: dict[Symbol, Any]) -> None:
        pass  # computed from the pieces at the solution


def _number(value: Any) -> np.ndarray:
    raw = value.value if tensor.is_expr(value) else value
    return np.nan_to_num(np.asarray(raw if raw is not None else np.nan, dtype=float),
                         nan=0.0)
