"""The explicit robust counterpart of a whole model: the certain part lowered as usual, the
objective and every robust constraint replaced by their worst-case forms (counterpart.py),
each weighted log-sum-exp bounded by its entropy dual (entropy.py)."""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np

from compiler.backends import entropy
from compiler.backends.counterpart import Extractor, RobustRow, robust_part, worst_case_form
from compiler.backends.robust_forms import counterpart_rows, pieces
from compiler.lowering import tensor
from compiler.lowering.factors import FactorProducts
from compiler.lowering.lower import lower
from compiler.passes import ir
from compiler.passes.symbols import Symbol, SymbolKind
from dsl.errors import error


def build_counterpart(model: ir.Model, shapes: Any, bindings: Any, exact: Any,
                      sets: dict[Symbol, Any], robust: dict[str, set[Symbol]],
                      reused: Extractor | None) -> tuple[Any, list[RobustRow]]:
    """The explicit robust counterpart: the certain model lowered as usual, the objective
    and every robust constraint replaced by their worst-case forms (rows kept for the
    worst-case report). `reused` is the backend check's extractor (same variables)."""
    variables = ({s: v for s, v in reused.ev.variables.items()
                  if s.kind is SymbolKind.VARIABLE} if reused is not None else None)
    lowered = lower(model, shapes, bindings, exact, skip=set(robust), with_objective=False,
                    variables=variables)
    if lowered.evaluator is None:  # lower always sets it
        raise RuntimeError("no evaluator")
    extractor = reused or Extractor(lowered.evaluator, model)
    if extractor.ev.factors is None:  # y = L'x shared by quad_form and an ellipsoid's norm
        extractor.ev.factors = FactorProducts()
    objective = model.objective
    sign = 1.0 if objective.sense is ir.Sense.MINIMIZE else -1.0
    total, extra, matrices = worst_case_form(extractor.extract(objective.expr), (), (), sets,
                                             sign, extractor)
    lowered.objective = total[0]
    rows = [RobustRow("objective", matrices, sign)]
    checks: list[tuple[str, Any, float]] = [("objective", total[0], -sign)]
    for con in model.constraints:
        condition = con.condition
        if con.name not in robust or not isinstance(condition, ir.Comparison):
            continue
        index = shapes.constraints[con.name]
        shape = tuple(bindings.size(s) for s in index)
        parts = []
        for k, op in enumerate(condition.ops):
            lhs, rhs = condition.terms[k], condition.terms[k + 1]
            high, low = (lhs, rhs) if op is ir.Relation.LE else (rhs, lhs)
            label = con.name if len(condition.ops) == 1 else f"{con.name} (part {k + 1})"
            worst, aux, row = counterpart_rows(extractor, pieces(extractor, high, low, index),
                                               index, shape, sets, label)
            extra += aux
            rows.append(row)
            checks.append((label, worst, -1.0))
            parts.append(robust_part(worst, op, extractor, lhs, rhs, index, shape))
        lowered.parts[con.name] = parts
    lowered.extra += extra + entropy_rows(extractor, sets, checks, rows) + \
        extractor.ev.factors.constraints
    extractor.ev.factors = None  # a product made after this would miss its row y == L'x
    return lowered, rows


def entropy_rows(extractor: Extractor, sets: dict[Symbol, Any],
                 checks: list[tuple[str, Any, float]], rows: list[RobustRow]) -> list[Any]:
    """t <= D(h, nu) for each log-sum-exp stood in for, where every expression that holds t
    moves the right way with it (`direction` +1: must not fall as t rises)."""
    out: list[Any] = []
    for term in extractor.entropy:
        users = [(name, expression, direction) for name, expression, direction in checks
                 if tensor.is_expr(expression)
                 and any(v is term.t for v in expression.variables())]
        for _, expression, direction in users:
            slope = entropy.slope(expression, term.t) * direction
            if not np.all(np.isfinite(slope)) or np.any(slope < 0):
                raise error("E412", "the adversary would raise this log-sum-exp, which is "
                            "convex in the uncertain quantity", term.node.span,
                            "a weighted log-sum-exp works for you only where the adversary "
                            "lowers it: subtract it in a minimize objective, add it in a "
                            "maximize one, or keep it on the large side of >=")
        if not users:
            continue
        d, aux, pull = term.dual(sets[term.u].support)
        out += [term.t <= d, *aux]
        matrix = cp.reshape(pull, (1, pull.shape[0]), order="C")
        rows += [RobustRow(name, {term.u: matrix}, 1.0) for name, _, _ in users]
    return out
