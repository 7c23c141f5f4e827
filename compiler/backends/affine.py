"""An expression's affine form in the uncertain quantities: `Lin`, or `NotAffine` saying why
not. The extraction itself is `counterpart.Extractor`; these two types are all the modules
that build or read a form need (entropy.py's stand-ins among them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compiler.passes import ir
from compiler.passes.symbols import Symbol

Index = tuple[Symbol, ...]


class NotAffine(Exception):
    """The term is not affine in an uncertain quantity (with data or decision coefficients)."""

    def __init__(self, node: ir.Expr, reason: str):
        super().__init__(reason)
        self.node, self.reason = node, reason


@dataclass
class Lin:
    """b + sum_u A_u vec(u): `const` over `index`; each coefficient over index + (k_u,)."""

    index: Index
    const: Any
    coef: dict[Symbol, Any] = field(default_factory=dict)
