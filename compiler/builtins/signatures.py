"""The types of builtin signatures: arity, keywords and where a function may be used.

Each builtin's signature is in its record (compiler/builtins); `resolve` checks calls
against them (E207 unknown function, E208 bad arguments).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Context(enum.Enum):
    MATH = "an expression"  # objective, constraints, lets, and data arithmetic
    DATA = "a data declaration (set, param, series, scenarios)"
    SAMPLER = "a scenarios declaration after '~'"
    UNCERTAINTY = "an uncertain declaration after 'in'"
    AMBIGUITY = "an ambiguity declaration after '='"


@dataclass(frozen=True, slots=True)
class Signature:
    min_args: int
    max_args: int | None  # None: any number
    keywords: frozenset[str] = frozenset()
    context: Context = Context.MATH
    word_keywords: frozenset[str] = frozenset()  # keywords whose bare-word values are options
    doc: str = ""
