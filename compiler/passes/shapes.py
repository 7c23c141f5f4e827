"""Stage 3 of 8: index sets and shapes. Input: `ir.Model`. Output: `Shapes`. Errors: E3xx.

A shape is a tuple of index sets (symbols), never of sizes, so this pass needs no data.
Rules (documented in docs/language.md):

* `+ - * /`, `max(a, b)`: align by name; the result is indexed by the union of both sides'
  sets (left's order first). A set missing on one side broadcasts.
* `a @ b` sums over the sets the two share. If they share none, a set and its alias
  (`set asset2 = asset`) are contracted instead, so `w @ cov @ w` reads naturally.
* A call's index is its builtin's shape rule (compiler/builtins: reductions drop every
  set, or the one named by `over = S`; elementwise functions keep the argument's).
* A list literal or `csv(...)` takes the index its declaration gives it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from compiler.builtins import ShapeCall, lookup
from compiler.builtins.rules import union as union  # re-exported: callers use shapes.union
from compiler.passes import ir
from compiler.passes.alignment import check_alignment, check_spread, name_of, reindexed
from compiler.passes.symbols import Symbol, SymbolKind, index_text
from dsl.errors import Diagnostics, error

Index = tuple[Symbol, ...]


@dataclass
class Shapes:
    """Side tables: the index of every expression node, let, and constraint."""

    of: dict[ir.Expr, Index] = field(default_factory=dict)
    lets: dict[Symbol, Index] = field(default_factory=dict)
    constraints: dict[str, Index] = field(default_factory=dict)

    def index(self, symbol: Symbol) -> Index:
        return self.lets.get(symbol, symbol.index)


def contraction(left: Index, right: Index) -> list[tuple[Symbol, Symbol]]:
    """The (left set, right set) pairs that `left @ right` sums over; empty if none."""
    shared = [(s, s) for s in left if s in right]
    if shared:
        return shared
    return [(a, b) for a in left for b in right if a.root is b.root]


class _ShapeChecker:
    def __init__(self, model: ir.Model):
        self.model = model
        self.shapes = Shapes()

    def infer(self, node: ir.Expr, context: Index | None = None) -> Index:
        method = getattr(self, f"infer_{type(node).__name__}")
        index: Index = method(node, context)
        self.shapes.of[node] = index
        return index

    # ---- leaves ----

    def infer_Const(self, node: ir.Const, context: Index | None) -> Index:
        return ()

    def infer_Str(self, node: ir.Str, context: Index | None) -> Index:
        return ()

    def infer_Word(self, node: ir.Word, context: Index | None) -> Index:
        return ()

    def infer_Ref(self, node: ir.Ref, context: Index | None) -> Index:
        if node.symbol.kind is SymbolKind.SET:
            return (node.symbol,)  # a set's labels as numbers, indexed by itself
        return self.shapes.index(node.symbol)

    def infer_Test(self, node: ir.Test, context: Index | None) -> Index:
        index: Index = ()
        for term in node.terms:
            index = union(index, self.infer(term))
        return index

    def infer_Over(self, node: ir.Over, context: Index | None) -> Index:
        """`loss over P`: one loss per draw of P's scenarios (their first set)."""
        self.infer(node.definition)
        index = self.infer(node.value)
        scenarios = node.definition.args[0]
        draws = self.shapes.index(scenarios.symbol)[:1] if isinstance(scenarios, ir.Ref) else ()
        if index != draws:
            raise error("E303", f"a loss over '{node.ambiguity.name}' indexed by "
                        f"{index_text(index)}", node.value.span,
                        f"give one loss per draw: an expression indexed by "
                        f"{index_text(draws)} only, as the scenarios' rows are")
        return index

    def infer_Range(self, node: ir.Range, context: Index | None) -> Index:
        self.infer(node.start)
        self.infer(node.stop)
        return ()

    def infer_ListLit(self, node: ir.ListLit, context: Index | None) -> Index:
        if not context:
            raise error("E305", "a list here has no index set to take", node.span,
                        "declare the list as a param with an index, e.g. "
                        "`param p[S] = [...]`, and use the param's name")
        depth, item = 0, node
        while isinstance(item, ir.ListLit) and item.items:
            depth += 1
            item = item.items[0]  # type: ignore[assignment]
        if depth != len(context):
            raise error("E305", f"a {depth}-level list for a value indexed by "
                        f"{index_text(context)}", node.span,
                        f"write a list nested {len(context)} level(s) deep, one level per "
                        f"index set, in the declared order")
        for element in _flatten(node):
            if self.infer(element):  # each entry is one number (float() in evaluate)
                raise error("E305", f"a list entry indexed by "
                            f"{index_text(self.shapes.of[element])}", element.span,
                            'write one number per entry, or select one label, as in repo["5Y"]')
        return context

    # ---- operators ----

    def infer_Neg(self, node: ir.Neg, context: Index | None) -> Index:
        return self.infer(node.operand, context)

    def infer_BinOp(self, node: ir.BinOp, context: Index | None) -> Index:
        left = self.infer(node.left, context)
        right = self.infer(node.right, context)
        if node.op is ir.BinOperator.POW:
            if right:
                raise error("E303", f"the exponent is indexed by {index_text(right)}",
                            node.right.span, "use a scalar exponent, such as `x ^ 2`")
            return left
        if node.op is ir.BinOperator.MATMUL:
            if not left or not right:
                raise error("E302", "'@' with a scalar operand", node.span,
                            "use '*' to scale by a scalar; '@' sums over a shared index set")
            pairs = contraction(left, right)
            if not pairs:
                raise error("E302", f"'@' between {index_text(left)} and {index_text(right)}"
                            " shares no index set", node.span,
                            "'@' sums over the index sets both sides share; index both by the "
                            "same set, or outer(a, b) for every pair of labels")
            if len(pairs) > 1 and pairs[0][0] is not pairs[0][1]:
                raise error("E302", "'@' could contract several aliased sets", node.span,
                            "index the two sides so that exactly one set is shared")
            gone_left = {a for a, _ in pairs}
            gone_right = {b for _, b in pairs}
            return tuple(s for s in left if s not in gone_left) + tuple(
                s for s in right if s not in gone_right)
        check_alignment(self.shapes.of, node, [node.left, node.right], [left, right])
        return union(left, right)

    # ---- calls ----

    def infer_Call(self, node: ir.Call, context: Index | None) -> Index:
        builtin = lookup(node.func)
        if builtin is None or builtin.shape is None:  # resolve refuses unknown functions
            raise RuntimeError(f"no shape rule for '{node.func}'")
        rule = builtin.shape
        args: list[Index] = []
        if not rule.own_arguments:
            arg_context = context if rule.passes_context else None
            args = [self.infer(a, arg_context) for a in node.args]
            for name, value in node.kwargs:
                if name != "over":
                    self.infer(value)
        return rule.infer(ShapeCall(node, args, self.shapes.of, self.model, context,
                                    self.infer))

    def infer_Attr(self, node: ir.Attr, context: Index | None) -> Index:
        self.infer(node.base, context)
        return context or ()

    def infer_Select(self, node: ir.Select, context: Index | None) -> Index:
        base = self.infer(node.base)
        if node.reindex is not None:
            return reindexed(node, base, node.reindex)
        for label in node.labels:
            if self.infer(label):
                raise error("E303", "a label must be a single string or number", label.span,
                            'select by label, as in `w["10Y"]`')
        if len(node.labels) > len(base):
            raise error("E303", f"{len(node.labels)} labels for a value indexed by "
                        f"{index_text(base)}", node.span, "give one label per index set")
        return base[len(node.labels):]

    # ---- declarations ----

    def fits(self, value: ir.Expr, declared: Index, what: str, spread: bool = False) -> None:
        """The value's sets are the declaration's; with `spread`, a value computed from
        indexed data must not be silently copied along sets it lacks."""
        index = self.infer(value, declared)
        extra = [s for s in index if s not in declared]
        if extra:
            twin = next((d for d in declared if d.root is extra[0].root and d not in index),
                        None)
            hint = (f"re-index the value onto '{twin.name}', as in `{name_of(value)}"
                    f"[{twin.name}]`" if twin is not None and len(index) == 1 else
                    f"remove '{extra[0].name}' from the value (sum over it, or select a "
                    f"label) or add it to the declaration's index")
            raise error("E301", f"{what} is indexed by {index_text(declared)} but its value by "
                        f"{index_text(index)}", value.span, hint)
        if spread:
            check_spread(self.shapes.of, value, declared, index, what)

    def check_comparison(self, con: ir.Constraint, comparison: ir.Comparison) -> Index:
        index: Index = ()
        for term in comparison.terms:
            index = union(index, self.infer(term))
        return index

    def run(self) -> Shapes:
        diags = Diagnostics()
        m = self.model
        # One step per declaration part, so each mistake is reported and the rest go on.
        steps: list[Callable[[], object]] = [
            partial(self.infer, d.value) for d in m.sets if isinstance(d.value, ir.Range)]
        steps += [partial(self.fits, d.value, d.symbol.index, d.symbol.describe(), True)
                  for d in m.params if d.value is not None]
        for s in m.scenarios:
            parts = [s.value] if s.value is not None else []
            if s.sampler is not None:
                parts += [*s.sampler.args, *(v for _, v in s.sampler.kwargs)]
            steps += [partial(self.fits, p, s.symbol.index, s.symbol.describe()) for p in parts]
        for v in (*m.variables, *m.uncertains):
            steps += [partial(self.fits, b, v.symbol.index, f"a bound of {v.symbol.describe()}")
                      for b in (v.lower, v.upper) if b is not None]
        steps += [partial(self.let, d) for d in m.lets]
        steps += [partial(self.infer, d.value) for d in m.ambiguities]
        steps += [partial(self.infer, u.set_expr) for u in m.uncertains
                  if u.set_expr is not None]
        steps += [partial(self.constraint, c) for u in m.uncertains for c in u.constraints]
        steps.append(self.objective)
        steps += [partial(self.constraint, c) for c in m.constraints]
        diags.run_each(steps)
        return self.shapes

    def let(self, definition: ir.LetDef) -> None:
        declared = definition.symbol.index
        if declared:
            self.fits(definition.value, declared, definition.symbol.describe(), True)
            self.shapes.lets[definition.symbol] = declared
        else:
            self.shapes.lets[definition.symbol] = self.infer(definition.value)

    def objective(self) -> None:
        objective = self.model.objective
        index = self.infer(objective.expr)
        if index:
            raise error("E304", f"objective '{objective.name}' is indexed by "
                        f"{index_text(index)}", objective.expr.span,
                        "an objective is one number: wrap it in sum(...), or reduce it with "
                        "max(...) or a norm")

    def constraint(self, con: ir.Constraint) -> None:
        options = (con.condition.options if isinstance(con.condition, ir.Disjunction)
                   else (con.condition,))
        index: Index = ()
        for option in options:
            index = union(index, self.check_comparison(con, option))
        self.shapes.constraints[con.name] = index


def _flatten(node: ir.ListLit) -> list[ir.Expr]:
    out: list[ir.Expr] = []
    for item in node.items:
        out.extend(_flatten(item) if isinstance(item, ir.ListLit) else [item])
    return out


def check_shapes(model: ir.Model) -> Shapes:
    """Infer and check the index sets of every expression.

    Args:
        model: the resolved model.

    Returns:
        `Shapes`: the index of every expression node, let and constraint.

    Raises:
        SpecError: E3xx, for every misaligned expression.
    """
    return _ShapeChecker(model).run()
