"""Stage 7 of 8: convexity. Input: `ir.Model`, `Lowered`. Output: None. Errors: E401, E402.

cvxpy decides curvature; we decide where to point. On failure we walk the IR to the
smallest sub-expression that is to blame (cvxpy's `build_non_disciplined_error_msg` idea):
first a node of unknown curvature whose parts are all known, else the deepest node that
still has the wrong curvature.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cvxpy as cp
import numpy as np
from cvxpy.atoms.quad_form import QuadForm

from compiler.builtins import lookup
from compiler.lowering import tensor
from compiler.lowering.lower import Lowered
from compiler.passes import ir
from compiler.passes.symbols import SymbolKind
from dsl.errors import Diagnostics, SpecError, error

NEEDS = {
    (ir.Relation.LE, 0): "convex", (ir.Relation.LE, 1): "concave",
    (ir.Relation.GE, 0): "concave", (ir.Relation.GE, 1): "convex",
    (ir.Relation.EQ, 0): "affine", (ir.Relation.EQ, 1): "affine",
}


def _children(node: ir.Expr, model: ir.Model) -> Iterator[ir.Expr]:
    """A node's operands, and a let's value below a reference to it: curvature flows
    through lets."""
    if isinstance(node, ir.Ref):
        let = next((d for d in model.lets if d.symbol is node.symbol), None)
        if let is not None:
            yield let.value
        return
    yield from ir.children(node)


def _curvature(value: object) -> str:
    if not tensor.is_expr(value):
        return "constant"
    expr: cp.Expression = value
    if expr.is_affine():
        return "affine"
    if expr.is_convex():
        return "convex"
    if expr.is_concave():
        return "concave"
    return "unknown"


def _satisfies(curvature: str, need: str) -> bool:
    if curvature in ("constant", "affine"):
        return True
    return curvature == need


class _Blame:
    def __init__(self, model: ir.Model, lowered: Lowered):
        self.model = model
        self.values = lowered.evaluator.lowered if lowered.evaluator else {}
        self.bound = lowered.evaluator.bindings.values if lowered.evaluator else {}

    def negative_params(self, node: ir.Expr) -> str | None:
        """A sentence on the params in `node` holding negative numbers: a sign flipped by
        `--param cost=-0.5` turns a convex term concave, and the file's text looks fine."""
        said: list[str] = []
        # the data factors of the culprit itself (`cost` in `cost * sum(abs(w))`), not
        # data deeper inside a term whose own curvature is right
        factors = [c for c in _children(node, self.model) if self.curvature(c) == "constant"]
        for ref in (r for factor in factors for r in ir.walk(factor)):
            if not (isinstance(ref, ir.Ref) and ref.symbol.kind is SymbolKind.PARAM):
                continue
            value = self.bound.get(ref.symbol)
            try:
                array = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                continue
            if array.size and np.any(array < 0) and ref.symbol.name not in said:
                said.append(ref.symbol.name)
        if not said:
            return None
        names = ", ".join(f"'{n}'" for n in said)
        return (f"{names} {'holds' if len(said) == 1 else 'hold'} a negative value here (from "
                f"the file, --param or params=), which flips this term's curvature: give a "
                f"value >= 0, or write the term with its sign in the model")

    def curvature(self, node: ir.Expr) -> str:
        return _curvature(self.values.get(node)) if node in self.values else "constant"

    def unknown(self, node: ir.Expr) -> ir.Expr | None:
        """The first node of unknown curvature whose children are all known."""
        if self.curvature(node) != "unknown":
            return None
        for child in _children(node, self.model):
            found = self.unknown(child)
            if found is not None:
                return found
        return node

    def wrong(self, node: ir.Expr, need: str) -> ir.Expr:
        """The deepest node on a chain of nodes that all have the wrong curvature."""
        for child in _children(node, self.model):
            curvature = self.curvature(child)
            if curvature not in ("constant", "affine") and curvature != need:
                return self.wrong(child, need)
        return node

    def culprit(self, node: ir.Expr, need: str) -> tuple[ir.Expr, str]:
        found = self.unknown(node)
        if found is not None:
            return found, "unknown"
        found = self.wrong(node, need)
        return found, self.curvature(found)


def _explain(node: ir.Expr, curvature: str, need: str, where: str,
             objective: bool = False, value: Any = None) -> tuple[str, str]:
    text = node.span.text.strip() or "this expression"
    atom = _atom_hint(node) or _indefinite_hint(value)
    if curvature == "unknown":
        return (f"'{text}' has unknown curvature in {where}",
                atom or "a product or quotient of two decision expressions, or a convex "
                "function of a concave one, is not convex; keep one side data, or use an atom "
                "such as quad_form or sum_squares")
    if atom is not None:
        verb = {"convex": "a convex", "concave": "a concave", "affine": "an affine"}[need]
        return f"'{text}' is {curvature}, but {where} needs {verb} expression here", atom
    verb = {"convex": "a convex", "concave": "a concave", "affine": "an affine"}[need]
    return (f"'{text}' is {curvature}, but {where} needs {verb} expression here",
            _hint(curvature, need, objective))


def _indefinite_hint(value: Any) -> str | None:
    """A quadratic form of a data matrix that is not positive semidefinite (an estimated
    correlation, say) has no curvature DCP can use: say so, with its smallest eigenvalue."""
    if not tensor.is_expr(value):
        return None
    for atom in _quad_forms(value):
        matrix = atom.args[1].value
        if matrix is None:
            continue
        eigenvalues = np.linalg.eigvalsh((np.asarray(matrix) + np.asarray(matrix).T) / 2)
        scale = max(1.0, float(np.abs(eigenvalues).max()))
        if eigenvalues.min() < -1e-10 * scale and eigenvalues.max() > 1e-10 * scale:
            return (f"the quadratic form's matrix is not positive semidefinite (smallest "
                    f"eigenvalue {eigenvalues.min():.4g}), so x'Px is neither convex nor "
                    "concave: check the estimate (clip its negative eigenvalues, or shrink it "
                    "toward its diagonal)")
    return None


def _quad_forms(value: Any) -> list[Any]:
    return [node for node in tensor.nodes(value) if isinstance(node, QuadForm)]


def _atom_hint(node: ir.Expr) -> str | None:
    """Compositions DCP cannot see through, with the atom that says the same (the
    builtin's own `dcp_hint`)."""
    if not isinstance(node, ir.Call) or not node.args:
        return None
    builtin = lookup(node.func)
    return builtin.dcp_hint(node) if builtin is not None and builtin.dcp_hint else None


def _hint(curvature: str, need: str, objective: bool) -> str:
    if need == "affine":
        return "an equality needs affine sides; use '<=' or '>=' for a convex bound"
    if objective:
        if need == "concave":
            return (f"this {curvature} term works against you in a maximize objective: "
                    f"subtract it (e.g. `- cost * abs(w)`) instead of adding it")
        return (f"this {curvature} term works against you in a minimize objective: add it "
                f"(e.g. `+ cost * abs(w)`) instead of subtracting it")
    if need == "concave":
        return (f"a {curvature} expression can only be bounded above (`expr <= limit`); the one "
                f"lower bound compiled exactly is `abs(x) >= a` on a decision variable")
    return (f"a {curvature} expression can only be bounded below (`expr >= limit`) in a "
            f"convex model; rewrite the constraint so that this term is bounded below")


def check_discipline(model: ir.Model, lowered: Lowered) -> None:
    """Check DCP: the objective's curvature and every constraint's sides.

    Raises:
        SpecError: E401 for the objective, E402 for constraints, at the smallest culprit.
    """
    diags = Diagnostics()
    blame = _Blame(model, lowered)
    objective = model.objective
    need = "convex" if objective.sense is ir.Sense.MINIMIZE else "concave"
    if not _satisfies(_curvature(lowered.objective), need):
        node, curvature = blame.culprit(objective.expr, need)
        message, help_text = _explain(node, curvature, need,
                                      f"{objective.sense.value} '{objective.name}'", True,
                                      blame.values.get(node))
        sign = blame.negative_params(node)
        diags.add("E401", message, node.span, sign or help_text)
    for con in model.constraints:
        parts = lowered.parts.get(con.name, [])
        if not isinstance(con.condition, ir.Comparison):
            continue
        for k, part in enumerate(parts):
            for side, value in ((0, part.lhs), (1, part.rhs)):
                need = NEEDS[(part.op, side)]
                if _satisfies(_curvature(value), need):
                    continue
                node, curvature = blame.culprit(con.condition.terms[k + side], need)
                message, help_text = _explain(node, curvature, need,
                                              f"constraint '{con.name}'", False,
                                              blame.values.get(node))
                sign = blame.negative_params(node)
                diags.add("E402", message, node.span, sign or help_text)
    try:
        diags.raise_if_any()
    except SpecError as exc:
        # One diagnostic per place: a chained constraint may blame a node twice.
        unique = {(d.span.start, d.code): d for d in exc.diagnostics}
        raise SpecError(list(unique.values())) from None


def ensure_dcp(problem: cp.Problem, span_owner: ir.Model) -> None:
    """Last guard: a problem cvxpy itself rejects is a gap in the checks above (E900)."""
    if not problem.is_dcp():
        raise error("E900", "cvxpy rejects the compiled problem as non-convex",
                    span_owner.objective.span, "this is a gap in Saddle's checks; please "
                    "report it with the model")
