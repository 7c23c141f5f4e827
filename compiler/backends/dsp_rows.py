"""The saddle-point form's robust rows (dsp-cvxpy), and E412 where a term has none.

Each element of each robust part gets its own local copy of the uncertain quantities (its
own worst case). An affine piece g = b(x) + A(x) u (robust_forms.pieces: `abs` and `max`
rows are split first) becomes, row by row, b_i + saddle_max(inner(A_i, u_i)) <= 0; other
parts are lowered as written, oriented so the uncertain side is not negated.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import dsp
import numpy as np

from compiler.backends import robust_errors
from compiler.backends.affine import NotAffine
from compiler.backends.counterpart import Extractor, NoForm, relaxed, robust_part
from compiler.backends.dsp_atoms import SaddleAtoms
from compiler.backends.robust_forms import Piece, flat_const, flat_matrix, pieces
from compiler.backends.solver_output import solve_problem
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.lowering.lower import Part, make_variable
from compiler.passes import ir
from compiler.passes.symbols import Symbol
from compiler.uncertainty.base import Instance
from dsl.errors import SpecError, error

if TYPE_CHECKING:
    from compiler.backends.dsp import RobustModel

NOT_PARSED = (AssertionError, dsp.parser.DSPError)  # dsp-cvxpy's "not convex-concave"


def known_nonneg(robust: RobustModel, decisions: dict[Symbol, Any]) -> set[cp.Variable]:
    """Decisions declared >= 0 (a bound of data >= 0, or the flag)."""
    plain = Evaluator(robust.shapes, robust.bindings)
    out = set()
    for definition in robust.model.variables:
        variable = decisions.get(definition.symbol)
        if variable is None:
            continue
        if {"nonneg", "binary"} & definition.flags:
            out.add(variable)
        elif definition.lower is not None:
            try:
                bound = plain.constant(definition.lower, "a bound")
            except SpecError:
                continue
            if np.all(bound >= 0):
                out.add(variable)
    return out


def adversary_nonneg(robust: RobustModel, copies: list[Instance]) -> set[cp.Variable]:
    """Copies of u that are u itself, on a set where u >= 0."""
    out = set()
    for copy in copies:
        bounds = robust.sets[copy.symbol].bounds()
        if copy.primitive is copy.expression and bounds is not None and \
                np.all(bounds[0] >= 0):
            out.add(copy.primitive)
    return out


def robust_rows(robust: RobustModel, con: ir.Constraint, decisions: dict[Symbol, Any],
                lets: dict[Symbol, ir.LetDef], extractor: Extractor,
                extra: list[Any], relaxed_vars: list[cp.Variable]) -> list[Part]:
    """The parts of one robust constraint; `extra` and `relaxed_vars` collect the bounds
    and variables of relaxed coefficients (decision-side)."""
    index = robust.shapes.constraints[con.name]
    shape = robust.bindings_shape(index)
    condition = con.condition
    if not isinstance(condition, ir.Comparison):
        return []
    parts = []
    for k, op in enumerate(condition.ops):
        lhs, rhs = condition.terms[k], condition.terms[k + 1]
        high, low = (lhs, rhs) if op is ir.Relation.LE else (rhs, lhs)
        label = con.name if len(condition.ops) == 1 else f"{con.name} (part {k + 1})"
        try:
            split = pieces(extractor, high, low, index)
        except NotAffine as exc:
            parts.append(_direct(robust, con, label, lhs, op, rhs, decisions, lets, index,
                                 shape, exc.reason))
            continue
        rows = _AffineRows(robust, con, label, extractor, shape)
        worst = rows.worst(split, index, high if extractor.uncertain_in(high) else low,
                           extra, relaxed_vars)
        parts.append(robust_part(worst, op, extractor, lhs, rhs, index, shape))
    return parts


class _AffineRows:
    """One robust part made of affine pieces, each element its own saddle_max."""

    def __init__(self, robust: RobustModel, con: ir.Constraint, label: str,
                 extractor: Extractor, shape: tuple[int, ...]):
        self.robust, self.con, self.label, self.ex = robust, con, label, extractor
        self.count = math.prod(shape) if shape else 1
        self.shape = shape

    def worst(self, split: list[Piece], index: tuple[Symbol, ...], blamed: ir.Expr,
              extra: list[Any], relaxed_vars: list[cp.Variable]) -> Any:
        worsts, groups = [], []
        for piece in split:
            sizes = tuple(self.shape) + self.ex.ev.sizes(piece.extra)
            total = math.prod(sizes) if sizes else 1
            const = flat_const(self.ex, piece.lin, sizes)
            matrices = {}
            for u in piece.lin.coef:
                matrix = flat_matrix(self.ex, piece.lin, u, sizes)
                try:
                    matrix, bound = relaxed(matrix, 1.0, self.robust.sets[u].bounds()
                                            if not matrix.is_affine() else None, u.name)
                except NoForm as exc:
                    raise robust_errors.constraint_error(
                        _context(self.robust), self.con, self.label, blamed, True, str(exc)
                    ) from None
                extra += bound
                relaxed_vars += [matrix] if bound else []
                matrices[u] = matrix
            extremes, copies = [], []
            for row in range(total):
                if not matrices:
                    extremes.append(_expression(const[row]))
                    continue
                if not any(tensor.varies(matrix[row]) for matrix in matrices.values()):
                    # no decision in this element's u-coefficients: its worst case is a
                    # number, the adversary's own small problem (saddle_max needs a decision)
                    local = {u: self.robust._instance(u, cp.Variable) for u in matrices}
                    copies.append(local)
                    extremes.append(const[row] + self._constant_worst(matrices, row, local))
                    continue
                local = {u: self.robust._instance(u, dsp.LocalVariable) for u in matrices}
                copies.append(local)
                bilinear = sum(dsp.inner(_vector(matrix[row]), _vector(local[u].expression))
                               for u, matrix in matrices.items())
                rows = [c for i in local.values() for c in i.constraints]
                # the certain part stays outside saddle_max: DSP cannot classify a decision
                # that appears only there (`beta * e <= t`: t)
                extremes.append(const[row] + dsp.saddle_max(bilinear, rows))
            m = total // self.count
            stacked = cp.reshape(cp.hstack(extremes), (self.count, m), order="C")
            worsts.append(cp.max(stacked, axis=1) if m > 1 else
                          cp.reshape(stacked, (self.count,), order="C"))
            groups.append((const, matrices, copies, m))
        if len(split) == 1 and not split[0].extra:
            for local in groups[0][2]:
                self.robust.instances.setdefault(self.label, []).extend(local.values())
            return worsts[0]
        self.robust.instances[self.label] = _BindingCopies(groups, self.count)  # type: ignore[assignment]
        return cp.maximum(*worsts) if len(worsts) > 1 else worsts[0]


    def _constant_worst(self, matrices: dict[Symbol, Any], row: int,
                        local: dict[Symbol, Instance]) -> float:
        """max over the sets of sum_u a_u'u for data a_u; the copies keep the maximizer."""
        objective = sum(_number(matrix[row]).reshape(-1) @ _vector(local[u].expression)
                        for u, matrix in matrices.items())
        problem = cp.Problem(cp.Maximize(objective),
                             [c for i in local.values() for c in i.constraints])
        try:
            solve_problem(problem)
        except cp.error.SolverError as exc:
            raise RuntimeError(f"the worst case of '{self.con.name}' failed: {exc}") from None
        if problem.status not in ("optimal", "optimal_inaccurate") or problem.value is None:
            raise error("E410", f"the worst case of '{self.label}' is {problem.status} over "
                        "the uncertainty set", self.con.span,
                        "bound the uncertain quantity in every direction the constraint uses")
        return float(problem.value)


class _BindingCopies:
    """A split row's copies of u as the worst-case report reads them: for each element
    and each u, the copy of the piece (and element of a max) that is largest at the
    solution, so the report shows the adversary's choice there."""

    def __init__(self, groups: list[tuple[Any, dict[Symbol, Any], list[dict[Symbol, Instance]],
                                          int]], count: int):
        self.groups, self.count = groups, count

    def __iter__(self) -> Iterator[Instance]:
        names = list(dict.fromkeys(u for _, matrices, _, _ in self.groups for u in matrices))
        for i in range(self.count):
            for u in names:
                best, chosen = -np.inf, None
                for const, matrices, copies, m in self.groups:
                    if u not in matrices:
                        continue
                    for j in range(m):
                        local = copies[i * m + j]
                        value = float(_number(const[i * m + j])) + sum(
                            float(_number(matrix[i * m + j]) @ _number(
                                _vector(local[v].expression)))
                            for v, matrix in matrices.items())
                        if value > best or chosen is None:
                            best, chosen = value, local[u]
                if chosen is not None:
                    yield chosen


def _direct(robust: RobustModel, con: ir.Constraint, label: str, lhs: ir.Expr,
            op: ir.Relation, rhs: ir.Expr, decisions: dict[Symbol, Any],
            lets: dict[Symbol, ir.LetDef], index: tuple[Symbol, ...],
            shape: tuple[int, ...], not_affine: str) -> Part:
    """A part that is not affine in the uncertain quantities, lowered as written
    (`not_affine`: why it is not, said if dsp-cvxpy cannot read it either)."""
    uncertain = robust.robust[con.name]
    probe = Extractor(Evaluator(robust.shapes, robust.bindings, decisions, lets),
                      robust.model, entropy_terms=False)
    right_only = not probe.uncertain_in(lhs)
    first, second = (rhs, lhs) if right_only else (lhs, rhs)
    upper = (op is ir.Relation.LE) != right_only  # saddle_max(first - second) <= 0
    nonneg = known_nonneg(robust, decisions)
    extremes = []
    for row in range(math.prod(shape) if shape else 1):
        local = {u: robust._instance(u, dsp.LocalVariable) for u in uncertain}
        robust.instances.setdefault(label, []).extend(local.values())
        ev = Evaluator(robust.shapes, robust.bindings,
                       {**decisions, **{u: i.expression for u, i in local.items()}}, lets)
        # saddle_max: the adversary maximizes, the decision side goes first;
        # saddle_min: the adversary minimizes and goes first.
        ev.saddle = SaddleAtoms({i.primitive for i in local.values()},
                                adversary_first=not upper, fold=robust.fold,
                                nonneg=nonneg | adversary_nonneg(robust, list(local.values())))
        rows = [c for i in local.values() for c in i.constraints]
        extremum = dsp.saddle_max if upper else dsp.saddle_min
        try:
            gap = (tensor.broadcast(ev(first), ev.index(first), index, shape)
                   - tensor.broadcast(ev(second), ev.index(second), index, shape))
            element = gap[np.unravel_index(row, shape)] if shape else gap
            extremes.append(extremum(element, rows))
            parsed = extremes[-1].is_dsp()
        except NOT_PARSED:
            parsed = False
        if not parsed:
            context = _context(robust)
            reason = context.curvature_reason(first, second, upper)
            raise robust_errors.constraint_error(
                context, con, label, first, upper, reason or (
                    f"{not_affine}, and the saddle-point backend (dsp-cvxpy) cannot read "
                    f"'{robust_errors.text(first)}' as "
                    f"{'concave' if upper else 'convex'} in the uncertain quantity and "
                    f"{'convex' if upper else 'concave'} in the decisions"))
    stacked = cp.hstack(extremes)
    worst = cp.reshape(stacked, shape, order="C") if shape else stacked[0]
    if upper:
        return Part(worst, ir.Relation.LE, 0.0, worst <= 0)
    return Part(worst, ir.Relation.GE, 0.0, worst >= 0)


# ---- E412, located (robust_errors.py) ----

def objective_error(robust: RobustModel) -> SpecError:
    """E412 at the objective's term that has no saddle form, with why where known."""
    context = _context(robust)
    probe = {d.symbol: make_variable(d, robust.bindings) for d in robust.model.variables}
    return robust_errors.objective_error(context, *context.objective_blame(probe))


def _context(robust: RobustModel) -> robust_errors.Context:
    return robust_errors.Context(robust.model, robust.shapes, robust.bindings, robust.sets)


def _expression(value: Any) -> Any:
    return value if tensor.is_expr(value) else cp.Constant(np.asarray(value, dtype=float))


def _number(value: Any) -> np.ndarray:
    raw = value.value if tensor.is_expr(value) else value
    return np.nan_to_num(np.asarray(raw if raw is not None else np.nan, dtype=float), nan=0.0)


def _vector(value: Any) -> Any:
    """A value as a flat vector (C order), as dsp.inner takes it."""
    if tensor.is_expr(value):
        return cp.reshape(value, (int(np.prod(value.shape)) if value.shape else 1,),
                          order="C")
    return np.asarray(value, dtype=float).reshape(-1)
