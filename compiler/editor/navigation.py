"""Hover, go-to-definition and completion over an `Analysis` (compiler/editor/document.py).

Saddle has one scope per model: every declared name is visible everywhere, so a name under
the cursor is found by its text and looked up among the declarations.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from compiler.editor.document import (
    Analysis,
    Range,
    code_point_column,
    span_range,
    utf16_column,
)
from compiler.passes.symbols import index_text
from dsl import ast

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SHOWN_VALUES = 6  # a param's first values in a hover
KIND_OF_DECL = {ast.SetDecl: "set", ast.ParamDecl: "param", ast.SeriesDecl: "series",
                ast.ScenariosDecl: "scenarios", ast.VariableDecl: "variable",
                ast.UncertainDecl: "uncertain", ast.AmbiguityDecl: "ambiguity",
                ast.LetDecl: "let", ast.ObjectiveDecl: "objective",
                ast.ConstraintDecl: "constraint"}


def word_at(text: str, line: int, character: int) -> tuple[str, Range] | None:
    """The identifier at a 0-based LSP position (the cursor may stand just after it)."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return None
    row = lines[line]
    at = code_point_column(row, character)
    comment = row.find("#")  # good enough: a '#' inside a string only hides a later name
    for match in _WORD.finditer(row):
        if match.start() <= at <= match.end():
            if 0 <= comment < match.start():
                return None
            return match.group(), ((line, utf16_column(row, match.start())),
                                   (line, utf16_column(row, match.end())))
    return None


@functools.cache
def builtin_signatures() -> dict[str, tuple[str, str]]:
    """name -> (usage, doc line) of every builtin: the one place editors read them from."""
    try:
        from compiler.builtins import REGISTRY
    except ImportError:  # the registry is being moved: complete names only
        return {}
    return {name: (b.signature.doc, b.doc) for name, b in REGISTRY.items()}


def _symbol(analysis: Analysis, name: str) -> Any:
    resolved = analysis.resolved
    return resolved.symbols.get(name) if resolved is not None else None


def definition(analysis: Analysis, line: int, character: int,
               text: str | None = None) -> Range | None:
    """Where the name at the position (in `text`, the document now) is declared."""
    found = word_at(analysis.text if text is None else text, line, character)
    if found is None:
        return None
    decl = analysis.declarations().get(found[0])
    if decl is not None:
        return span_range(getattr(decl, "name_span", decl.span))
    symbol = _symbol(analysis, found[0])  # an implicit name: a scenarios draw set
    return span_range(symbol.span) if symbol is not None else None


def hover(analysis: Analysis, line: int, character: int,
          text: str | None = None) -> tuple[str, Range] | None:
    """Markdown for the name at the position: its declaration, index sets, unit, and for
    data its size and first values (when the data bound); for a builtin, its signature."""
    found = word_at(analysis.text if text is None else text, line, character)
    if found is None:
        return None
    name, where = found
    decl = analysis.declarations().get(name)
    if decl is None:
        symbol = _symbol(analysis, name)
        if symbol is not None:  # implicit: `scenarios shock[1000, tenor]` names shock_draw
            return _fence(symbol.span.source.line_text(symbol.span.line)) + "\n\n" + \
                "\n\n".join(_facts(analysis, name, symbol)), where
        builtin = builtin_signatures().get(name)
        if builtin is not None:
            return f"```saddle\n{builtin[0]}\n```\n\n{builtin[1]}", where
        return None
    lines = [_fence(_declaration_text(decl))]
    kind = KIND_OF_DECL.get(type(decl), "name")
    facts = [f"**{kind}** `{name}`"]
    index = getattr(decl, "index", ()) or getattr(decl, "dims", ())
    if index:
        facts.append("index " + "[" + ", ".join(str(i) for i in index) + "]")
    unit = getattr(decl, "unit", None)
    if unit:
        facts.append(f"unit {unit}")
    lines.append(" · ".join(facts))
    symbol = _symbol(analysis, name)
    if symbol is not None:
        lines.extend(_facts(analysis, name, symbol))
    shapes = analysis.shapes
    if kind == "constraint" and shapes is not None and name in shapes.constraints:
        lines.append("one row per " + index_text(shapes.constraints[name])
                     if shapes.constraints[name] else "one scalar row")
    return "\n\n".join(lines), where


def _fence(text: str) -> str:
    return f"```saddle\n{text}\n```"


def _declaration_text(decl: ast.Node) -> str:
    """The declaration as written, at most a few lines."""
    text = decl.span.text.rstrip()
    rows = text.split("\n")
    return "\n".join(rows[:4] + (["..."] if len(rows) > 4 else []))


def _facts(analysis: Analysis, name: str, symbol: Any) -> list[str]:
    """Dimension, size and first values, from the passes that ran."""
    out = []
    shapes = analysis.shapes
    if shapes is not None and symbol in shapes.lets:
        out.append("index " + index_text(shapes.lets[symbol]))
    units = analysis.units
    dim = units.symbols.get(symbol) if units is not None else None
    if dim:
        out.append("dimension: " + " or ".join(sorted(dim)))
    bindings = analysis.bindings
    if bindings is None:
        return out
    if symbol in bindings.labels:
        labels = bindings.labels_of(symbol)
        shown = ", ".join(str(label) for label in labels[:SHOWN_VALUES])
        more = ", ..." if len(labels) > SHOWN_VALUES else ""
        out.append(f"{len(labels)} labels: {shown}{more}")
    value = bindings.values.get(symbol)
    if value is not None:
        out.append(_values_text(analysis, symbol, np.asarray(value)))
    return out


def _values_text(analysis: Analysis, symbol: Any, value: np.ndarray) -> str:
    sizes = " × ".join(f"{s.name} {n}" for s, n in zip(symbol.index, value.shape, strict=False))
    shape = f"shape {value.shape}" + (f" ({sizes})" if sizes else "") if value.ndim else "scalar"
    flat = value.reshape(-1)
    labels = analysis.bindings.labels_of(symbol.index[0]) if value.ndim == 1 and \
        symbol.index and symbol.index[0] in analysis.bindings.labels else None
    items = [(f"{labels[i]}: " if labels is not None else "") + _number(flat[i])
             for i in range(min(SHOWN_VALUES, flat.size))]
    more = ", ..." if flat.size > SHOWN_VALUES else ""
    unit = getattr(symbol.decl, "unit", None)
    read_as = f" (read from {unit} as decimals)" if unit in ("%", "bp") else ""
    return f"{shape}; values{read_as}: {', '.join(items)}{more}"


def _number(value: Any) -> str:
    try:
        return f"{float(value):.6g}"
    except (TypeError, ValueError):
        return str(value)


@dataclass(frozen=True)
class Completion:
    label: str
    kind: str  # "builtin" or a declaration's kind
    detail: str
    documentation: str = ""


def completions(analysis: Analysis) -> list[Completion]:
    """The model's names (from the last text that parsed) and every builtin."""
    out = [Completion(name, KIND_OF_DECL.get(type(decl), "name"),
                      _declaration_text(decl).split("\n")[0])
           for name, decl in analysis.declarations().items()]
    out += [Completion(name, "builtin", usage, doc)
            for name, (usage, doc) in sorted(builtin_signatures().items())]
    return out
