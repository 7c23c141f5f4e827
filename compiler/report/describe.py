"""Readable dumps of compiler stages: the checked IR (`--emit ir`) and the cvxpy problem."""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.passes.resolve import resolve
from compiler.passes.shapes import check_shapes
from compiler.passes.symbols import SymbolKind, index_text
from dsl import ast

if TYPE_CHECKING:
    from compiler.backends.plain import CompiledModel

ROLES = {SymbolKind.VARIABLE: "decision", SymbolKind.UNCERTAIN: "adversary"}


def describe_ir(model: ast.Model) -> str:
    """Symbols with their kinds, roles and index sets; the objective; constraints' indices."""
    resolved = resolve(model)
    shapes = check_shapes(resolved)
    lines = [f"model {resolved.name}"]
    for symbol in resolved.symbols.values():
        index = shapes.index(symbol)
        role = f"  ({ROLES[symbol.kind]})" if symbol.kind in ROLES else ""
        alias = f" = alias of {symbol.alias_of.name}" if symbol.alias_of else ""
        shape = "" if symbol.kind is SymbolKind.SET else f" {index_text(index)}"
        lines.append(f"{symbol.kind.value:<10} {symbol.name}{alias}{shape}{role}")
    objective = resolved.objective
    lines.append(f"objective  {objective.sense.value} {objective.name} "
                 f"{index_text(shapes.of[objective.expr])}")
    for con in resolved.constraints:
        lines.append(f"constraint {con.name} {index_text(shapes.constraints[con.name])}")
    return "\n".join(lines)


def describe_problem(compiled: CompiledModel) -> str:
    """The compiled cvxpy problem, constraint by name (`saddle compile --emit cvxpy`)."""
    problem = compiled.problem
    lines = [f"model {compiled.model.name}: {compiled.size()}",
             f"objective: {short(str(problem.objective))}"]
    for name, parts in compiled.lowered.parts.items():
        for part in parts:
            lines.append(f"{name}: {short(str(part.constraint))}")
    for name, form in compiled.lowered.exact.items():
        lines.append(f"{name}: {form.note()}")
    lines.extend(f"note: {n}" for n in compiled.notes)
    return "\n".join(lines)


def short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
