"""The builtin record and the registry every pass reads (cvxpy's one-class-per-atom idea).

One `Builtin` holds everything Saddle knows about a function: its signature (resolve),
shape rule (shapes), units rule (units), curvature facts, lowering to numpy/cvxpy
(evaluate), the DSP atom it uses on the saddle-point backend, and its doc line (the table
in docs/language.md is generated from these). A record missing a part is refused when it
is built, with a message naming the part, so a half-added builtin never reaches a user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from compiler.builtins.signatures import Context as Context  # re-exported: the types live there
from compiler.builtins.signatures import Signature as Signature
from compiler.passes import ir
from compiler.passes.dimensions import Dim
from compiler.passes.symbols import Symbol
from dsl.source import Span

if TYPE_CHECKING:
    from compiler.lowering.evaluate import Evaluator

Index = tuple[Symbol, ...]
Value = Any  # a numpy array or scalar (data), or a cvxpy expression (decisions)
Curvature = Literal["affine", "convex", "concave"]
Monotonicity = Literal["increasing", "decreasing", "nonmonotonic"]
Sign = Literal["nonneg", "nonpos", "any"]


def signature(min_args: int, max_args: int | None, *keywords: str, usage: str,
              context: Context = Context.MATH, words: tuple[str, ...] = ()) -> Signature:
    """A `Signature`; `usage` (its `doc`) is the call as a user writes it."""
    return Signature(min_args, max_args, frozenset(keywords), context, frozenset(words), usage)


@dataclass(frozen=True, slots=True)
class ShapeCall:
    """What a shape rule sees: the call, its positional arguments' indices, the index of
    every expression inferred so far, the model (for aliases), the declaration's index the
    value takes (a list literal's), and `infer` for rules that infer arguments themselves."""

    node: ir.Call
    args: list[Index]
    of: Mapping[ir.Expr, Index]
    model: ir.Model
    context: Index | None
    infer: Callable[[ir.Expr, Index | None], Index]


@dataclass(frozen=True, slots=True)
class ShapeRule:
    """The result's index sets. `passes_context`: the arguments take the declaration's
    index too (elementwise); `own_arguments`: the rule infers the arguments itself."""

    doc: str  # the result index, for the docs table
    infer: Callable[[ShapeCall], Index]
    passes_context: bool = False
    own_arguments: bool = False


@dataclass(frozen=True, slots=True)
class UnitCall:
    """What a units rule sees: the call, its positional arguments' dimensions, and `same`
    (the one dimension of some expressions, E307 if they have none in common)."""

    node: ir.Call
    args: list[Dim]
    same: Callable[[tuple[ir.Expr, ...], Span | None], Dim]


@dataclass(frozen=True, slots=True)
class UnitsRule:
    doc: str  # the result's dimension, for the docs table
    infer: Callable[[UnitCall], Dim]
    own_arguments: bool = False


@dataclass(frozen=True, slots=True)
class Facts:
    """cvxpy's facts about the atom, for an argument that is a decision expression
    (a test checks them against cvxpy's own verdict on the lowering)."""

    curvature: Curvature
    monotonicity: Monotonicity = "nonmonotonic"
    sign: Sign = "any"


LowerFn = Callable[["Evaluator", ir.Call], Value]
HintFn = Callable[[ir.Call], str | None]


class IncompleteBuiltin(Exception):
    """A builtin record that misses a part (raised at import, where it is registered)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Builtin:
    """Everything about one builtin. Give `lower`, or `handled_by` (the pass that compiles
    a declaration-only builtin: a sampler, an uncertainty set), never both."""

    name: str
    signature: Signature
    doc: str  # one line: what it computes
    shape: ShapeRule | None = None
    units: UnitsRule | None = None
    lower: LowerFn | None = None
    handled_by: str | None = None
    numeric: Callable[[Any], Any] | None = None  # numpy on a data argument, where it is one
    atom: Callable[[Any], Any] | None = None  # the cvxpy atom on a decision argument
    facts: Facts | None = None
    batched: bool = False  # keeps a rolling model's window axis (compiler/rolling/vectorized.py)
    dsp_atom: str | None = None  # the SaddleAtoms method it uses where decision meets adversary
    dcp_hint: HintFn | None = None  # a help for a composition DCP cannot see through
    section: str = "math"  # the docs table's group

    def __post_init__(self) -> None:
        missing = missing_parts(self)
        if missing:
            raise IncompleteBuiltin(f"builtin '{self.name}' is incomplete: {'; '.join(missing)}"
                                    " (see compiler/builtins/registry.py, class Builtin)")


def missing_parts(b: Builtin) -> list[str]:
    """What a record lacks, each as a sentence saying what to give."""
    missing = []
    if not b.name.isidentifier():
        missing.append(f"its name {b.name!r} is not an identifier")
    if not b.doc.strip():
        missing.append("no doc line: give doc='what it computes'")
    if not b.signature.doc.strip():
        missing.append("no usage in its signature: give usage='name(x, ...)'")
    if b.shape is None:
        missing.append("no shape rule: give shape=... (compiler/builtins/rules.py)")
    if b.units is None:
        missing.append("no units rule: give units=... (compiler/builtins/rules.py)")
    if b.lower is None and b.handled_by is None:
        missing.append("no lowering: give lower=... (or handled_by='the pass that compiles "
                       "it' for a declaration-only builtin)")
    if b.lower is not None and b.handled_by is not None:
        missing.append("both a lowering and handled_by: give one")
    if (b.numeric is None) != (b.atom is None):
        missing.append("numeric and atom go together: give both or neither")
    if b.signature.min_args < 0 or (b.signature.max_args is not None
                                    and b.signature.max_args < b.signature.min_args):
        missing.append("a signature with max_args < min_args")
    if not b.signature.word_keywords <= b.signature.keywords:
        missing.append("word keywords that are not keywords of the signature")
    return missing


class Registry(Mapping[str, Builtin]):
    """Builtins by name; `register` refuses a name twice."""

    def __init__(self) -> None:
        self._by_name: dict[str, Builtin] = {}

    def register(self, *builtins: Builtin) -> None:
        for b in builtins:
            if not isinstance(b, Builtin):
                raise IncompleteBuiltin(f"{b!r} is not a Builtin record")
            if b.name in self._by_name:
                raise IncompleteBuiltin(f"builtin '{b.name}' is registered twice")
            self._by_name[b.name] = b

    def replace(self, b: Builtin) -> Builtin:
        """Put `b` in place of the record of its name; the old record, to put back (a
        benchmark's what-if, a backend's own form of an atom)."""
        if b.name not in self._by_name:
            raise IncompleteBuiltin(f"no builtin '{b.name}' to replace: register it")
        old, self._by_name[b.name] = self._by_name[b.name], b
        return old

    def copy(self) -> Registry:
        other = Registry()
        other._by_name = dict(self._by_name)
        return other

    def __getitem__(self, name: str) -> Builtin:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)


REGISTRY = Registry()


def register(*builtins: Builtin) -> None:
    REGISTRY.register(*builtins)


def lookup(name: str) -> Builtin | None:
    return REGISTRY.get(name)


def names() -> list[str]:
    """Every builtin's name (resolve's "did you mean", the docs, editors)."""
    return list(REGISTRY)
