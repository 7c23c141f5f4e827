"""E412 for robust terms that neither path can take, located at the term, with why.

Both paths and the backend check raise these: a term the adversary would maximize while it
is convex (and not affine) in the uncertain quantity has no convex worst case, whichever
backend is asked (`sum_squares(w + u) <= 4`), and the message says so instead of blaming
the objective, a linear term, or dsp-cvxpy's parser.
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp

from compiler.backends.affine import NotAffine
from compiler.backends.counterpart import Extractor
from compiler.backends.robust_forms import coefficient_blocker, signed_terms
from compiler.data.bindings import Bindings
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.lowering.instances import set_instance
from compiler.passes import ir
from compiler.passes.shapes import Shapes
from compiler.passes.symbols import Symbol
from dsl.errors import SpecError, error


class Context:
    """What the messages need from a robust model (either path, or the backend check)."""

    def __init__(self, model: ir.Model, shapes: Shapes, bindings: Bindings,
                 sets: dict[Symbol, Any]):
        self.model, self.shapes, self.bindings, self.sets = model, shapes, bindings, sets
        self.lets = {d.symbol: d for d in model.lets}

    def uncertain_in(self, node: ir.Expr) -> set[Symbol]:
        ev = Evaluator(self.shapes, self.bindings, lets=self.lets)
        return Extractor(ev, self.model, entropy_terms=False).uncertain_in(node)

    def curvature_reason(self, first: ir.Expr, second: ir.Expr | None,
                         upper: bool, note: str = "") -> str | None:
        """'... is convex in u, and the adversary maximizes it', where cvxpy can tell with
        the decisions held as parameters (so the curvature is u's alone)."""
        probe: dict[Symbol, Any] = {
            d.symbol: cp.Parameter(tuple(self.bindings.size(s) for s in d.symbol.index))
            for d in self.model.variables}
        probe.update({u: set_instance(self.model, self.shapes, self.bindings, self.sets, u,
                                      cp.Variable).expression for u in self.sets})
        ev = Evaluator(self.shapes, self.bindings, probe, self.lets)
        try:
            value = ev(first)
            if second is not None:
                value = value - tensor.align(ev(second), ev.index(second), ev.index(first))
        except (SpecError, AssertionError, ValueError, TypeError):
            return None
        if not tensor.is_expr(value) or value.is_affine() or value.is_pwl():
            return None  # a max of affine terms: robust_forms splits it where it can
        names = names_of(self.uncertain_in(first))
        if upper and value.is_convex():
            return (f"'{text(first)}' is convex in {names}, and the adversary maximizes "
                    f"it{note}: the worst case of a convex function over a set has no convex "
                    "form")
        if not upper and value.is_concave():
            return (f"'{text(first)}' is concave in {names}, and the adversary minimizes "
                    f"it{note}: the worst case of a concave function over a set has no convex "
                    "form")
        return None

    def term_reason(self, term: ir.Expr, sign: float) -> str | None:
        """An objective term's curvature_reason; says so where the adversary works
        against the term's sign (`- sum_squares(..)`)."""
        objective = self.model.objective
        note = (f" (it is subtracted from '{objective.name}')"
                if sign != _sign(objective) else "")
        return self.curvature_reason(term, None, sign > 0, note)

    def objective_blame(self, probe: dict[Symbol, Any]) -> tuple[ir.Expr, str | None]:
        """The first term of the objective (a sum) with no saddle form, and why if known;
        else the one term not affine in u, else the whole objective."""
        objective = self.model.objective
        ex = Extractor(Evaluator(self.shapes, self.bindings, probe, self.lets), self.model,
                       entropy_terms=False)
        candidates = []
        for term, sign in signed_terms(objective.expr, _sign(objective)):
            if not ex.uncertain_in(term):
                continue
            try:
                reason = coefficient_blocker(ex.extract(term), sign, self.sets)
            except NotAffine:
                reason = self.term_reason(term, sign)
                if reason is None:
                    candidates.append(term)
            if reason:
                return term, reason
        return (candidates[0] if len(candidates) == 1 else objective.expr), None


def _sign(objective: ir.Objective) -> float:
    """+1: the adversary maximizes the objective (a minimize one)."""
    return 1.0 if objective.sense is ir.Sense.MINIMIZE else -1.0


def constraint_error(context: Context, con: ir.Constraint, label: str, node: ir.Expr,
                     upper: bool, reason: str | None) -> SpecError:
    names = names_of(context.uncertain_in(node) or
                     set().union(*(context.uncertain_in(t) for t in _terms(con))))
    verb = "maximizes" if upper else "minimizes"
    shape, other = ("concave", "convex") if upper else ("convex", "concave")
    return error("E412", f"robust constraint '{label}' is not convex-concave: "
                 + (reason or f"the adversary {verb} '{text(node)}' over {names}, and the "
                    f"saddle-point backend (dsp-cvxpy) cannot read it as {shape} in {names} "
                    f"and {other} in the decisions"),
                 node.span, f"the side the adversary {verb} must be {shape} in {names} and "
                 f"{other} in the decisions; write it affine in the uncertain quantity where "
                 "you can (abs, max, pos of affine terms are split into rows)")


def objective_error(context: Context, node: ir.Expr, reason: str | None) -> SpecError:
    objective = context.model.objective
    names = names_of(context.uncertain_in(objective.expr))
    maximize = objective.sense is ir.Sense.MAXIMIZE
    verb = "minimize" if maximize else "maximize"
    shape, other = ("convex", "concave") if maximize else ("concave", "convex")
    return error("E412", f"'{text(node)}' makes objective '{objective.name}' not "
                 "convex-concave" + (f": {reason}" if reason else " as the saddle-point "
                                     "backend (dsp-cvxpy) reads it"), node.span,
                 f"the adversary chooses {names} to {verb} '{objective.name}', so each term "
                 f"must be {shape} in {names} and {other} in the decisions; rewrite this "
                 "term, or make the uncertain quantity enter it affinely")


def refuse_intractable(context: Context, con: ir.Constraint | None, label: str,
                       high: ir.Expr, low: ir.Expr | None) -> None:
    """E412 now, for the backend check, where the adversary's worst case of a part (or
    the objective's term, `con` None) is convex maximization: no backend takes it."""
    if con is None:
        sign = _sign(context.model.objective)
        for term, term_sign in signed_terms(high, sign):
            if context.uncertain_in(term):
                reason = context.term_reason(term, term_sign)
                if reason:
                    raise objective_error(context, term, reason)
        return
    right_only = not context.uncertain_in(high)
    first, second = (low, high) if right_only else (high, low)
    if first is None:
        return
    reason = context.curvature_reason(first, second, upper=not right_only)
    if reason:
        raise constraint_error(context, con, label, first, not right_only, reason)


def _terms(con: ir.Constraint) -> tuple[ir.Expr, ...]:
    return con.condition.terms if isinstance(con.condition, ir.Comparison) else ()


def names_of(symbols: set[Symbol]) -> str:
    return ", ".join(f"'{u.name}'" for u in sorted(symbols, key=lambda s: s.name)) or \
        "the uncertain quantities"


def text(node: ir.Expr) -> str:
    return " ".join(node.span.text.split())
