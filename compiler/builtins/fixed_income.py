"""The fixed-income builtins: data in, numpy out (the numerics: compiler/builtins/bond_math.py).

The arguments are checked as data by `bond_shapes` (E406); here their values are
checked (E505 period or key labels that are not numbers, E508 values a formula cannot
take), aligned to (other sets..., period) and handed to the numerics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from compiler.builtins import bond_math as fi
from compiler.builtins.bond_shapes import (
    BOND_SHAPE,
    BOND_UNITS,
    CDS_SHAPE,
    CDS_UNITS,
    KEY_RATE_SHAPE,
    bond_args,
)
from compiler.builtins.registry import Builtin, register, signature
from compiler.data.limits import MAX_NUMBERS, check_count
from compiler.lowering import tensor
from compiler.passes import ir
from compiler.passes.symbols import Symbol
from dsl.errors import error

if TYPE_CHECKING:
    from compiler.lowering.evaluate import Evaluator

Value = Any


@dataclass(frozen=True, slots=True)
class Bond:
    """A bond function's data: cash flows (others..., T), times (T,), rates r_t = y_t + s."""

    cashflow: np.ndarray
    times: np.ndarray
    rates: np.ndarray
    compounding: str
    period: Symbol
    others: tuple[Symbol, ...]


def _word(node: ir.Call, name: str, default: str) -> str:
    value = node.kwarg(name)
    return value.word if isinstance(value, ir.Word) else default


def _along(ev: Evaluator, node: ir.Expr | None, what: str, target: tuple[Symbol, ...],
           default: float) -> np.ndarray:
    """A data argument over `target` (broadcast), or `default` when it is not given."""
    if node is None:
        return np.full(ev.sizes(target), default)
    value = ev.constant(node, what)
    return np.broadcast_to(tensor.align(value, ev.index(node), target), ev.sizes(target))


def _fail_if(bad: np.ndarray, node: ir.Expr, message: str, help: str) -> None:
    if np.any(bad):
        raise error("E508", message, node.span, help)


def bond_data(ev: Evaluator, node: ir.Call) -> Bond:
    args = bond_args(node)
    (period,) = ev.index(args.term)
    others = tuple(s for s in ev.index(args.cashflow) if s is not period)
    compounding = _word(node, "compounding", "continuous")
    times = ev.bindings.numeric_labels(period, args.term.span)
    cashflow = _along(ev, args.cashflow, "the cash flows", others + (period,), 0.0)
    term = ev.constant(args.term, "the discount factors" if args.discount else "the curve")
    spread_node = node.kwarg("spread")
    spread = _along(ev, spread_node, "the spread", others, 0.0)
    for values, at in ((cashflow, args.cashflow), (term, args.term), (spread, spread_node)):
        if at is not None:
            _fail_if(~np.isfinite(values), at, "a value that is not a finite number",
                     "check the data for missing values")
    if args.discount:
        _fail_if(term <= 0, args.term, "a discount factor is not positive",
                 "discount factors are in (0, 1] for positive rates; check the data")
        _fail_if((times == 0) & (term != 1), args.term, "the discount factor at time 0 is "
                 "not 1", "a cash flow paid now is worth its amount: use 1 at time 0")
        term = fi.rates_from_discount(times, term, compounding)
    rates = term + spread[..., None]
    if compounding == "periodic":
        _fail_if(rates <= -1, args.term, "a rate plus spread is -100% or less",
                 "periodic compounding needs 1 + y + s > 0")
    return Bond(cashflow, times, rates, compounding, period, others)


def _priced(node: ir.Call, bond: Bond) -> None:
    """Durations and convexity divide by the price: it must not be 0."""
    price = fi.bond_price(bond.cashflow, bond.times, bond.rates, bond.compounding)
    _fail_if(price == 0, node, f"a price of 0 in '{node.func}' (it divides by the price)",
             "give each bond cash flows with a nonzero value")


def _bond_price(ev: Evaluator, node: ir.Call) -> Value:
    bond = bond_data(ev, node)
    return fi.bond_price(bond.cashflow, bond.times, bond.rates, bond.compounding)


def _dv01(ev: Evaluator, node: ir.Call) -> Value:
    bond = bond_data(ev, node)
    return fi.dv01(bond.cashflow, bond.times, bond.rates, bond.compounding)


def _duration(ev: Evaluator, node: ir.Call) -> Value:
    bond = bond_data(ev, node)
    _priced(node, bond)
    return fi.duration(bond.cashflow, bond.times, bond.rates, bond.compounding,
                       _word(node, "kind", "modified"))


def _convexity(ev: Evaluator, node: ir.Call) -> Value:
    bond = bond_data(ev, node)
    _priced(node, bond)
    return fi.convexity(bond.cashflow, bond.times, bond.rates, bond.compounding)


def _increasing(ev: Evaluator, symbol: Symbol, at: ir.Expr) -> np.ndarray:
    labels = ev.bindings.numeric_labels(symbol, at.span)
    _fail_if(np.diff(labels) <= 0, at, f"the labels of '{symbol.name}' are not increasing",
             "list the periods from shortest to longest")
    return labels


def _extra(node: ir.Call) -> ir.Expr:
    extra = bond_args(node).extra
    if extra is None:  # the signature and shapes guarantee it
        raise RuntimeError(f"'{node.func}' without its keys or horizon")
    return extra


def _key_rate_durations(ev: Evaluator, node: ir.Call) -> Value:
    bond = bond_data(ev, node)
    _priced(node, bond)
    keys_node = _extra(node)
    (keys,) = ev.index(keys_node)  # shapes: a set reference
    points = _increasing(ev, keys, keys_node)
    return fi.key_rate_durations(bond.cashflow, bond.times, bond.rates, points,
                                 bond.compounding)


def _horizon(ev: Evaluator, node: ir.Call, bond: Bond) -> float:
    at = _extra(node)
    horizon = float(ev.constant(at, "the horizon"))
    if not np.isfinite(horizon) or horizon < 0:
        raise error("E508", f"the horizon {horizon} is not a number of periods >= 0",
                    at.span, "give the holding period in the curve's periods, e.g. 1")
    _fail_if(bond.cashflow < 0, bond_args(node).cashflow, f"'{node.func}' of negative cash "
             "flows", "carry and roll-down are for bonds held long: cash flows >= 0 (scale "
             "the result by a short position instead)")
    _priced(node, bond)
    _increasing(ev, bond.period, bond_args(node).term)
    return horizon


def _carry(ev: Evaluator, node: ir.Call) -> Value:
    bond = bond_data(ev, node)
    horizon = _horizon(ev, node, bond)
    repo = _along(ev, node.kwarg("repo"), "the repo rate", bond.others, 0.0)
    return fi.carry(bond.cashflow, bond.times, bond.rates, horizon, repo, bond.compounding)


def _rolldown(ev: Evaluator, node: ir.Call) -> Value:
    bond = bond_data(ev, node)
    horizon = _horizon(ev, node, bond)
    return fi.rolldown(bond.cashflow, bond.times, bond.rates, horizon, bond.compounding)


# the positional arguments of the CDS builtins, in order (all elementwise, broadcast)
CDS_ARGS: dict[str, tuple[str, ...]] = {
    "cs01": ("the spread", "the coupon", "the maturity"),
    "cds_carry": ("the spread", "the coupon", "the maturity", "the horizon"),
    "cds_rolldown": ("the spread", "the rolled spread", "the coupon", "the maturity",
                     "the horizon"),
}


CDS_NUMERICS: dict[str, Callable[..., np.ndarray]] = {
    "cs01": fi.cs01, "cds_carry": fi.cds_carry, "cds_rolldown": fi.cds_rolldown}


def _cds(ev: Evaluator, node: ir.Call) -> Value:
    """cs01, cds_carry, cds_rolldown: flat hazard s / (1 - R), quarterly premiums."""
    out = ev.index(node)
    names = CDS_ARGS[node.func]
    values = {what: _along(ev, a, what, out, 0.0)
              for a, what in zip(node.args, names, strict=True)}
    recovery = _along(ev, node.kwarg("recovery"), "the recovery rate", out, 0.4)
    rate = _along(ev, node.kwarg("rate"), "the rate", out, 0.0)
    where = node.kwarg("recovery") or node
    _fail_if((recovery < 0) | (recovery >= 1), where, "a recovery rate outside [0, 1)",
             "give the recovery as a fraction of notional, e.g. recovery = 0.4")
    for what in ("the spread", "the rolled spread"):
        if what in values:
            _fail_if(values[what] < 0, node.args[names.index(what)], "a negative CDS spread",
                     "spreads are decimals per year: 100bp is 0.01 (declare the data `in "
                     "bp`, or write `* 1bp`)")
    maturity = values["the maturity"]
    at = node.args[names.index("the maturity")]
    _fail_if(maturity <= 0, at, "a CDS maturity that is not positive",
             "give the maturity in years, e.g. 5")
    _fail_if(~np.isfinite(maturity), at, "a CDS maturity that is not a finite number",
             "give the maturity in years, e.g. 5")
    # one premium date per quarter, for every CDS: bounded before any schedule is built
    check_count(float(np.sum(np.ceil(maturity * fi.PAYMENTS_PER_YEAR), dtype=float)),
                "the quarterly premium schedules of this CDS function", at.span,
                "give maturities in years, e.g. 5", limit=MAX_NUMBERS)
    if "the horizon" in values:
        horizon = values["the horizon"]
        _fail_if((horizon < 0) | (horizon >= maturity), node.args[names.index("the horizon")],
                 "a horizon outside [0, maturity)", "give the holding period in years, "
                 "shorter than the maturity, e.g. 0.25")
    args = [values[what] for what in names] + [recovery, rate]
    return CDS_NUMERICS[node.func](*args)


BOND_KEYWORDS = ("spread", "discount", "compounding")
BOND_WORDS = ("kind", "compounding")


def _bond_function(name: str, max_args: int, lower: Callable[[Evaluator, ir.Call], Value],
                   usage: str, doc: str, *keywords: str) -> Builtin:
    """A bond function: the curve is optional positionally when `discount = df` is given."""
    every = (*BOND_KEYWORDS, *keywords)
    words = tuple(k for k in BOND_WORDS if k in every)  # `kind` for duration only
    return Builtin(name=name, signature=signature(1, max_args, *every, usage=usage,
                                                  words=words),
                   doc=doc, shape=KEY_RATE_SHAPE if name == "key_rate_durations" else
                   BOND_SHAPE, units=BOND_UNITS, lower=lower,
                   section="fixed income")


def _cds_function(name: str, args: int, usage: str, doc: str) -> Builtin:
    return Builtin(name=name, signature=signature(args, args, "recovery", "rate", usage=usage),
                   doc=doc, shape=CDS_SHAPE, units=CDS_UNITS, lower=_cds,
                   section="fixed income")


register(
    _bond_function("bond_price", 2, _bond_price, "bond_price(cashflow, curve, spread = s), "
                   "bond_price(cashflow, discount = df)", "Σ_t c_t df_t: the price on the "
                   "curve plus the spread, or on the discount factors df"),
    _bond_function("dv01", 2, _dv01, "dv01(cashflow, curve, spread = s)",
                   "−dP/dy × 1e-4: the price change for a 1bp parallel shift"),
    _bond_function("duration", 2, _duration, "duration(cashflow, curve, kind = "
                   "modified|macaulay, compounding = continuous|periodic)",
                   "−(1/P) dP/dy (modified) or (1/P) Σ t c_t df_t (macaulay), in periods",
                   "kind"),
    _bond_function("convexity", 2, _convexity, "convexity(cashflow, curve, spread = s)",
                   "(1/P) d²P/dy²"),
    _bond_function("key_rate_durations", 3, _key_rate_durations,
                   "key_rate_durations(cashflow, curve, keys, spread = s)",
                   "−(1/P) ∂P/∂y_j for each key period j (interp_map weights), indexed "
                   "[bond, keys]"),
    _bond_function("carry", 3, _carry, "carry(cashflow, curve, horizon, spread = s, "
                   "repo = r)", "the gain from holding the bond `horizon` periods on an "
                   "unchanged curve, financed at the repo rate", "repo"),
    _bond_function("rolldown", 3, _rolldown, "rolldown(cashflow, curve, horizon, "
                   "spread = s)", "the gain from rolling down an unchanged curve over "
                   "`horizon` periods"),
    _cds_function("cs01", 3, "cs01(spread, coupon, maturity, recovery = R, rate = r)",
                  "CDS mark-to-market change for +1bp, per unit notional of bought protection"),
    _cds_function("cds_carry", 4, "cds_carry(spread, coupon, maturity, horizon, "
                  "recovery = R, rate = r)", "bought protection held `horizon` years, spread "
                  "unchanged, per unit notional"),
    _cds_function("cds_rolldown", 5, "cds_rolldown(spread, rolled_spread, coupon, maturity, "
                  "horizon, recovery = R, rate = r)", "the gain from the spread rolling down "
                  "to `rolled_spread`"),
)
