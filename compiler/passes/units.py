"""Stage 3b: units. Input: `ir.Model`. Output: `Units`. Errors: E307, E308, E309.

Every value has a dimension: a rate (`bp`, and params or variables declared `in bp` or
`in %`), money (`$`, `$k`, `$M`, `$bn`, and anything declared in them), dimensionless (a
decision variable by default: a weight; a count), or unknown. Plain numbers, csv data and
params without a unit are unknown: they fit any dimension, so a model without units is
never rejected. A `%` literal is a share or a rate (`abs(w) <= 5%`, `margin = 8%`).

* `+ - max(a, b) min(a, b)`, the sides of a comparison, the entries of a list, a variable
  and its bounds, a declared param and a value with its own unit: one dimension (E307).
* `* / @` combine by `TIMES` / `OVER` (money * rate = money, money / money = a share
  or a rate, rate / rate = dimensionless: `x / 1bp` counts basis points); a product the
  tables do not cover (rate * rate) is unknown, as is anything times an unknown.

The pass also decides how a param with a declared unit is converted (`Units.scales`,
applied by `bind`): a value written without any unit is in the declared unit; a value
that mentions one (a literal such as `25bp`, a param with a unit) is already in decimals
and dollars and is not converted again. A value that mixes both is ambiguous (E309).
Money declared in $k, $M or $bn is held in that unit (compiler/passes/dimensions.py), so `in $M =
$250M` is 250. A value given from outside (`--param`, `params=`) is checked like the file's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from compiler.builtins import UnitCall, lookup
from compiler.passes import ir
from compiler.passes.dimensions import (
    ANY_MONEY,
    MONEY,
    MONEY_KIND,
    OVER,
    PURE,
    RATE,
    SHARE_OR_RATE,
    TIMES,
    Dim,
    combine,
    describe,
    families,
    family,
    mismatch_help,
    money_scale,
    unit_dim,
)
from compiler.passes.symbols import Symbol, SymbolKind
from compiler.passes.unit_values import (
    Conversions,
    InBaseUnits,
    held_scale,
    known_unit,
    text_of,
)
from dsl.errors import Diagnostics, error
from dsl.source import Span

__all__ = ["ANY_MONEY", "MONEY", "PURE", "RATE", "SHARE_OR_RATE", "Dim", "Units", "check_units",
           "unit_dim"]  # the dimensions live in compiler/passes/dimensions.py


@dataclass
class Units:
    """Side tables: the dimension of every checked expression and symbol, and the factor
    that converts each param's file value from its declared unit (absent: 1)."""

    dims: dict[ir.Expr, Dim] = field(default_factory=dict)
    symbols: dict[Symbol, Dim] = field(default_factory=dict)
    scales: dict[Symbol, float] = field(default_factory=dict)


class _UnitChecker:
    def __init__(self, model: ir.Model, overrides: Mapping[str, Any]):
        self.model = model
        self.overrides = overrides
        self.conversions = Conversions()
        self.units = Units(scales=self.conversions.scales)

    def dim(self, node: ir.Expr) -> Dim:
        method: Callable[[Any], Dim] = getattr(self, f"dim_{type(node).__name__}")
        found = method(node)
        self.units.dims[node] = found
        return found

    def same(self, nodes: tuple[ir.Expr, ...], span: Span | None = None) -> Dim:
        """The one dimension of `nodes` (E307 at `span`, or at the odd node, if none)."""
        common: Dim = None
        witness: ir.Expr | None = None
        for node in nodes:
            found = self.units.dims[node] if node in self.units.dims else self.dim(node)
            if found is None:
                continue
            if common is None or witness is None:
                common, witness = found, node
                continue
            meet = common & found
            if not meet:
                raise error("E307", f"units do not match: '{text_of(witness)}' is "
                            f"{describe(common)}, '{text_of(node)}' is {describe(found)}",
                            span or node.span, mismatch_help(common, found))
            common = meet
        return common

    # ---- expressions ----

    def dim_Const(self, node: ir.Const) -> Dim:
        if node.unit is not None and node.unit.startswith("$") and node.value == 0:
            return ANY_MONEY  # $0 is no amount in any scale
        return unit_dim(node.unit, literal=True)

    def dim_Str(self, node: ir.Str) -> Dim:
        return None

    def dim_Word(self, node: ir.Word) -> Dim:
        return None

    def dim_Range(self, node: ir.Range) -> Dim:
        return None

    def dim_Ref(self, node: ir.Ref) -> Dim:
        return self.units.symbols.get(node.symbol)

    def dim_Neg(self, node: ir.Neg) -> Dim:
        return self.dim(node.operand)

    def dim_Select(self, node: ir.Select) -> Dim:
        for label in node.labels:
            self.dim(label)
        return self.dim(node.base)

    def dim_Attr(self, node: ir.Attr) -> Dim:
        return None  # a csv column

    def dim_ListLit(self, node: ir.ListLit) -> Dim:
        return self.same(node.items)

    def dim_Test(self, node: ir.Test) -> Dim:
        self.same(node.terms, node.span)
        return PURE  # 0 or 1

    def dim_Over(self, node: ir.Over) -> Dim:
        self.dim(node.definition)
        return self.dim(node.value)  # a worst case of the loss is in the loss's unit

    def dim_BinOp(self, node: ir.BinOp) -> Dim:
        op = node.op
        if op in (ir.BinOperator.ADD, ir.BinOperator.SUB):
            return self.same((node.left, node.right), node.span)
        left, right = self.dim(node.left), self.dim(node.right)
        if op in (ir.BinOperator.MUL, ir.BinOperator.MATMUL):
            return combine(TIMES, left, right)
        if op is ir.BinOperator.DIV:
            if left and right and {family(k) for k in left | right} == {MONEY_KIND} \
                    and not left & right:  # $M over $: a ratio off by a million
                self.same((node.left, node.right), node.span)
            return combine(OVER, left, right)
        power = ir.literal(node.right)
        if left == PURE or power == 1:
            return left
        return combine(TIMES, left, left) if power == 2 else None

    def dim_Call(self, node: ir.Call) -> Dim:
        builtin = lookup(node.func)
        if builtin is None or builtin.units is None:  # resolve refuses unknown functions
            raise RuntimeError(f"no units rule for '{node.func}'")
        rule = builtin.units
        args: list[Dim] = []
        if not rule.own_arguments:
            for _, value in node.kwargs:
                self.dim(value)
            args = [self.dim(a) for a in node.args]
        return rule.infer(UnitCall(node, args, self.same))

    # ---- declarations ----

    def param(self, definition: ir.ParamDef) -> None:
        symbol, unit, value = definition.symbol, definition.unit, definition.value
        found = self.dim(value) if value is not None else None
        carries = self.conversions.decide(definition)
        declared = unit_dim(unit)
        if symbol.name in self.overrides:  # the value used is the one given from outside
            self.units.symbols[symbol] = self.outside(symbol, unit, declared)
            return
        if carries and value is not None and declared is not None and found is not None \
                and not families(declared) & families(found):
            raise error("E307", f"units do not match: {symbol.describe()} is declared in "
                        f"{unit}, {describe(declared)}, but its value is {describe(found)}",
                        value.span, f"a value with its own unit keeps it: write the value in "
                        f"{unit} or change the declared unit")
        if carries and value is not None and unit is not None:  # `in $M = $250M`: 250
            factor = self.money_scale(symbol, value, found) / held_scale(unit)
            if factor != 1.0:
                self.units.scales[symbol] = factor
        self.units.symbols[symbol] = declared if declared is not None else found

    def outside(self, symbol: Symbol, unit: str | None, declared: Dim) -> Dim:
        """The dimension of a value given from outside, checked like a file value's (E307
        at the declaration: the value has no place in the file to point at)."""
        given = self.overrides[symbol.name]
        units = given.units if isinstance(given, InBaseUnits) else ()
        found: Dim = None
        for written in units:  # `--param v=[25bp, $5]`: entries of one dimension
            dim = unit_dim(written, literal=True)
            if found is not None and dim is not None and not families(found) & families(dim):
                raise error("E307", f"units do not match: the value given for "
                            f"{symbol.describe()} has entries in {units[0]} and in {written}",
                            symbol.span, "give every entry a unit of one dimension")
            found = dim if found is None else found
        if declared is not None and found is not None \
                and not families(declared) & families(found):
            raise error("E307", f"units do not match: the value given for "
                        f"{symbol.describe()} is {describe(found)}, but it is declared in "
                        f"{unit}, {describe(declared)}", symbol.span,
                        f"give it in {unit} (a number alone is read in {unit}), or change "
                        "the declared unit")
        return declared if declared is not None else found

    def money_scale(self, symbol: Symbol, value: ir.Expr, found: Dim) -> float:
        """Dollars per unit of a value that carries its unit: 1 in dollars (`$250M`), 1e6
        for money held in $M (a param declared `in $M`); E309 if it mixes the two."""
        kinds = {k for k in found or () if family(k) == MONEY_KIND}
        if len(kinds) == 1 and found is not None and len(found) == 1:
            return money_scale(next(iter(kinds)))
        scales = set()
        for node in ir.walk(value):
            if isinstance(node, ir.Const) and node.unit is not None \
                    and node.unit.startswith("$") and node.value != 0:
                scales.add(1.0)
            elif isinstance(node, ir.Ref):
                dim = self.units.symbols.get(node.symbol)
                kind = next(iter(dim)) if dim is not None and len(dim) == 1 else ""
                if family(kind) == MONEY_KIND:
                    scales.add(money_scale(kind))
        if len(scales) > 1:
            raise error("E309", f"the value of {symbol.describe()} mixes money in dollars "
                        "with money held in a scaled unit", value.span,
                        "write every amount in one unit: numbers of the declared unit, or "
                        "params declared in it")
        return scales.pop() if scales else 1.0

    def variable(self, definition: ir.VariableDef) -> None:
        unit = definition.unit
        if unit is not None:
            known_unit(definition.symbol, unit)
        dim = unit_dim(unit) if unit is not None else PURE
        if definition.symbol.kind is SymbolKind.UNCERTAIN:
            dim = None  # an uncertain quantity is whatever its set says
        self.units.symbols[definition.symbol] = dim
        for bound in (definition.lower, definition.upper):
            if bound is not None:
                found = self.dim(bound)
                if dim is not None and found is not None and not dim & found:
                    raise error("E307", f"units do not match: {definition.symbol.describe()} "
                                f"is {describe(dim)}, its bound '{text_of(bound)}' is "
                                f"{describe(found)}", bound.span, mismatch_help(dim, found))

    def let(self, definition: ir.LetDef) -> None:
        self.units.symbols[definition.symbol] = self.dim(definition.value)

    def constraint(self, con: ir.Constraint) -> None:
        options = (con.condition.options if isinstance(con.condition, ir.Disjunction)
                   else (con.condition,))
        for option in options:
            self.same(option.terms, option.span)

    def run(self) -> Units:
        diags = Diagnostics()
        m = self.model
        steps: list[Callable[[], object]] = [
            partial(self.param, d) for d in sorted(m.params, key=lambda d: d.symbol.span.start)]
        for s in m.scenarios:
            parts = [s.value] if s.value is not None else []
            if s.sampler is not None:
                parts.append(s.sampler)
            steps += [partial(self.dim, p) for p in parts]
        steps += [partial(self.variable, v) for v in (*m.variables, *m.uncertains)]
        steps += [partial(self.dim, u.set_expr) for u in m.uncertains if u.set_expr is not None]
        steps += [partial(self.constraint, c) for u in m.uncertains for c in u.constraints]
        steps += [partial(self.let, d) for d in m.lets]
        steps.append(partial(self.dim, m.objective.expr))
        steps += [partial(self.constraint, c) for c in m.constraints]
        diags.run_each(steps)
        return self.units


def check_units(model: ir.Model, overrides: Mapping[str, Any] | None = None) -> Units:
    """Infer and check the dimension of every expression; decide each param's conversion.

    Args:
        model: the resolved model (its index sets already checked).
        overrides: values given from outside (`--param`, `params=`): a param given one
            takes that value's dimension, checked against its declared unit like the file's.

    Returns:
        `Units`: dimensions, and the factor converting each declared param's file value.

    Raises:
        SpecError: E307 (units do not match), E308 (unknown unit), E309 (a declared
            param's value mixes numbers with and without a unit), every one at once.
    """
    return _UnitChecker(model, overrides or {}).run()
