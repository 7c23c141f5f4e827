"""Each uncertain declaration's set, evaluated and checked (E410).

`build_sets` parses each set call through its class (`registry.NAMED`) or wraps a block;
`refine_sets` turns blocks of linear lines into polyhedra once their lines are known to be
convex; `check_bounded` asks every set whether it is empty or unbounded.
"""

from __future__ import annotations

from compiler.lowering.evaluate import Evaluator
from compiler.passes import ir
from compiler.passes.symbols import Symbol
from compiler.uncertainty.arguments import SetArguments
from compiler.uncertainty.base import SetContext, UncertaintySet
from compiler.uncertainty.blocks import ConvexBlock, PsdBlock
from compiler.uncertainty.registry import NAMED
from dsl.errors import Diagnostics, SpecError, error

MATRIX_FLAGS = frozenset({"psd", "symmetric"})


def build_set(definition: ir.UncertainDef, evaluate: Evaluator) -> UncertaintySet:
    """Evaluate and check the set of an uncertain declaration.

    Raises:
        SpecError: E410 for a set that is empty, unbounded, or has data of the wrong shape.
    """
    symbol = definition.symbol
    call = definition.set_expr
    if call is None:
        shape = tuple(evaluate.sizes(symbol.index))
        block = PsdBlock if MATRIX_FLAGS & definition.flags else ConvexBlock
        return block(symbol, shape, definition)
    structural = MATRIX_FLAGS & definition.flags
    if structural:
        raise error("E410", f"'{sorted(structural)[0]}' on an uncertain quantity in a "
                    f"{getattr(call, 'func', 'standard')} set", definition.symbol.span,
                    "describe a matrix set with an indented block of constraints, e.g. "
                    "`uncertain S[a, a2] psd:` and `near: norm2(S - S0) <= r`")
    if not isinstance(call, ir.Call) or call.func not in NAMED:
        raise error("E410", f"the set after 'in' must be {_names()}", call.span,
                    "write e.g. `in box(lo, hi)`, or describe the set with an indented "
                    "block of constraints")
    return NAMED[call.func].parse(SetArguments(call, evaluate, definition))


def build_sets(model: ir.Model, evaluate: Evaluator) -> dict[Symbol, UncertaintySet]:
    """Every declaration's set; all E410s at once."""
    diags = Diagnostics()
    sets: dict[Symbol, UncertaintySet] = {}
    for definition in model.uncertains:
        try:
            sets[definition.symbol] = build_set(definition, evaluate)
        except SpecError as exc:
            diags.extend(exc)
    diags.raise_if_any()
    return sets


def refine_sets(sets: dict[Symbol, UncertaintySet], model: ir.Model,
                evaluate: Evaluator) -> dict[Symbol, UncertaintySet]:
    """Blocks of linear lines become polyhedra (closed form by LP duality), checked
    non-empty; other sets stay as they are."""
    return {symbol: uset.refine(evaluate, model) for symbol, uset in sets.items()}


def check_bounded(context: SetContext) -> None:
    """E410 for the first set that is unbounded (or, written as a block, empty)."""
    for uset in context.sets.values():
        uset.check_bounded(context)


def _names() -> str:
    names = list(NAMED)
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
