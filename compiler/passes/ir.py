"""The resolved IR: names replaced by `Symbol`s, sugar removed. Nodes hash by identity.

`Shapes`, the lowered-expression table and discipline verdicts are side tables keyed by
these nodes, so they are `eq=False`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from compiler.passes.symbols import Symbol, SymbolKind
from dsl.ast import BinOperator, Relation, Sense
from dsl.source import Span

__all__ = ["BinOperator", "Relation", "Sense"]


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Expr:
    span: Span = field(repr=False)


def children(node: object) -> Iterator[Expr]:
    """The expressions directly below a node: its expression fields, in order, and the
    expressions inside tuple fields (a call's args; its `(name, value)` keyword pairs)."""
    for name in getattr(node, "__slots__", ()):
        child = getattr(node, name, None)
        if isinstance(child, Expr):
            yield child
        elif isinstance(child, tuple):
            for item in child:
                item = item[1] if isinstance(item, tuple) else item
                if isinstance(item, Expr):
                    yield item


def walk(node: Expr) -> Iterator[Expr]:
    """Every expression below `node`, itself included (the one walker of the IR)."""
    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        stack.extend(children(item))


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Const(Expr):
    """A number, already converted from its unit (200bp -> 0.02)."""

    value: float
    unit: str | None = None


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Str(Expr):
    value: str


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Ref(Expr):
    symbol: Symbol


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Word(Expr):
    """A bare word that names an option rather than a symbol: `row = last`."""

    word: str


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Call(Expr):
    func: str
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]
    func_span: Span = field(repr=False)

    def kwarg(self, name: str) -> Expr | None:
        return next((v for k, v in self.kwargs if k == name), None)


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Attr(Expr):
    base: Expr
    name: str


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Select(Expr):
    """`w["10Y"]` picks labels; `vol[tenor2]` (every label a set) re-indexes: the same
    values on the named sets' axes, each a set or an alias of the one it replaces."""

    base: Expr
    labels: tuple[Expr, ...]

    @property
    def reindex(self) -> tuple[Symbol, ...] | None:
        """The sets of a re-index (`vol[tenor2]`), or None for a label selection."""
        sets = [x.symbol for x in self.labels
                if isinstance(x, Ref) and x.symbol.kind is SymbolKind.SET]
        return tuple(sets) if sets and len(sets) == len(self.labels) else None


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class BinOp(Expr):
    op: BinOperator
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Neg(Expr):
    operand: Expr


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class ListLit(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Range(Expr):
    start: Expr
    stop: Expr


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Test(Expr):
    """A comparison used as data: `indicator(a == b)` is 1 where it holds, else 0."""

    terms: tuple[Expr, ...]
    ops: tuple[Relation, ...]


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Over(Expr):
    """`loss over P` inside cvar(...) or mean(...): `definition` is P's resolved
    `wasserstein(...)` or `moments(...)` call (compiler/uncertainty/ambiguity.py lowers the
    pair)."""

    value: Expr
    ambiguity: Symbol
    definition: Call


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Comparison:
    terms: tuple[Expr, ...]
    ops: tuple[Relation, ...]
    span: Span = field(repr=False)


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Disjunction:
    options: tuple[Comparison, ...]
    span: Span = field(repr=False)


Condition = Comparison | Disjunction


# ==== declarations ====


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class SetDef:
    symbol: Symbol
    value: Expr | None  # None for an alias


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class ParamDef:
    symbol: Symbol
    value: Expr | None
    unit: str | None = None


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class ScenariosDef:
    symbol: Symbol
    sampler: Call | None
    value: Expr | None


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class VariableDef:
    symbol: Symbol
    lower: Expr | None = None
    upper: Expr | None = None
    flags: frozenset[str] = frozenset()
    # `variable notional[S] in $M`: its dimension (compiler/passes/units.py)
    unit: str | None = None


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Constraint:
    name: str
    condition: Condition
    span: Span = field(repr=False)
    name_span: Span = field(repr=False)


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class UncertainDef(VariableDef):
    set_expr: Expr | None = None
    constraints: tuple[Constraint, ...] = ()


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class AmbiguityDef:
    symbol: Symbol
    value: Call  # wasserstein(scenarios, ...) or moments(scenarios, ...)


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class LetDef:
    symbol: Symbol
    value: Expr


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Objective:
    name: str
    sense: Sense
    expr: Expr
    span: Span = field(repr=False)


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Rebalance:
    every: str
    count: int
    on: Symbol | None
    span: Span = field(repr=False)


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Model:
    name: str
    doc: str | None
    span: Span = field(repr=False)  # the `model NAME "doc"` header
    symbols: dict[str, Symbol]
    sets: tuple[SetDef, ...]
    params: tuple[ParamDef, ...]
    scenarios: tuple[ScenariosDef, ...]
    variables: tuple[VariableDef, ...]
    uncertains: tuple[UncertainDef, ...]
    lets: tuple[LetDef, ...]
    objective: Objective
    constraints: tuple[Constraint, ...]
    rebalance: Rebalance | None = None
    data_folder: str | None = None
    ambiguities: tuple[AmbiguityDef, ...] = ()

    def constraint(self, name: str) -> Constraint | None:
        return next((c for c in self.constraints if c.name == name), None)


def refs(node: Condition | Expr) -> list[Ref]:
    """Every `Ref` below a node (for role checks and data tests)."""
    out: list[Ref] = []
    stack: list[object] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Ref):
            out.append(item)
        for name in getattr(item, "__slots__", ()):
            child = getattr(item, name, None)
            if isinstance(child, Expr | Comparison):
                stack.append(child)
            elif isinstance(child, tuple):
                stack.extend(c[1] if isinstance(c, tuple) else c for c in child)
    return out


def is_data(node: Expr) -> bool:
    """True if the expression mentions no decision, uncertain quantity or let."""
    from compiler.passes.symbols import SymbolKind

    chosen = {SymbolKind.VARIABLE, SymbolKind.UNCERTAIN, SymbolKind.LET}
    return not any(r.symbol.kind in chosen for r in refs(node))


def literal(node: Expr) -> str | float | None:
    """The value of a string or number literal (a label, a row name), else None."""
    if isinstance(node, Str | Const):
        return node.value
    if isinstance(node, Neg) and isinstance(node.operand, Const):  # `w[-1]`, `[-1, -2]`
        return -node.operand.value
    return None
