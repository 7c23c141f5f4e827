"""The syntax tree of a Saddle model: frozen dataclasses, syntax only, names are strings.

Equality is structural: spans are excluded from comparison, so `parse(format(m)) == m` is the
round-trip property. Children are tuples; optional parts are `X | None`; operators, senses and
relations are enums.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from dsl.source import Span, synthetic_span


def _span() -> Span:
    return field(default_factory=synthetic_span, compare=False, repr=False)


class BinOperator(enum.Enum):
    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "/"
    MATMUL = "@"
    POW = "^"


class Relation(enum.Enum):
    LE = "<="
    GE = ">="
    EQ = "=="


class Sense(enum.Enum):
    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"


# Units a literal or a param may carry. Scale converts to plain decimals / dollars.
UNIT_SCALE: dict[str, float] = {
    "bp": 1e-4,
    "%": 1e-2,
    "k": 1e3,
    "M": 1e6,
    "bn": 1e9,
    "$": 1.0,
    "$k": 1e3,
    "$M": 1e6,
    "$bn": 1e9,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    span: Span = _span()


# ==== expressions ====


@dataclass(frozen=True, slots=True, kw_only=True)
class Expr(Node):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Number(Expr):
    value: int | float


@dataclass(frozen=True, slots=True, kw_only=True)
class Quantity(Expr):
    """A literal with a unit: `200bp`, `1.5%`, `$250M`, `50k`."""

    value: int | float
    unit: str


@dataclass(frozen=True, slots=True, kw_only=True)
class String(Expr):
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Name(Expr):
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Keyword(Node):
    name: str
    value: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class Call(Expr):
    func: str
    args: tuple[Expr, ...] = ()
    kwargs: tuple[Keyword, ...] = ()
    func_span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Attribute(Expr):
    """`csv("bonds.csv").price`: a column of a table."""

    base: Expr
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Index(Expr):
    """`w["10Y"]`: selection by label."""

    base: Expr
    labels: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class BinOp(Expr):
    op: BinOperator
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class Neg(Expr):
    operand: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class ListLit(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Range(Expr):
    """`1..30`: consecutive integers, both ends included (only as a set's value)."""

    start: Expr
    stop: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class Test(Expr):
    """A comparison used as a value, `indicator(rating == "AAA")`: 1 where it holds, else 0.

    Only a call argument can be one (the grammar's `_argument`); `resolve` lets only
    `indicator` take it.
    """

    terms: tuple[Expr, ...]
    ops: tuple[Relation, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Over(Expr):
    """`loss over P`: a call argument of `cvar` or `mean` only, the worst case over the
    distributions of the ambiguity set `P` (`resolve` enforces where it may appear)."""

    value: Expr
    ambiguity: str
    ambiguity_span: Span = _span()


# ==== conditions ====


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison(Node):
    """`a <= b`, or a chain `lo <= x <= hi`: len(ops) == len(terms) - 1."""

    terms: tuple[Expr, ...]
    ops: tuple[Relation, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Disjunction(Node):
    """`x == 0 or abs(x) >= a`: at least one option holds (compiled exactly, mixed-integer)."""

    options: tuple[Comparison, ...]


Condition = Comparison | Disjunction


# ==== declarations ====


@dataclass(frozen=True, slots=True, kw_only=True)
class Decl(Node):
    name: str
    name_span: Span = _span()


class Word(str):
    """A name the AST keeps as text (an index set, a flag, a rebalance set) that knows
    where it was written. It compares and hashes as its text, so ASTs compare as before."""

    span: Span

    def __new__(cls, text: str, span: Span) -> Word:
        made = super().__new__(cls, text)
        made.span = span
        return made

    def __getnewargs__(self) -> tuple[str, Span]:  # type: ignore[override]
        return (str(self), self.span)


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelDecl(Decl):
    doc: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetDecl(Decl):
    value: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class ParamDecl(Decl):
    """`param p[S] in bp = expr`; value None means it must be supplied from outside."""

    index: tuple[str, ...] = ()
    unit: str | None = None
    value: Expr | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesDecl(Decl):
    """`series spread[day, index] = csv(...)`: data whose first index set is a time index."""

    index: tuple[str, ...]
    unit: str | None = None
    value: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenariosDecl(Decl):
    """`scenarios Z[1000, S] ~ normal(0, 1, seed = 7)` or `= bootstrap(...)`.

    A dimension is a set name or a count (an anonymous set of that many draws).
    """

    dims: tuple[str | int, ...]
    sampler: Call | None = None
    value: Expr | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Bound(Node):
    """`>= expr` or `<= expr` after a variable or uncertain declaration."""

    relation: Relation
    value: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class VariableDecl(Decl):
    """`variable x[S] in $M >= 0`: the unit (optional) gives the decision's dimension."""

    index: tuple[str, ...] = ()
    unit: str | None = None
    bounds: tuple[Bound, ...] = ()
    flags: tuple[str, ...] = ()  # integer, binary, nonneg, nonpos, psd, symmetric


@dataclass(frozen=True, slots=True, kw_only=True)
class ConstraintDecl(Node):
    name: str | None
    condition: Condition
    name_span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class UncertainDecl(Decl):
    """`uncertain u[S] in box(lo, hi)` and/or an indented block of set constraints."""

    index: tuple[str, ...] = ()
    bounds: tuple[Bound, ...] = ()
    flags: tuple[str, ...] = ()
    set_expr: Expr | None = None
    constraints: tuple[ConstraintDecl, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AmbiguityDecl(Decl):
    """`ambiguity P = wasserstein(shock, radius = 0.05)` or `= moments(shock, ...)`."""

    value: Call


@dataclass(frozen=True, slots=True, kw_only=True)
class LetDecl(Decl):
    index: tuple[str, ...] = ()
    value: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectiveDecl(Decl):
    sense: Sense
    expr: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class ConstraintsDecl(Node):
    """A `subject to` section."""

    constraints: tuple[ConstraintDecl, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RebalanceDecl(Node):
    """`rebalance every month`, `rebalance every 5 days on day`."""

    every: str  # day(s), week, month, quarter, year
    count: int = 1
    on: str | None = None


Declaration = (
    ModelDecl
    | SetDecl
    | ParamDecl
    | SeriesDecl
    | ScenariosDecl
    | VariableDecl
    | UncertainDecl
    | AmbiguityDecl
    | LetDecl
    | ObjectiveDecl
    | ConstraintsDecl
    | RebalanceDecl
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Model(Node):
    decls: tuple[Declaration, ...]

    @property
    def name(self) -> str | None:
        header = next((d for d in self.decls if isinstance(d, ModelDecl)), None)
        return header.name if header else None
