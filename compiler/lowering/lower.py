"""Stage 6 of 8: lowering to CVXPY. Input: ir + `Bindings` + `Shapes`. Output: `Lowered`.
Errors: E900 (safety net: the backend rejected an expression), E901 (not compiled yet).

Each named constraint becomes one cvxpy constraint per comparison in its chain, over the
constraint's full index, so duals come out per label. Exact nonconvex forms are lowered by
`exact.ExactForm.lower`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np

from compiler.data.bindings import Bindings
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.lowering.swept import active_parameters
from compiler.passes import ir
from compiler.passes.exact import ExactForm
from compiler.passes.shapes import Shapes
from compiler.passes.symbols import Symbol, SymbolKind
from dsl.errors import Diagnostics, SpecError, error


@dataclass
class Part:
    """One comparison `lhs op rhs` of a named constraint, lowered."""

    lhs: Any
    op: ir.Relation
    rhs: Any
    constraint: cp.Constraint


@dataclass
class Lowered:
    variables: dict[Symbol, cp.Variable]
    objective: cp.Expression
    parts: dict[str, list[Part]] = field(default_factory=dict)
    exact: dict[str, ExactForm] = field(default_factory=dict)
    extra: list[cp.Constraint] = field(default_factory=list)  # variable bounds
    exact_rows: list[cp.Constraint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    evaluator: Evaluator | None = None

    def problem(self, sense: ir.Sense) -> cp.Problem:
        """The cvxpy problem of this lowering: its objective in `sense`, every row."""
        return cp.Problem(goal(sense, self.objective), self.constraints())

    def constraints(self) -> list[cp.Constraint]:
        rows = [p.constraint for parts in self.parts.values() for p in parts]
        return rows + self.extra + self.exact_rows

    def fixed_integer_constraints(self) -> list[cp.Constraint]:
        """The constraints with every exact form's binaries fixed: a continuous problem
        whose duals are the mixed-integer optimum's prices (the usual "fixed MIP" duals)."""
        rows = [p.constraint for parts in self.parts.values() for p in parts] + self.extra
        for form in self.exact.values():
            if form.binaries:
                rows += form.fixed(self.variables[form.variable])
        return rows


def goal(sense: ir.Sense, expr: cp.Expression) -> cp.Minimize | cp.Maximize:
    """A model's objective sense as cvxpy's (the one place it is written)."""
    return cp.Maximize(expr) if sense is ir.Sense.MAXIMIZE else cp.Minimize(expr)


def make_variable(definition: ir.VariableDef, bindings: Bindings,
                  prefix: tuple[Symbol, ...] = ()) -> cp.Variable:
    """The cvxpy variable of a declaration (with leading batch sets for rolling windows)."""
    shape = tuple(bindings.size(s) for s in prefix + definition.symbol.index)
    flags = definition.flags
    symbol = definition.symbol
    matrix_flags = sorted(flags & {"psd", "symmetric"})
    if matrix_flags and (len(shape) != 2 or shape[0] != shape[1]):  # cvxpy's ValueError
        raise error("E211", f"variable '{symbol.name}' is '{matrix_flags[0]}' but not a square "
                    f"matrix", symbol.span, "index it by two sets with the same labels, as in "
                    "`set tenor2 = tenor` and `variable X[tenor, tenor2] psd`")
    if len(matrix_flags) == 2:
        raise error("E211", f"variable '{symbol.name}' is both 'psd' and 'symmetric'",
                    symbol.span, "drop 'symmetric': a psd matrix is symmetric")
    return cp.Variable(shape, name=definition.symbol.name, integer="integer" in flags,
                       boolean="binary" in flags, nonneg="nonneg" in flags,
                       nonpos="nonpos" in flags, PSD="psd" in flags,
                       symmetric="symmetric" in flags)


def _compare(lhs: object, op: ir.Relation, rhs: object) -> cp.Constraint:
    if op is ir.Relation.LE:
        return lhs <= rhs  # type: ignore[operator]
    if op is ir.Relation.GE:
        return lhs >= rhs  # type: ignore[operator]
    return lhs == rhs


def _as_expression(value: Any) -> cp.Expression:
    if tensor.is_expr(value):
        expression: cp.Expression = value
        return expression
    return cp.Constant(np.asarray(value, dtype=float))


class _Lowerer:
    def __init__(self, model: ir.Model, shapes: Shapes, bindings: Bindings,
                 exact: dict[str, ExactForm], adversary: dict[Symbol, Any] | None = None,
                 skip: set[str] | None = None, with_objective: bool = True,
                 saddle: Any = None, variables: dict[Symbol, cp.Variable] | None = None):
        self.model, self.shapes, self.bindings, self.exact = model, shapes, bindings, exact
        self.skip, self.with_objective = skip or set(), with_objective
        self.variables = variables or {v.symbol: make_variable(v, bindings)
                                       for v in model.variables}
        self.evaluate = Evaluator(shapes, bindings, {**self.variables, **(adversary or {})},
                                  {d.symbol: d for d in model.lets})
        self.evaluate.saddle = saddle
        self.evaluate.parameters = active_parameters()  # a sweep's Parameters, if any

    def run(self) -> Lowered:
        diags = Diagnostics()
        objective: cp.Expression | None = None
        try:
            if self.with_objective:
                objective = _as_expression(self.evaluate(self.model.objective.expr))
        except SpecError as exc:
            diags.extend(exc)
        lowered = Lowered(self.variables, objective if objective is not None else
                          cp.Constant(0.0), exact=self.exact, evaluator=self.evaluate)
        for definition in self.model.variables:
            try:
                lowered.extra += self.bounds(definition)
            except SpecError as exc:
                diags.extend(exc)
        for con in self.model.constraints:
            if con.name in self.skip:
                continue
            try:
                self.constraint(con, lowered)
            except SpecError as exc:
                diags.extend(exc)
        for let in self.model.lets:  # a let nothing uses is still reported
            if let.symbol not in self.evaluate.let_values and not self.unbound(let.value):
                try:
                    self.evaluate(ir.Ref(symbol=let.symbol, span=let.value.span))
                except SpecError as exc:
                    diags.extend(exc)
        diags.raise_if_any()
        return lowered

    def unbound(self, node: ir.Expr) -> bool:
        """True if `node` mentions an uncertain quantity this lowering has no variable for
        (the counterpart path: such lets are reported at the worst case after the solve)."""
        lets = {d.symbol: d for d in self.model.lets}
        stack = ir.refs(node)
        while stack:
            symbol = stack.pop().symbol
            if symbol.kind is SymbolKind.UNCERTAIN and symbol not in self.evaluate.variables:
                return True
            if symbol in lets:
                stack.extend(ir.refs(lets[symbol].value))
        return False

    def bounds(self, definition: ir.VariableDef) -> list[cp.Constraint]:
        x = self.variables[definition.symbol]
        rows = []
        for node, op in ((definition.lower, ir.Relation.GE), (definition.upper, ir.Relation.LE)):
            if node is not None:
                value = self.evaluate.constant(node, "a bound")
                rows.append(_compare(x, op, tensor.broadcast(
                    value, self.shapes.of[node], definition.symbol.index, x.shape)))
        return rows

    def constraint(self, con: ir.Constraint, lowered: Lowered) -> None:
        form = self.exact.get(con.name)
        if form is not None:
            if not (form.threshold > 0).any():
                lowered.notes.append(f"constraint '{con.name}' always holds (its threshold is "
                                     f"0) and was dropped")
                return
            lowered.exact_rows += form.lower(self.variables[form.variable])
            lowered.notes.append(form.note())
            return
        if isinstance(con.condition, ir.Disjunction):
            raise error("E403", f"constraint '{con.name}' is an 'or' with no exact form",
                        con.condition.span, "the exact forms are `x == 0 or abs(x) >= a` "
                        "on a decision variable; rewrite the condition that way or drop "
                        "one option")
        index = self.shapes.constraints[con.name]
        shape = tuple(self.bindings.size(s) for s in index)
        terms = [tensor.broadcast(self.evaluate(t), self.shapes.of[t], index, shape)
                 for t in con.condition.terms]
        parts = []
        for k, op in enumerate(con.condition.ops):
            lhs, rhs = terms[k], terms[k + 1]
            if not tensor.is_expr(lhs) and not tensor.is_expr(rhs):
                raise error("E402", f"constraint '{con.name}' compares data with data",
                            con.condition.span, "a constraint must involve a decision; "
                            "check the data in advance instead")
            parts.append(Part(lhs, op, rhs, _compare(lhs, op, rhs)))
        lowered.parts[con.name] = parts


def lower(model: ir.Model, shapes: Shapes, bindings: Bindings,
          exact: dict[str, ExactForm], adversary: dict[Symbol, Any] | None = None,
          skip: set[str] | None = None, with_objective: bool = True,
          saddle: Any = None, variables: dict[Symbol, cp.Variable] | None = None
          ) -> Lowered:
    """Build the cvxpy variables, objective and constraints.

    Args:
        adversary: expressions for uncertain quantities (the saddle-point objective's).
        skip: constraints lowered elsewhere (robust ones, by `robust.py`).
        with_objective: False when the objective is lowered elsewhere.
        saddle: the saddle-point backend's atoms (`saddle_atoms.SaddleAtoms`), for DSP.
        variables: decision variables made already (the robust backend check's).

    Raises:
        SpecError: E900 where cvxpy rejects an expression the checks let through.
    """
    return _Lowerer(model, shapes, bindings, exact, adversary, skip, with_objective,
                    saddle, variables).run()


def comparison_rows(ev: Evaluator, condition: Any, shapes: Shapes,
                    bindings: Bindings) -> list[cp.Constraint]:
    """The cvxpy rows of a comparison over the union of its terms' index sets."""
    if not isinstance(condition, ir.Comparison):
        return []
    index: tuple[Symbol, ...] = ()
    for term in condition.terms:
        index = index + tuple(s for s in ev.index(term) if s not in index)
    shape = tuple(bindings.size(s) for s in index)
    terms = [tensor.broadcast(ev(t), ev.index(t), index, shape) for t in condition.terms]
    rows = []
    for k, op in enumerate(condition.ops):
        lhs, rhs = terms[k], terms[k + 1]
        rows.append(lhs <= rhs if op is ir.Relation.LE else lhs >= rhs
                    if op is ir.Relation.GE else lhs == rhs)
    return rows
