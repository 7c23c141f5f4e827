"""Shape and units rules of the fixed-income builtins (docs/language.md, "Fixed income").

Every argument is data: the builtins are computed once, at the nominal curve, so that a
constraint such as `abs(krd @ h) <= limit` stays linear. A decision or an uncertain
quantity in an argument (also through a `let`) is E406 here, before any data is read.

Bond functions take cash flows indexed by the curve's period set plus others ([bond,
period]) and a curve indexed by the period set alone (or `discount = df`, also indexed by
it); their result is indexed by the cash flows' other sets (and by the key set for
`key_rate_durations`). `cs01` is elementwise over the union of its arguments' sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from compiler.builtins.registry import Index, ShapeCall, ShapeRule, UnitCall, UnitsRule
from compiler.passes import ir
from compiler.passes.dimensions import Dim
from compiler.passes.symbols import Symbol, SymbolKind, index_text
from dsl.errors import error

WORDS: dict[str, tuple[str, ...]] = {"kind": ("modified", "macaulay"),
                                     "compounding": ("continuous", "periodic")}
# The positional argument after the curve: key periods, or a horizon in periods.
EXTRA: dict[str, str] = {"key_rate_durations": "keys", "carry": "horizon",
                         "rolldown": "horizon"}
CALLS: dict[str, str] = {
    "bond_price": "bond_price(cashflow, curve, spread = s) or bond_price(cashflow, "
                  "discount = df)",
    "dv01": "dv01(cashflow, curve, spread = s)",
    "duration": "duration(cashflow, curve, kind = modified|macaulay)",
    "convexity": "convexity(cashflow, curve, spread = s)",
    "key_rate_durations": "key_rate_durations(cashflow, curve, keys, spread = s)",
    "carry": "carry(cashflow, curve, horizon, spread = s, repo = r)",
    "rolldown": "rolldown(cashflow, curve, horizon, spread = s)",
}


@dataclass(frozen=True, slots=True)
class BondArgs:
    """Where a bond function's arguments are: the term structure is the curve or the
    discount factors (`discount` says which); `extra` is the keys or the horizon."""

    cashflow: ir.Expr
    term: ir.Expr
    discount: bool
    extra: ir.Expr | None


def bond_args(node: ir.Call) -> BondArgs:
    """The arguments of a bond function by role (E208 if the curve is missing or doubled)."""
    discount = node.kwarg("discount")
    wanted = 1 + (node.func in EXTRA) + (discount is None)
    if len(node.args) != wanted:
        if discount is None:
            help = f"call it as {CALLS[node.func]}"
        else:
            help = "with `discount = df`, leave out the curve: the discount factors replace it"
        plural = "s" if wanted > 1 else ""
        raise error("E208", f"'{node.func}' takes {wanted} positional argument{plural} here, "
                    f"not {len(node.args)}", node.span, help)
    term = discount if discount is not None else node.args[1]
    extra = node.args[-1] if node.func in EXTRA else None
    return BondArgs(node.args[0], term, discount is not None, extra)


def _decided(node: ir.Expr, model: ir.Model) -> ir.Ref | None:
    """The first decision or uncertain quantity `node` mentions, through lets too."""
    lets = {d.symbol: d.value for d in model.lets}
    stack = list(ir.refs(node))
    seen: set[Symbol] = set()
    while stack:
        ref = stack.pop(0)
        if ref.symbol.kind in (SymbolKind.VARIABLE, SymbolKind.UNCERTAIN):
            return ref
        if ref.symbol in lets and ref.symbol not in seen:
            seen.add(ref.symbol)
            stack.extend(ir.refs(lets[ref.symbol]))
    return None


def check_data(node: ir.Call, model: ir.Model) -> None:
    """E406 for an argument that mentions a decision or an uncertain quantity."""
    for arg in (*node.args, *(value for _, value in node.kwargs)):
        found = _decided(arg, model)
        if found is not None:
            raise error("E406", f"'{node.func}' needs data, but this argument mentions the "
                        f"{found.symbol.kind.value} '{found.symbol.name}'", arg.span,
                        f"{node.func} is computed once from data (at the nominal curve): "
                        "give params here, and use the result with the decisions, e.g. "
                        f"`{node.func}(...) @ w`")


def check_words(node: ir.Call) -> None:
    """`kind = ...` and `compounding = ...` take one of their bare words."""
    for name, options in WORDS.items():
        value = node.kwarg(name)
        if value is None:
            continue
        if not (isinstance(value, ir.Word) and value.word in options):
            raise error("E208", f"'{name}' must be one of: {', '.join(options)}", value.span,
                        f"write {name} = {options[0]} or {name} = {options[1]}")


def _term_set(node: ir.Call, args: BondArgs, of: Mapping[ir.Expr, Index]) -> Symbol:
    term = of[args.term]
    what = "the discount factors" if args.discount else "the curve"
    if len(term) != 1:
        raise error("E303", f"{what} of '{node.func}' should be indexed by one set, its "
                    f"periods, not by {index_text(term) if term else 'no set'}", args.term.span,
                    f"index {what} by the period set only, e.g. `param y[period]` with "
                    "`set period = 1..60`")
    return term[0]


def _bond(call: ShapeCall) -> Index:
    node, of = call.node, call.of
    check_data(node, call.model)
    check_words(node)
    args = bond_args(node)
    period = _term_set(node, args, of)
    cash = of[args.cashflow]
    if period not in cash:
        raise error("E303", f"the cash flows are indexed by {index_text(cash)}, without the "
                    f"curve's set '{period.name}'", args.cashflow.span,
                    f"index the cash flows by '{period.name}' (and by the bonds), e.g. "
                    f"`param cashflow[bond, {period.name}]`")
    others = tuple(s for s in cash if s is not period)
    for name in ("spread", "repo"):
        value = node.kwarg(name)
        if value is not None and any(s not in others for s in of[value]):
            raise error("E303", f"the {name} is indexed by {index_text(of[value])}",
                        value.span, f"give one {name}, or one per label of the cash flows' "
                        f"other sets {index_text(others) if others else '(there are none)'}")
    if args.extra is None:
        return others
    return others + _extra(node, args.extra, of, others)


def _extra(node: ir.Call, extra: ir.Expr, of: Mapping[ir.Expr, Index], others: Index
           ) -> Index:
    if EXTRA[node.func] == "horizon":
        if of[extra]:
            raise error("E303", f"the horizon is indexed by {index_text(of[extra])}",
                        extra.span, "give the horizon as one number of periods, e.g. 1")
        return ()
    if not (isinstance(extra, ir.Ref) and extra.symbol.kind is SymbolKind.SET):
        raise error("E303", "the key periods must be a set", extra.span,
                    "declare the key periods as a set with numeric labels, e.g. "
                    "`set key = [2, 10, 20, 60]`, and pass its name")
    if extra.symbol in others:
        raise error("E303", f"the key set '{extra.symbol.name}' also indexes the cash flows",
                    extra.span, "use a set of key periods of its own (an alias works)")
    return (extra.symbol,)


def _cds(call: ShapeCall) -> Index:
    node = call.node
    check_data(node, call.model)
    index: Index = ()
    for value in (*node.args, *(v for _, v in node.kwargs)):
        index = index + tuple(s for s in call.of[value] if s not in index)
    return index


def _bond_units(call: UnitCall) -> Dim:
    """The curve and the spread (and repo) are added: exp(-t (curve + spread))."""
    node = call.node
    added = [v for k, v in node.kwargs if k in ("spread", "repo")]
    if added and len(node.args) >= 2 and node.kwarg("discount") is None:
        call.same((node.args[1], *added), node.span)
    return None


def _cds_units(call: UnitCall) -> Dim:
    """A CDS spread and its coupon (and the rolled spread) are compared: one dimension."""
    node = call.node
    added = 3 if node.func == "cds_rolldown" else 2
    if len(node.args) >= added:
        call.same(tuple(node.args[:added]), node.span)
    return None


BOND_SHAPE = ShapeRule("the cash flows' other sets", _bond)
KEY_RATE_SHAPE = ShapeRule("[the cash flows' other sets, keys]", _bond)
CDS_SHAPE = ShapeRule("the union of all arguments' sets", _cds)
BOND_UNITS = UnitsRule("unknown; the curve and the spread share one", _bond_units)
CDS_UNITS = UnitsRule("unknown; the spreads and the coupon share one", _cds_units)
