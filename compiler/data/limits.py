"""Saddle's size limits (docs/language.md, "Limits"), checked before anything is allocated.

A set has at most `MAX_LABELS` labels, and a decision or a constraint at most as many
scalars; a param, scenario matrix, expression or fixed-income schedule holds at most
`MAX_NUMBERS` numbers. Measured on the project's machine (2 cores, 24 GiB): a set of 10^7
labels binds in ~15 s and 1.6 GB (labels are Python objects); numbers are float64 arrays,
so 2.5 x 10^8 of them (a 2,000-asset x 100,000-scenario matrix, 2 GB) still fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from compiler.passes import ir
from compiler.passes.ir import walk
from compiler.passes.symbols import Symbol
from dsl.errors import error
from dsl.source import Span

if TYPE_CHECKING:  # a type only: shapes imports the builtins, which check sizes here
    from compiler.passes.shapes import Shapes

MAX_LABELS = 10**7
MAX_NUMBERS = 250_000_000


HELP = ("use fewer labels or draws: a model this large would exhaust the machine's memory "
        "before a solver saw it")


def check_count(count: float, what: str, span: Span, help: str = HELP,
                limit: int = MAX_LABELS) -> None:
    """E509 if `what` (a set, a range, an array...) would hold more than `limit`."""
    if not count <= limit:  # NaN too
        shown = f"{int(count):,}" if count < 1e15 else f"{count:.3g}"
        raise error("E509", f"{what} would have {shown} elements, more than Saddle's limit "
                    f"of {limit:,}", span, help)


def check_shape(sizes: Iterable[int], what: str, span: Span, limit: int = MAX_NUMBERS) -> None:
    """E509 if an array of these axis sizes would hold more than `limit` numbers."""
    check_count(math.prod(sizes), what, span, limit=limit)


SizesOf = Callable[[tuple[Symbol, ...]], "tuple[int, ...] | None"]


def check_tree(node: ir.Expr, shapes: Shapes, sizes_of: SizesOf) -> None:
    """E509 at the first sub-expression whose value would be too large (an outer product
    `p[a] * q[b]` of two long sets, say), before anything is evaluated."""
    for item in walk(node):
        index = shapes.of.get(item)
        sizes = sizes_of(index) if index else None
        if sizes is not None:
            check_shape(sizes, "this expression", item.span)


def check_model(model: ir.Model, shapes: Shapes, sizes_of: SizesOf) -> None:
    """E509 for decisions, lets, the objective and constraints, once every set is bound."""
    for definition in (*model.variables, *model.uncertains):
        sizes = sizes_of(definition.symbol.index)
        if sizes is not None:
            check_shape(sizes, definition.symbol.describe(), definition.symbol.span,
                        MAX_LABELS)  # a decision's scalars: cvxpy holds each as an object
    roots = [d.value for d in model.lets] + [model.objective.expr]
    for con in (*model.constraints, *(c for u in model.uncertains for c in u.constraints)):
        sizes = sizes_of(shapes.constraints.get(con.name, ()))
        if sizes is not None:
            check_shape(sizes, f"constraint '{con.name}'", con.span, MAX_LABELS)
        options = (con.condition.options if isinstance(con.condition, ir.Disjunction)
                   else (con.condition,))
        roots += [term for option in options for term in option.terms]
    for root in roots:
        check_tree(root, shapes, sizes_of)
