"""Dimensions of values for the units pass (compiler/passes/units.py): rate, money, dimensionless.

Money has a scale: money in dollars (`$` literals, `in $`) and money held in $k, $M or $bn
(a param or variable declared in them) are different dimensions, because their numbers
differ by that factor: adding or comparing them is E307, and a value declared in one but
written in another is converted (compiler/passes/unit_values.py).
"""

from __future__ import annotations

from dsl.ast import UNIT_SCALE

Dim = frozenset[str] | None  # the dimensions a value may have; None: unknown (any)

RATE = frozenset({"rate"})
MONEY = frozenset({"money"})  # in dollars: `$` literals, `in $`
PURE = frozenset({"dimensionless"})
SHARE_OR_RATE = RATE | PURE  # a `%` literal


def money_in(unit: str) -> frozenset[str]:
    """Money held in `unit`: `in $M` is money counted in $M, which is not money in dollars
    (`capital + $5M` would add 250 to 5,000,000), so each scale is a dimension of its own."""
    return MONEY if unit == "$" else frozenset({f"money {unit}"})


ANY_MONEY = MONEY | money_in("$k") | money_in("$M") | money_in("$bn")  # `$0`

_DECLARED: dict[str, Dim] = {"bp": RATE, "%": RATE, "k": None, "M": None, "bn": None,
                             "$": MONEY, "$k": money_in("$k"), "$M": money_in("$M"),
                             "$bn": money_in("$bn")}
_P, _R, _M = "dimensionless", "rate", "money"
_TIMES = {(_P, _P): _P, (_P, _R): _R, (_R, _P): _R, (_P, _M): _M, (_M, _P): _M,
          (_R, _M): _M, (_M, _R): _M}
# money / money is a share, or a return (money * rate is money, so a rate may be inside)
_OVER = {(_P, _P): _P, (_R, _P): _R, (_M, _P): _M, (_R, _R): _P, (_M, _R): _M,
         (_M, _M): "share or rate"}
TIMES, OVER, MONEY_KIND = _TIMES, _OVER, _M  # for compiler/passes/units.py


def unit_dim(unit: str | None, literal: bool = False) -> Dim:
    """The dimension of a unit: of a literal (`5%`, `$5M`: dollars) or of a declaration
    (`in %`, `in $M`: money held in $M)."""
    if unit is None:
        return None
    if literal and unit == "%":
        return SHARE_OR_RATE
    if literal and unit.startswith("$"):
        return MONEY  # a literal is converted to dollars when it is read
    return _DECLARED.get(unit)


def family(kind: str) -> str:
    """"money $M" -> "money": the dimension without the scale money is held in."""
    return _M if kind.startswith(_M) else kind


def money_scale(kind: str) -> float:
    """Dollars per unit of a money kind: 1 for "money", 1e6 for "money $M"."""
    return UNIT_SCALE[kind.split(" ")[1]] if " " in kind else 1.0


def combine(table: dict[tuple[str, str], str], left: Dim, right: Dim) -> Dim:
    """The dimension of `left * right` or `left / right` (by `table`); None if unknown.
    Money keeps its scale ($M times a rate is $M); money over money of another scale is
    unknown here (`dim_BinOp` reports it)."""
    if left is None or right is None:
        return None
    out: set[str] = set()
    for a in left:
        for b in right:
            found = table.get((family(a), family(b)))
            if found is None or found == "share or rate" and a != b:
                return None
            if found == _M:
                out.add(a if family(a) == _M else b)
            else:
                out |= {_R, _P} if found == "share or rate" else {found}
    return frozenset(out)


def describe(dim: Dim) -> str:
    if dim is None:
        return "of unknown dimension"
    if dim == SHARE_OR_RATE:
        return "a percentage (a share or a rate)"
    kind = next(iter(dim))
    if family(kind) == _M:
        return "money ($)" if dim in (MONEY, ANY_MONEY) else \
            f"money in {kind.split(' ')[1]}"
    return {_R: "a rate (bp, %)", _P: "dimensionless (a weight or a count)"}[kind]


def mismatch_help(a: frozenset[str], b: frozenset[str]) -> str:
    """The help sentence of E307 for values of dimensions `a` and `b`."""
    if {family(k) for k in a} == {family(k) for k in b} == {_M}:
        held = sorted({k.split(" ")[1] for k in a | b if " " in k})
        if MONEY & (a | b):
            return (f"a value declared in {held[0]} is held in {held[0]}, and a `$` literal "
                    f"in dollars: write the amount in {held[0]} (5, not $5M), or give it a "
                    f"param declared `in {held[0]}`")
        return (f"money held in {' and in '.join(held)} differs by a factor: declare the "
                "values in one unit")
    if _M in {family(k) for k in a | b}:
        other = "a rate" if _R in a | b and _P not in a | b else "a weight"
        example = "notional * yield" if other == "a rate" else "book * abs(w) <= limit"
        return (f"money adds to and compares with money only; {other} times a notional is "
                f"money (`{example}`)")
    return ("a rate (bp, %) is a decimal and adds to rates only; a weight times a rate is a "
            "rate (`w * yield`), and `x / 1bp` counts basis points. A share in % is a "
            "literal (`cap = 5%`): a param declared `in %` is a rate")


def families(dim: Dim) -> set[str]:
    return {family(k) for k in dim} if dim is not None else set()


