"""Readable dumps of compiler stages: the checked IR (`--emit ir`) and the cvxpy problem."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compiler.resolve import resolve
from compiler.shapes import check_shapes
from compiler.solver_choice import problem_class
from compiler.symbols import SymbolKind, index_text
from dsl import ast

if TYPE_CHECKING:
    from compiler.problem import CompiledModel

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


def describe_problem(compiled: CompiledModel, brief: bool = False) -> str:
    """A summary of the compiled cvxpy problem, or (brief) one line for `saddle check`."""
    problem = compiled.problem
    sizes = sum(v.size for v in problem.variables())
    summary = (f"{problem_class(problem)}, {len(problem.variables())} variables "
               f"({sizes} scalars), {len(problem.constraints)} cvxpy constraints")
    if brief:
        return f"{summary}; solver {compiled.default_solver()}"
    lines = [f"model {compiled.model.name}: {summary}",
             f"objective: {_short(str(problem.objective))}"]
    for name, parts in compiled.lowered.parts.items():
        for part in parts:
            lines.append(f"{name}: {_short(str(part.constraint))}")
    for name, form in compiled.lowered.exact.items():
        lines.append(f"{name}: {form.note()}")
    lines.extend(f"note: {n}" for n in compiled.notes)
    return "\n".join(lines)


def describe_compiled(compiled: Any) -> str:
    """`saddle compile --emit cvxpy` for each kind of compiled model: a plain problem, a
    robust model's backend problem, a rolling model's first window, a worst-case analysis's
    adversary problems."""
    if hasattr(compiled, "lowered"):  # CompiledModel
        return describe_problem(compiled)
    if hasattr(compiled, "backend") and hasattr(compiled, "compiled"):  # RobustModel
        return (f"robust model {compiled.model.name}: the {compiled.backend} backend's "
                f"problem\n" + describe_problem(compiled.compiled))
    if hasattr(compiled, "window"):  # RollingModel
        first = compiled.window(0)
        how = ("one vectorized problem over all windows" if compiled.vectorized is not None
               else "one problem per window")
        return (f"rolling model {compiled.model.name}: {len(compiled)} windows, solved as "
                f"{how}; the window ending {first.end}:\n" +
                describe_problem(compiled.compiled(0)))
    lines = [f"worst-case analysis {compiled.model.name}: one adversary problem per question"]
    for what, problem in compiled.problems.items():
        lines += [f"{what}: {problem_class(problem)}, "
                  f"{sum(v.size for v in problem.variables())} scalars",
                  f"  {_short(str(problem.objective))}"]
        lines += [f"  {_short(str(c))}" for c in problem.constraints]
    return "\n".join(lines)


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
