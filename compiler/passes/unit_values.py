"""How a declared unit converts a param's values (docs/language.md, "Units"), for `units.py`
(which decides) and `bind` (which applies).

A value written without any unit is in the declared unit: `param coupon[index] in bp =
[100, 500]` is [0.01, 0.05]. A value that mentions a unit (a literal such as `25bp`, or a
param whose value is already converted) is in decimals and dollars and is not converted
again; one that mixes both is ambiguous (E309). Values from outside (`--param`, `params=`,
pandas objects) are in the declared unit too, unless wrapped in `InBaseUnits` (the CLI
wraps `--param coupon=25bp`).

Money declared in a scaled unit (`$k`, `$M`, `$bn`) is *held* in that unit, so a model that
counts money in $M reports in $M: `param capital in $M = 250` is 250, and `$250M` (written
in the file, on the command line, or `InBaseUnits(250e6)`) becomes 250 too. Rates are held
in decimals (`held_scale` is 1 for every other unit).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from compiler.passes import ir
from compiler.passes.symbols import Symbol
from dsl.ast import UNIT_SCALE
from dsl.errors import error
from dsl.source import Span


@dataclass(frozen=True, slots=True)
class InBaseUnits:
    """A value from outside already in decimals and dollars (`--param coupon=25bp`, or
    `params={"coupon": InBaseUnits(0.0025)}`): a declared unit does not convert it again.
    `mixed`: some entries had no unit (`--param v=[1, 2.5%]`), fine unless one is declared."""

    value: Any
    mixed: bool = False
    # the units the value was written with (`--param c=$5` -> ("$",)): their dimension is
    # checked against the param's declared unit like a file value's (compiler/passes/units.py)
    units: tuple[str, ...] = field(default=(), compare=False)


SCALED_MONEY = ("$k", "$M", "$bn")


def held_scale(unit: str | None) -> float:
    """The scale a declared param's values are held in: 1e6 for `in $M` (the model counts
    money in $M), 1 for every other unit (decimals, dollars, plain multipliers)."""
    return UNIT_SCALE[unit] if unit in SCALED_MONEY else 1.0


def file_scale(unit: str | None) -> float:
    """The factor from a number written without a unit to the held value (bp: 1e-4)."""
    if unit is None or unit not in UNIT_SCALE:
        return 1.0
    return UNIT_SCALE[unit] / held_scale(unit)


def outside_value(given: Any, unit: str | None, symbol: Symbol | None = None
                  ) -> tuple[Any, float]:
    """A value given from outside and the factor to apply: values are in the declared unit,
    values in `InBaseUnits` are in decimals and dollars (and become $M for `in $M`)."""
    if isinstance(given, InBaseUnits):
        if given.mixed and unit is not None and symbol is not None:
            raise error("E309", f"the value given for {symbol.describe()}, which is declared "
                        f"in {unit}, has entries with and without a unit", symbol.span,
                        f"give every entry a unit, or none: then they are in {unit}")
        return given.value, 1.0 / held_scale(unit)
    return given, file_scale(unit)


def text_of(node: ir.Expr) -> str:
    """A short quote of an expression's source, for messages."""
    text = " ".join(node.span.text.split())
    if not text:
        return "this value"
    return text if len(text) <= 40 else text[:37] + "..."


def _side_by_side(node: ir.Expr) -> tuple[ir.Expr, ...]:
    """Operands read in one unit: of `+ -`, `max(a, b)`, a list's entries, a test."""
    if isinstance(node, ir.BinOp) and node.op in (ir.BinOperator.ADD, ir.BinOperator.SUB):
        return node.left, node.right
    if isinstance(node, ir.Call) and node.func in ("max", "min") and len(node.args) == 2:
        return node.args
    if isinstance(node, ir.ListLit):
        return node.items
    if isinstance(node, ir.Test):
        return node.terms
    return ()


@dataclass
class Conversions:
    """Which params are already in decimals and dollars, and the factor for each file value."""

    carrying: set[Symbol] = field(default_factory=set)
    scales: dict[Symbol, float] = field(default_factory=dict)
    declared: dict[Symbol, str] = field(default_factory=dict)  # each param's declared unit

    def carries(self, node: ir.Expr) -> bool:
        """True if the value mentions a unit: it is already in decimals and dollars."""
        return any(isinstance(n, ir.Const) and n.unit is not None
                   or isinstance(n, ir.Ref) and n.symbol in self.carrying for n in ir.walk(node))

    def decide(self, definition: ir.ParamDef) -> bool:
        """Record how the param's file value converts; True if it carries its own unit."""
        symbol, unit, value = definition.symbol, definition.unit, definition.value
        carries = value is not None and self.carries(value)
        if unit is None:
            if carries:
                self.carrying.add(symbol)
            return carries
        known_unit(symbol, unit)
        self.declared[symbol] = unit
        self.carrying.add(symbol)  # once bound, its value is held in its unit's base
        if not carries:
            self.scales[symbol] = file_scale(unit)
        elif value is not None:
            self.check_mixed(symbol, unit, value)  # units.py sets the scale from the value
        return carries

    def check_mixed(self, symbol: Symbol, unit: str, value: ir.Expr) -> None:
        """E309: numbers with and without a unit side by side in a declared param's value.
        Money held in a scaled unit is the exception where it is unambiguous: next to
        params held in that same unit only (`param cap in $M = base + 50`, base `in $M`),
        a bare number is a number of that unit too."""
        if unit in SCALED_MONEY and self._held_in(value, unit):
            return
        for node in ir.walk(value):
            operands = _side_by_side(node)
            marked = [o for o in operands if self.carries(o)]
            bare = [o for o in operands if not self.carries(o) and ir.literal(o) != 0]
            if marked and bare:
                example = f"$25{unit[1:]}" if unit.startswith("$") else f"25{unit}"
                raise error("E309", f"{symbol.describe()} is declared in {unit}, and its "
                            f"value has '{text_of(marked[0])}' with a unit next to "
                            f"'{text_of(bare[0])}' without one", bare[0].span,
                            f"a value without any unit is read in {unit}; one with a unit is "
                            f"already converted. Give every number its unit (as in "
                            f"{example}) or none")


    def _held_in(self, value: ir.Expr, unit: str) -> bool:
        """Every unit the value mentions is a param declared in `unit` (no literal unit)."""
        refs = [n for n in ir.walk(value) if isinstance(n, ir.Ref) and n.symbol in
                self.carrying]
        literal = any(isinstance(n, ir.Const) and n.unit is not None for n in ir.walk(value))
        return bool(refs) and not literal and all(self.declared.get(r.symbol) == unit
                                                  for r in refs)


def known_unit(symbol: Symbol, unit: str) -> None:
    """E308 unless `unit` is one Saddle knows (the grammar accepts any name after `in`)."""
    if unit not in UNIT_SCALE:
        close = difflib.get_close_matches(unit, list(UNIT_SCALE), n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise error("E308", f"unknown unit '{unit}'", _unit_span(symbol, unit),
                    f"{hint}units are bp, %, k, M, bn and $, $k, $M, $bn")


def _unit_span(symbol: Symbol, unit: str) -> Span:
    """Where `in UNIT` names the unit in a declaration (the name if it cannot be found)."""
    decl = symbol.decl
    if decl is None:
        return symbol.span
    text = decl.span.source.text
    found = re.compile(rf"\bin[ \t]+({re.escape(unit)})").search(text, symbol.span.end,
                                                                   decl.span.end)
    return decl.span.source.span(*found.span(1)) if found else symbol.span
