"""Builtin function signatures: arity, keywords and where each function may be used.

`resolve` checks calls against these (E207 unknown function, E208 bad arguments); index
rules live in `shapes.py` and lowering rules in `builtins.py`, both keyed by the same names.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Context(enum.Enum):
    MATH = "an expression"  # objective, constraints, lets, and data arithmetic
    DATA = "a data declaration (set, param, series, scenarios)"
    SAMPLER = "a scenarios declaration after '~'"
    UNCERTAINTY = "an uncertain declaration after 'in'"


@dataclass(frozen=True, slots=True)
class Signature:
    min_args: int
    max_args: int | None  # None: any number
    keywords: frozenset[str] = frozenset()
    context: Context = Context.MATH
    word_keywords: frozenset[str] = frozenset()  # keywords whose bare-word values are options
    doc: str = ""


def _sig(min_args: int, max_args: int | None, *keywords: str,
         context: Context = Context.MATH, words: tuple[str, ...] = (), doc: str = "") -> Signature:
    return Signature(min_args, max_args, frozenset(keywords), context, frozenset(words), doc)


def _bond_sig(max_args: int, *keywords: str, doc: str) -> Signature:
    """A bond function: the curve is optional positionally when `discount = df` is given."""
    return _sig(1, max_args, "spread", "discount", "compounding", *keywords,
                words=("kind", "compounding"), doc=doc)


SIGNATURES: dict[str, Signature] = {
    # reductions along all index sets, or along one with `over = S`
    "sum": _sig(1, 1, "over", doc="sum(x) or sum(x, over = S)"),
    "mean": _sig(1, 1, "over", doc="mean(x) or mean(x, over = S)"),
    "max": _sig(1, 2, "over", doc="max(x) (largest element), max(x, over = S), max(a, b)"),
    "min": _sig(1, 2, "over", doc="min(x), min(x, over = S), min(a, b)"),
    "first": _sig(1, 1, "over", doc="first(x, over = S): the value at S's first label"),
    "last": _sig(1, 1, "over", doc="last(x, over = S): the value at S's last label"),
    "diff": _sig(1, 1, "over", doc="diff(x, over = S): x[t] - x[t-1], 0 at the first label"),
    "count": _sig(1, 1, doc="count(S): the number of labels of a set (or elements of x)"),
    # elementwise
    "abs": _sig(1, 1),
    "pos": _sig(1, 1, doc="max(x, 0)"),
    "neg": _sig(1, 1, doc="max(-x, 0)"),
    "square": _sig(1, 1),
    "sqrt": _sig(1, 1),
    "exp": _sig(1, 1),
    "log": _sig(1, 1),
    "inv_pos": _sig(1, 1),
    # scalar-valued atoms
    "norm1": _sig(1, 1),
    "norm2": _sig(1, 1),
    "norm_inf": _sig(1, 1),
    "sum_squares": _sig(1, 1),
    "trace": _sig(1, 1, doc="trace(M): the sum of the diagonal of M[S, S2] (S2 an alias of S)"),
    "outer": _sig(2, 2, doc="outer(a, b): a[S] b[T] as a matrix indexed [S, T] "
                  "(outer(v, v[S2]) for a set and its alias)"),
    "diag": _sig(1, 1, doc="diag(v): the matrix [S, S2] with v[S] on its diagonal (S2 S's "
                 "first alias); diag(M[S, S2]): the diagonal [S]"),
    "quad_form": _sig(2, 2, doc="quad_form(x, P) = x' P x, with P indexed [S, S] or [S, S2]"),
    "log_sum_exp": _sig(1, 1, "weights",
                        doc="log(sum(weights * exp(x))), summed over the sets of both"),
    "cvar": _sig(2, 2, doc="cvar(level, losses): mean of the worst (1 - level) of the losses"),
    # data
    "csv": _sig(1, 1, "row", "columns", "dates", "index", context=Context.DATA,
                words=("row",), doc='csv("file.csv", row = last|first|"label", columns = '
                '[...]), or csv("file.csv", dates = "%d/%m/%Y").date for a time set'),
    "chi2_quantile": _sig(2, 2, doc="chi2_quantile(p, dof): the chi-square quantile"),
    "indicator": _sig(1, 1, doc="indicator(a == b): 1 where the comparison holds, else 0; "
                      "compares numbers (== <= >=) or labels (==)"),
    "interp_map": _sig(2, 2, doc="interp_map(points, keys): linear interpolation weights "
                       "from the key points to the points, indexed [points, keys]"),
    # fixed income: data computed at the nominal curve (docs/language.md, "Fixed income")
    "bond_price": _bond_sig(2, doc="bond_price(cashflow, curve, spread = s) = "
                            "sum_t c_t exp(-t (y_t + s)), or bond_price(cashflow, discount = df)"),
    "dv01": _bond_sig(2, doc="dv01(cashflow, curve, spread = s): -dP/dy for a 1bp shift"),
    "duration": _bond_sig(2, "kind", doc="duration(cashflow, curve, kind = modified|macaulay, "
                          "compounding = continuous|periodic), in periods"),
    "convexity": _bond_sig(2, doc="convexity(cashflow, curve, spread = s): (1/P) d2P/dy2"),
    "key_rate_durations": _bond_sig(3, doc="key_rate_durations(cashflow, curve, keys, "
                                    "spread = s), indexed [bond, keys]"),
    "carry": _bond_sig(3, "repo", doc="carry(cashflow, curve, horizon, spread = s, repo = r)"),
    "rolldown": _bond_sig(3, doc="rolldown(cashflow, curve, horizon, spread = s)"),
    "cs01": _sig(3, 3, "recovery", "rate", doc="cs01(spread, coupon, maturity, recovery = R, "
                 "rate = r): CDS mark-to-market change for +1bp, per unit notional"),
    "cds_carry": _sig(4, 4, "recovery", "rate", doc="cds_carry(spread, coupon, maturity, "
                      "horizon, recovery = R, rate = r): bought protection held `horizon` "
                      "years, spread unchanged, per unit notional"),
    "cds_rolldown": _sig(5, 5, "recovery", "rate", doc="cds_rolldown(spread, rolled_spread, "
                         "coupon, maturity, horizon, recovery = R, rate = r): the gain from "
                         "the spread rolling down to `rolled_spread`"),
    # scenario samplers
    "normal": _sig(0, 2, "mean", "std", "seed", context=Context.SAMPLER,
                   doc="normal(mean, std, seed = N)"),
    "student_t": _sig(1, 3, "df", "mean", "scale", "seed", context=Context.SAMPLER,
                      doc="student_t(df, mean, scale, seed = N)"),
    "bootstrap": _sig(1, 1, "block", "seed", context=Context.DATA,
                      doc="bootstrap(series, block = N, seed = N)"),
    # uncertainty sets (compiled by the saddle-point backend)
    "box": _sig(0, 2, "lo", "hi", context=Context.UNCERTAINTY, doc="box(lo, hi)"),
    "ball": _sig(1, 2, "radius", "norm", context=Context.UNCERTAINTY, words=("norm",),
                 doc="ball(center, radius, norm = 1|2|inf)"),
    "ellipsoid": _sig(1, 2, "shape", "covariance", "precision", "radius",
                      context=Context.UNCERTAINTY,
                      doc="ellipsoid(center, covariance = S, radius = r)"),
    "budget": _sig(1, 3, "deviation", "gamma", context=Context.UNCERTAINTY,
                   doc="budget(center, deviation, gamma)"),
    "simplex": _sig(0, 1, "total", context=Context.UNCERTAINTY, doc="simplex(total)"),
}
