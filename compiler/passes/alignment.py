"""Alignment by set name where it could mislead, and the re-index that says which axis.

Elementwise operands line up by set name (shapes.py). Two readings are refused (E301)
unless the author names the sets: operands on unrelated sets (an outer product nobody
wrote), and a vector on S against a value on S and an alias of S (`vol * corr * vol`).
`vol[tenor2]` re-indexes: the same values on the named sets' axes.
"""

from __future__ import annotations

from collections.abc import Mapping

from compiler.passes import ir
from compiler.passes.symbols import Symbol, SymbolKind, index_text
from dsl.errors import error

Index = tuple[Symbol, ...]


def reindexed(node: ir.Select, base: Index, sets: Index) -> Index:
    """`vol[tenor2]`: the base's sets, in order, each replaced by a set of the same
    root (itself or an alias): the values do not move, their axes are renamed."""
    if len(sets) != len(base):
        raise error("E303", f"{len(sets)} set(s) to re-index a value indexed by "
                    f"{index_text(base)}", node.span,
                    f"name one set per index set of the value, in order: "
                    f"{index_text(base)} or their aliases")
    for old, new, label in zip(base, sets, node.labels, strict=True):
        if new.root is not old.root:
            raise error("E303", f"'{new.name}' cannot stand for '{old.name}': it is not "
                        f"'{old.name}' or an alias of it", label.span,
                        f"re-index onto an alias, declared as `set {old.name}2 = "
                        f"{old.root.name}`")
    if len(set(sets)) != len(sets):
        raise error("E303", f"a value re-indexed by {index_text(sets)} names a set twice",
                    node.span, "name each axis by a different set (a set and its alias)")
    return sets


def aliases(model: ir.Model, root: Symbol) -> list[Symbol]:
    """The declared aliases of a set, in declaration order."""
    return [d.symbol for d in model.sets
            if d.symbol.alias_of is not None and d.symbol.root is root.root]


def check_alignment(of: Mapping[ir.Expr, Index], node: ir.Expr, operands: list[ir.Expr],
                    indices: list[Index]) -> None:
    """Elementwise operands line up by set name; two readings are refused (E301):
    operands on unrelated sets (an outer product nobody wrote: use outer(a, b)), and a
    vector on S against a value on S and an alias of S (`vol * corr[S, S2] * vol`:
    which axis is meant?) unless the operand is re-indexed explicitly (`vol[S2]`)."""
    if any(not i for i in indices):
        return  # a scalar broadcasts
    left, right = indices
    if not {s.root for s in left} & {s.root for s in right} and \
            not any(explicit(of, o) for o in operands):
        raise error("E301", f"elementwise operation between values on unrelated sets "
                    f"{index_text(left)} and {index_text(right)}", node.span,
                    "elementwise operands share their index sets: to pair every label "
                    "of one with every label of the other, say so by naming the sets, "
                    "as in `y[period] + s[bond]` (or outer(a, b) for a product); to sum "
                    "over a shared set, use '@'")
    for mine, other, operand in ((left, right, operands[0]), (right, left, operands[1])):
        for s in mine:
            twins = [t for t in other if t.root is s.root and t is not s]
            if s in other and twins and not any(t in mine for t in twins) \
                    and not explicit(of, operand):
                raise error("E301", f"ambiguous alignment: {_what(operand)} is indexed by "
                            f"'{s.name}' and the other side by both '{s.name}' and "
                            f"'{twins[0].name}'", operand.span,
                            f"say which axis: write it re-indexed as "
                            f"`{name_of(operand)}[{twins[0].name}]` to line it up with "
                            f"'{twins[0].name}', or `{name_of(operand)}[{s.name}]` to keep "
                            f"'{s.name}'")


def explicit(of: Mapping[ir.Expr, Index], node: ir.Expr) -> bool:
    """Written re-indexed (`vol[tenor2]`, `2 * s[bond]`): its alignment is what the
    author said."""
    if isinstance(node, ir.Select):
        return node.reindex is not None
    if isinstance(node, ir.Neg):
        return explicit(of, node.operand)
    if isinstance(node, ir.BinOp) and node.op is not ir.BinOperator.MATMUL:
        if not of.get(node.left, ()):
            return explicit(of, node.right)  # a scalar times the re-indexed value
        if not of.get(node.right, ()):
            return explicit(of, node.left)
    return False


def name_of(node: ir.Expr) -> str:
    return node.symbol.name if isinstance(node, ir.Ref) else "(...)"


def _what(node: ir.Expr) -> str:
    return f"'{node.symbol.name}'" if isinstance(node, ir.Ref) else "this operand"


def check_spread(of: Mapping[ir.Expr, Index], value: ir.Expr, declared: Index, index: Index,
                 what: str) -> None:
    """A value computed from indexed data is not silently copied along sets it lacks:
    `param cov[a, a2] = diag(vol) @ corr` is one number (the '@' summed both sets), once
    put in every cell. Refused (E301) unless the author names the value's sets."""
    missing = tuple(s for s in declared if s not in index)
    if not missing or explicit(of, value) or not (
            index or any(r.symbol.index or r.symbol.kind is SymbolKind.SET
                         for r in ir.refs(value))):
        return
    hint = (f"to give every label of {index_text(missing)} the same value, say so by naming "
            f"the value's sets, as in `{name_of(value)}[{', '.join(s.name for s in index)}]`"
            if index else "declare it as a scalar, or check the value: '@' sums over every "
            "set the two sides share")
    raise error("E301", f"{what} is indexed by {index_text(declared)} but its value by "
                f"{index_text(index)}: it would be copied along {index_text(missing)}",
                value.span, hint)
