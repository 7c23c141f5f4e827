"""Data builtins (csv, indicator, interp_map) and the declaration-only ones: scenario
samplers (compiled by compiler/data/bind.py) and uncertainty sets (compiler/uncertainty/sets/,
whose classes hold their signature and doc line: their records here are made from them),
so that resolve and the docs see them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from compiler.builtins import bond_math as fixed_income
from compiler.builtins import rules
from compiler.builtins.registry import (
    Builtin,
    Context,
    Index,
    ShapeCall,
    ShapeRule,
    UnitCall,
    UnitsRule,
    Value,
    register,
    signature,
)
from compiler.data import set_labels as labels
from compiler.passes import ir
from compiler.passes.dimensions import Dim
from compiler.passes.symbols import SymbolKind
from compiler.uncertainty.base import StandardSet
from compiler.uncertainty.registry import NAMED as UNCERTAINTY_SETS
from dsl.errors import error

if TYPE_CHECKING:
    from compiler.lowering.evaluate import Evaluator


def _csv_shape(call: ShapeCall) -> Index:
    for _, value in call.node.kwargs:  # `columns = [...]` lists names, not values
        if not isinstance(value, ir.ListLit):
            call.infer(value, None)
    return call.context or ()


def _csv(ev: Evaluator, node: ir.Call) -> Value:
    return ev.bindings.csv_value(node, ev.index(node))


def _interp_map_shape(call: ShapeCall) -> Index:
    sets = [a.symbol for a in call.node.args
            if isinstance(a, ir.Ref) and a.symbol.kind is SymbolKind.SET]
    if len(sets) != 2 or sets[0].root is sets[1].root:
        raise error("E303", "interp_map needs two different sets", call.node.span,
                    "write interp_map(points, keys): the set to interpolate onto and the "
                    "set of key points, both with numeric labels")
    return (sets[0], sets[1])


def _interp_map(ev: Evaluator, node: ir.Call) -> Value:
    points, keys = ev.index(node)
    at = [ev.bindings.numeric_labels(s, a.span) for s, a in zip((points, keys), node.args,
                                                                 strict=True)]
    if np.any(np.diff(at[1]) <= 0):
        raise error("E508", f"the key points of '{keys.name}' are not increasing",
                    node.args[1].span, "list the key points from shortest to longest")
    return fixed_income.interpolation_matrix(at[0], at[1])


def _box_units(call: UnitCall) -> Dim:
    """The ends of a box are added to each other: one dimension."""
    node = call.node
    ends = (*node.args, *(v for k, v in node.kwargs if k in ("lo", "hi")))
    call.same(tuple(ends), node.span)
    return None


SAMPLED = "compiler/data/bind.py (scenario samplers)"
SETS = "compiler/uncertainty/sets/ (uncertainty sets)"
AMBIGUOUS = "compiler/uncertainty/ambiguity.py (ambiguity sets)"


def _declared(name: str, sig_args: tuple[int, int | None], keywords: tuple[str, ...],
              context: Context, usage: str, doc: str, handled_by: str,
              units: UnitsRule = rules.UNKNOWN, words: tuple[str, ...] = ()) -> Builtin:
    return Builtin(name=name, signature=signature(*sig_args, *keywords, usage=usage,
                                                  context=context, words=words),
                   doc=doc, shape=rules.CHECKED_ELSEWHERE, units=units,
                   handled_by=handled_by,
                   section={Context.UNCERTAINTY: "set", Context.AMBIGUITY: "ambiguity"}.get(
                       context, "sampler"))


# a set's arguments whose units must agree (any other set's: unknown)
SET_UNITS = {"box": UnitsRule("unknown; lo and hi share one", _box_units)}


def _uncertainty_set(cls: type[StandardSet]) -> Builtin:
    """The name record of a set written as a call, from its class."""
    return Builtin(name=cls.name, signature=cls.signature, doc=cls.doc,
                   shape=rules.CHECKED_ELSEWHERE, units=SET_UNITS.get(cls.name, rules.UNKNOWN),
                   handled_by=SETS, section="set")


register(
    Builtin(name="csv", signature=signature(
        1, 1, "row", "columns", "dates", "index", context=Context.DATA, words=("row",),
        usage='csv("file", row = last|first|"label", columns = [...]), csv("file").column, '
              'csv("file", dates = "%d/%m/%Y").date'),
            doc='data read from a CSV file (see "Reading CSV files")',
            shape=ShapeRule("the declaration's", _csv_shape, own_arguments=True),
            units=UnitsRule("unknown (fits any)", lambda call: None, own_arguments=True),
            lower=_csv, section="data"),
    Builtin(name="indicator", signature=signature(1, 1, usage="indicator(a == b), "
                                                  "indicator(lo <= x <= hi)"),
            doc="1 where the comparison (every link of a chain) holds, else 0; data only; "
                "numbers compare with == <= >=, labels with ==",
            shape=ShapeRule("the union of the terms'", rules.FIRST_ARGUMENT.infer),
            units=rules.DIMENSIONLESS, lower=labels.indicator, section="data"),
    Builtin(name="interp_map", signature=signature(2, 2, usage="interp_map(points, keys)"),
            doc="linear interpolation weights from the key points to the points (both sets "
                "with numeric labels, keys increasing); a point outside the keys takes the "
                "nearest end key; every row sums to 1",
            shape=ShapeRule("[points, keys]", _interp_map_shape), units=rules.DIMENSIONLESS,
            lower=_interp_map, section="data"),
    _declared("normal", (0, 2), ("mean", "std", "seed"), Context.SAMPLER,
              "normal(mean, std, seed = N)", "normal scenarios, numpy.random.default_rng(seed)"
              ", drawn in the declared axis order", SAMPLED),
    _declared("student_t", (1, 3), ("df", "mean", "scale", "seed"), Context.SAMPLER,
              "student_t(df, mean, scale, seed = N)", "Student-t scenarios (as normal)",
              SAMPLED),
    _declared("bootstrap", (1, 1), ("block", "seed"), Context.DATA,
              "bootstrap(series, block = N, seed = N)", "scenarios resampled from a series "
              "in blocks", SAMPLED),
    *(_uncertainty_set(cls) for cls in UNCERTAINTY_SETS.values()),
    _declared("wasserstein", (1, 1), ("radius", "norm", "lower", "upper"),
              Context.AMBIGUITY, "wasserstein(scenarios, radius = r, norm = 1|2|inf, "
              "lower = lo, upper = hi)", "the distributions within Wasserstein distance r "
              "of the scenarios' empirical one", AMBIGUOUS, words=("norm",)),
    _declared("moments", (1, 1), ("mean", "covariance"), Context.AMBIGUITY,
              "moments(scenarios, mean = mu, covariance = S)", "the distributions with the "
              "given mean and covariance", AMBIGUOUS),
)
