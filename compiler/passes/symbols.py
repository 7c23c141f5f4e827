"""Symbols: what a name in a model refers to, with its kind, index sets and declaration."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from dsl import ast
from dsl.source import Span


class SymbolKind(enum.Enum):
    SET = "set"
    PARAM = "param"
    SERIES = "series"
    SCENARIOS = "scenarios"
    VARIABLE = "variable"
    UNCERTAIN = "uncertain"
    LET = "let"
    AMBIGUITY = "ambiguity set"  # `ambiguity P = wasserstein(...)`: named only after `over`
    OBJECTIVE = "objective"
    CONSTRAINT = "constraint"


@dataclass(frozen=True, slots=True, eq=False)
class Symbol:
    """A declared name. Hashes by identity, so symbols key side tables."""

    name: str
    kind: SymbolKind
    span: Span = field(repr=False)
    index: tuple[Symbol, ...] = ()
    decl: ast.Node | None = field(default=None, repr=False)
    alias_of: Symbol | None = None  # for `set asset2 = asset`

    @property
    def root(self) -> Symbol:
        """The set whose labels this one shares (itself unless it is an alias)."""
        return self.alias_of.root if self.alias_of is not None else self

    def describe(self) -> str:
        suffix = f"[{', '.join(s.name for s in self.index)}]" if self.index else ""
        return f"{self.kind.value} '{self.name}{suffix}'"


def index_text(index: tuple[Symbol, ...]) -> str:
    """`[tenor, scenario]`, or `scalar` for ()."""
    return f"[{', '.join(s.name for s in index)}]" if index else "scalar"
