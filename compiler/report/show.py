"""`saddle show FILE`: a compiled model summarized for a person to read.

Sets with their sizes, params with shapes, units and first values, decisions and the
adversary's quantities, the objective and the constraints by name, the problem class, the
solver that would be used and, for a robust model, what its counterpart adds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from compiler.backends.solver_choice import NoSolver, problem_class
from compiler.passes import ir
from compiler.passes.symbols import Symbol
from compiler.passes.unit_values import file_scale

FIRST_VALUES = 4  # of a param, after its shape


def show_model(compiled: Any) -> str:
    """The summary of any compiled model (plain, robust, rolling or a worst-case analysis)."""
    model: ir.Model = compiled.model
    bindings = compiled.bindings
    lines = [f"model {model.name}" + (f' "{model.doc}"' if model.doc else ""), ""]
    lines += _section("sets", [f"{d.symbol.name:<16} {bindings.size(d.symbol):>8} labels"
                               + (f"  (alias of {d.symbol.alias_of.name})"
                                  if d.symbol.alias_of else "")
                               for d in model.sets])
    lines += _section("params", [_param(d, bindings) for d in model.params])
    lines += _section("scenarios", [f"{d.symbol.name:<16} {_shape(d.symbol, bindings)}"
                                    for d in model.scenarios])
    lines += _section("decisions", [_decision(d, bindings) for d in model.variables])
    lines += _section("adversary", [_decision(d, bindings) for d in model.uncertains])
    lines += _section("ambiguity", [f"{d.symbol.name:<16} {_text(d.value.span.text)}"
                                    for d in model.ambiguities])
    objective = model.objective
    lines += _section("objective", [f"{objective.sense.value} {objective.name}: "
                                    f"{_text(objective.expr.span.text)}"])
    lines += _section("constraints", [f"{c.name:<16} {_text(_body(c))}"
                                      for c in model.constraints])
    lines += _section("compiled", _compiled(compiled))
    return "\n".join(lines).rstrip() + "\n"


def _section(title: str, rows: list[str]) -> list[str]:
    return [f"{title}:", *(f"  {row}" for row in rows), ""] if rows else []


def _shape(symbol: Symbol, bindings: Any) -> str:
    if not symbol.index:
        return "scalar"
    sizes = " x ".join(f"{s.name} {bindings.size(s)}" for s in symbol.index)
    return f"[{sizes}]"


def _param(definition: ir.ParamDef, bindings: Any) -> str:
    symbol = definition.symbol
    unit = f" in {definition.unit}" if definition.unit else ""
    value = bindings.values.get(symbol)
    shown = ""
    if value is not None:
        flat = np.ravel(np.asarray(value))
        scale = file_scale(definition.unit)
        if scale != 1.0 and flat.dtype.kind in "iuf":
            # a rate is held as a decimal (bp: 1e-4), a plain multiplier multiplied out:
            # shown as declared, then as the model holds it
            held = "decimals " if definition.unit in ("%", "bp") else ""
            shown = f" = {_values(flat / scale)} (held as {held}{_values(flat)})"
        else:
            shown = f" = {_values(flat)}"
    return f"{symbol.name:<16} {_shape(symbol, bindings)}{unit}{shown}"


def _values(flat: np.ndarray) -> str:
    """A param's first values: `v` or `[a, b, c, d, ...]`."""
    head = ", ".join(f"{v:.6g}" if flat.dtype.kind in "iuf" else str(v)
                     for v in flat[:FIRST_VALUES])
    return head if flat.size == 1 else f"[{head}{', ...' if flat.size > FIRST_VALUES else ''}]"


def _decision(definition: ir.VariableDef, bindings: Any) -> str:
    flags = " ".join(sorted(definition.flags))
    where = ""
    if isinstance(definition, ir.UncertainDef):
        where = (f" in {_text(definition.set_expr.span.text)}" if definition.set_expr
                 is not None else f" in a block of {len(definition.constraints)} line(s)")
    return f"{definition.symbol.name:<16} {_shape(definition.symbol, bindings)}" \
           f"{' ' + flags if flags else ''}{where}"


def _body(con: ir.Constraint) -> str:
    """The constraint's text without its `name:` (the name is the row's first column)."""
    text = con.span.text.strip()
    head = f"{con.name}:"
    return text[len(head):].strip() if text.startswith(head) else text


def _text(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _compiled(compiled: Any) -> list[str]:
    if compiled.backend == "rolling":  # one problem per window
        first = compiled.compiled(0)
        return [f"rolling: {len(compiled)} windows, each a {problem_class(first.problem)} "
                f"({_solver(first)})"]
    if compiled.backend == "analysis":  # the adversary's problems
        return ["worst-case analysis (no decisions): each question is the adversary's own "
                "convex problem"]
    robust = compiled.backend in ("counterpart", "dsp")
    plain = compiled.compiled if robust else compiled
    problem = plain.problem
    scalars = sum(v.size for v in problem.variables())
    rows = [f"{problem_class(problem)}, {scalars} scalar variables, "
            f"{len(problem.constraints)} cvxpy constraints ({_solver(plain)})"]
    if robust:
        decisions = sum(v.size for v in plain.lowered.variables.values())
        rows.append(f"robust backend {compiled.backend}: adds {scalars - decisions} scalar "
                    f"variables to the {decisions} decisions")
    return rows


def _solver(plain: Any) -> str:
    try:
        return f"solver {plain.default_solver()}"
    except NoSolver as exc:
        return f"no installed solver: {exc}"
