"""A Hypothesis strategy for random well-typed Saddle models, each with the same problem
built directly in cvxpy (spec.py, terms.py, curvature.py, uncertainty.py,
robust_terms.py): `models(features)` draws a `Generated` (its text and its `Spec`).

KNOWN_BROKEN lists the features Saddle currently gets wrong, each with the finding in
/work/notes/fuzz_findings.md it refers to. The in-suite tests leave them out; flip one back
on (delete its entry) once the finding is fixed. benchmarks/fuzz.py runs them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

from fuzz import robust_terms
from fuzz.curvature import concave, convex
from fuzz.spec import NICE, POSITIVE, Constraint, Exact, Expr, Spec, Variable, num
from fuzz.terms import Picker, Terms
from fuzz.uncertainty import block, declare

# feature -> the finding (fuzz_findings.md) that keeps it out of the in-suite tests.
KNOWN_BROKEN: dict[str, str] = {}

FEATURES = {
    "lp": "abs pos neg max min norm1 norm_inf, linear constraints and chains",
    "qp": "sum_squares square ^2 quad_form and w @ P @ w (P over s and its alias)",
    "qp_constraint": "sum_squares, quad_form (and A @ P @ A) of a vector in constraints",
    "quad_matmul": "A @ P @ A, the quadratic form written with @, for an affine A",
    "socp": "norm2 sqrt",
    "exp": "exp log log_sum_exp (weighted too)",
    "inv_pos": "inv_pos of a shifted affine scalar",
    "cvar": "cvar(level, losses) over given scenarios",
    "lets": "chains of lets, indexed and scalar",
    "long_lets": "a chain of 30 to 300 lets",
    "matmul": "M[s, t] @ v[t] and sum(M * v, over = t)",
    "broadcast": "a value over s times one over t (their outer product), summed or normed",
    "select": "w[label], first, last",
    "range_set": "s as a range 1..n, and its name as numbers",
    "diff": "diff(A, over = s)",
    "scalar_var": "a scalar decision x",
    "zero_coef": "a term with coefficient 0",
    "data_domain": "inv_pos / log / sqrt of a param that may be 0 (then Saddle must refuse)",
    "exact": "abs(w) >= a and w == 0 or abs(w) >= a (brute-force branches)",
    "unbounded_mip": "a mixed-integer model may have a free decision (and be unbounded)",
    "integer_quad_form": "quad_form (and A @ P @ A) of an integer w",
    "integer": "an integer w (brute-force enumeration of its values)",
    "box": "uncertain in box(lo, hi), vector or scalar",
    "ball": "uncertain in ball(c, r, norm = 1|2|inf)",
    "ellipsoid": "uncertain in ellipsoid(c, shape|covariance|precision = M, radius = r)",
    "budget": "uncertain in budget(c, d, gamma)",
    "simplex": "uncertain in simplex(total)",
    "block": "an uncertain block of linear lines (a polyhedron: LP-dual counterpart)",
    "block_nonlinear": "a block with a norm1 line (the saddle-point backend)",
    "robust_nonlinear": "abs(A @ u), max(A * u), sum_squares(A + u) in constraints",
}
UNCERTAIN_SETS = ["box", "ball", "ellipsoid", "budget", "simplex", "block", "block_nonlinear"]

# A documented limit, not a bug: Saddle may refuse these features with a located SpecError
# of one of these codes (never an internal error).
MAY_REFUSE = {"robust_nonlinear": {"E402", "E412", "E413"}}

GROUPS = {  # the in-suite tiers, grown one at a time
    "lp": {"lp", "scalar_var"},
    "qp": {"lp", "qp", "qp_constraint", "quad_matmul"},
    "socp": {"lp", "qp", "qp_constraint", "socp", "inv_pos"},
    "exp": {"lp", "exp"},
    "structure": {"lp", "qp", "qp_constraint", "lets", "matmul", "broadcast", "select",
                  "range_set", "diff", "scalar_var", "zero_coef"},
    "cvar": {"lp", "cvar", "lets"},
    "exact": {"lp", "qp", "qp_constraint", "exact", "integer", "select", "scalar_var",
              "unbounded_mip", "integer_quad_form"},
    "robust": {"lp", "socp", "box", "ball", "ellipsoid", "budget", "simplex", "block",
               "lets"},
    "robust_dsp": {"lp", "block_nonlinear"},
    "robust_nonlinear": {"lp", "box", "ball", "ellipsoid", "budget", "robust_nonlinear"},
    "edge": {"lp", "data_domain", "long_lets", "zero_coef"},
}


def enabled(group: str) -> frozenset[str]:
    return frozenset(GROUPS[group] - set(KNOWN_BROKEN))


@dataclass
class Generated:
    text: str
    spec: Spec = field(repr=False)
    expect_error: bool = False      # the data is out of a function's domain

    @property
    def features(self) -> set[str]:
        return self.spec.features

    def _repr_pretty_(self, printer, cycle) -> None:  # Hypothesis prints the model's text
        printer.text(f"Generated(<<<\n{self.text}>>>)")


LABELS = [["a", "b", "c", "d"], ["5Y", "7Y", "10Y", "30Y"], ["us", "eu", "jp", "uk"]]


@st.composite
def models(draw, features: frozenset[str] = frozenset(GROUPS["lp"])) -> Generated:
    pick = Picker(draw)
    spec = Spec()
    feats = set(features)
    if "integer" in feats and not pick.chance(40):
        feats.discard("integer")
    if "exact" in feats and not pick.chance(60):
        feats.discard("exact")
    if feats & {"integer", "exact"}:  # mixed-integer: no open solver takes exponential
        feats -= {"exp", "block_nonlinear", "robust_nonlinear"}  # cones; DSP none at all
        if "unbounded_mip" not in feats:
            feats.add("bounded")
    terms = Terms(pick, spec, feats)
    _sets(pick, spec, feats)
    _variables(pick, spec, feats)
    uncertain = _uncertain(terms, feats)
    if "lets" in feats and pick.chance(60):
        terms.lets(pick.integer(1, 4))
        spec.features.add("lets")
    if "long_lets" in feats and pick.chance(30):
        _long_lets(terms, pick.integer(30, 300))
    expect_error = _objective(terms, uncertain, feats)
    _constraints(terms, uncertain, feats)
    if "exact" in feats:
        _exact(terms)
    return Generated(spec.text(), spec, expect_error)


def _sets(pick: Picker, spec: Spec, feats: set[str]) -> None:
    small = "exact" in feats or "integer" in feats
    n = pick.integer(2, 2 if {"exact", "integer"} <= feats else 3 if small else 4)
    style = pick.one(["names", "names", "numbers"] + (["range"] if "range_set" in feats
                                                       else []))
    if style == "range":
        spec.sets["s"] = list(range(1, n + 1))
        spec.decls.append(f"set s = 1..{n}")
    else:
        labels = pick.one(LABELS)[:n] if style == "names" else [2, 3, 5, 7][:n]
        spec.sets["s"] = labels
        spec.decls.append("set s = [" + ", ".join(
            f'"{v}"' if isinstance(v, str) else str(v) for v in labels) + "]")
    if feats & {"matmul", "broadcast"}:
        m = pick.integer(2, 3)
        spec.sets["t"] = [f"t{i}" for i in range(m)]
        spec.decls.append("set t = [" + ", ".join(f'"t{i}"' for i in range(m)) + "]")
    spec.decls.append("# end of sets")


def _bounds(pick: Picker, finite: bool) -> tuple[float | None, float | None]:
    lo = pick.one([-2.0, -1.0, -0.5, 0.0])
    hi = pick.one([0.5, 1.0, 2.0, 3.0])
    style = "both" if finite else pick.one(["both"] * 6 + ["lo"] * 2 + ["hi", "none"])
    return (lo if style in ("both", "lo") else None, hi if style in ("both", "hi") else None)


def _variables(pick: Picker, spec: Spec, feats: set[str]) -> None:
    if "integer" in feats:
        lo = pick.one([-1.0, 0.0])
        spec.variables["w"] = Variable("w", ("s",), lo, lo + pick.one([1.0, 2.0]), True)
        spec.features.add("integer")
    else:
        lo, hi = _bounds(pick, bool(feats & {"exact", "bounded"}))
        spec.variables["w"] = Variable("w", ("s",), lo, hi)
    if "t" in spec.sets:
        lo, hi = _bounds(pick, True)
        spec.variables["v"] = Variable("v", ("t",), lo, hi)
    if "scalar_var" in feats and pick.chance(50):
        lo, hi = _bounds(pick, "bounded" in feats)
        spec.variables["x"] = Variable("x", (), lo, hi)


def _uncertain(terms: Terms, feats: set[str]) -> list:
    kinds = [k for k in UNCERTAIN_SETS if k in feats]
    out = []
    for _ in range(terms.pick.integer(1, 2) if kinds else 0):
        kind = terms.pick.one(kinds)
        if kind.startswith("block"):
            out.append(block(terms, kind == "block_nonlinear"))
        else:
            vector = kind not in ("box", "ball") or terms.pick.chance(70)
            out.append(declare(terms, kind, vector))
        terms.spec.features.add(kind)
    return out


def _long_lets(terms: Terms, count: int) -> None:
    """e_0 = w, e_k = e_{k-1} + p_k: a long chain ending in a let the objective may use."""
    previous = Expr("w", lambda env: env["w"], ("s",))
    for _ in range(count):
        name = terms.spec.fresh("chain")
        step = terms.pick.one([0.0, 0.25, -0.25])
        terms.spec.lets.append(f"let {name} = {previous.text} + {num(step)}")
        previous = Expr(name, lambda env, p=previous, c=step: p.build(env) + c, ("s",))
    terms.vec_lets.append(previous)
    terms.spec.features.add("long_lets")


def _objective(terms: Terms, uncertain: list, feats: set[str]) -> bool:
    pick, spec = terms.pick, terms.spec
    sense = spec.sense = pick.one(["minimize", "maximize"])
    parts: list[tuple[float, Expr]] = []
    if pick.chance(80):
        parts.append((1.0, terms.scalar(2)))
    for _ in range(pick.integer(1, 3)):
        coef = pick.one(POSITIVE + ([0.0] if "zero_coef" in feats else []))
        if pick.chance(60):
            parts.append((coef if sense == "minimize" else -coef, convex(terms)))
        else:
            parts.append((-coef if sense == "minimize" else coef, concave(terms)))
    for unc in uncertain:
        if pick.chance(60):
            parts.append((1.0, robust_terms.objective_term(terms, unc, sense)))
            unc.used = True
    expect_error = False
    if "data_domain" in feats and pick.chance(50):
        value = pick.one([0.0, 0.5, 2.0])
        fn = pick.one(["inv_pos", "log", "sqrt"])
        coef = pick.one([0.0, 1.0])
        p = spec.param(value)
        with np.errstate(divide="ignore", invalid="ignore"):
            data = {"inv_pos": lambda v: np.float64(1.0) / v, "log": np.log,
                    "sqrt": np.sqrt}[fn](np.float64(value))
        expect_error = not np.isfinite(data)
        parts.append((coef, Expr(f"{fn}({p.text})", lambda env, d=float(data): d)))
        spec.features.add("data_domain")
    spec.set_objective([(coef, pick.chance(50), expr) for coef, expr in parts])
    return expect_error


def _constraints(terms: Terms, uncertain: list, feats: set[str]) -> None:
    pick, spec = terms.pick, terms.spec
    for _ in range(pick.integer(0, 3)):
        name = spec.fresh("c")
        kind = pick.one(["convex_le", "convex_le", "concave_ge", "vec_le", "chain", "eq",
                         "reversed"])
        if kind in ("convex_le", "reversed"):
            f, b = convex(terms, constraint=True), pick.one(POSITIVE)
            text = f"{f.text} <= {num(b)}" if kind == "convex_le" else \
                f"{num(b)} >= {f.text}"
            spec.constraints[name] = Constraint(text, lambda env, f=f, b=b: [f.build(env) <= b])
        elif kind == "concave_ge":
            f, b = concave(terms, constraint=True), pick.one(NICE)
            spec.constraints[name] = Constraint(f"{f.text} >= {num(b)}",
                                                lambda env, f=f, b=b: [f.build(env) >= b])
        elif kind == "vec_le":
            a = terms.vec(2)
            p = spec.param(pick.values(terms.n(), POSITIVE), ("s",))
            spec.constraints[name] = Constraint(f"{a.text} <= {p.text}", lambda env, a=a, p=p: [
                a.build(env) <= p.build(env)])
        elif kind == "chain":
            a, lo = terms.vec(2), pick.one([-2.0, -1.0, -0.5, 0.0])
            hi = lo + pick.one([0.0, 0.5, 1.0, 3.0])
            spec.constraints[name] = Constraint(
                f"{num(lo)} <= {a.text} <= {num(hi)}",
                lambda env, a=a, lo=lo, hi=hi: [lo <= a.build(env), a.build(env) <= hi])
        else:
            a, c = terms.scalar(2), pick.one(NICE)
            spec.constraints[name] = Constraint(f"{a.text} == {num(c)}",
                                                lambda env, a=a, c=c: [a.build(env) == c])
    for unc in uncertain:
        if not getattr(unc, "used", False) or pick.chance(40):
            nonlinear = "robust_nonlinear" in feats and pick.chance(50)
            spec.constraints[spec.fresh("r")] = robust_terms.constraint(terms, unc, nonlinear)
            if nonlinear:
                spec.features.add("robust_nonlinear")


def _exact(terms: Terms) -> None:
    pick, spec = terms.pick, terms.spec
    a = pick.one([0.0, 0.25, 0.5, 1.0])
    with_zero = pick.chance(40)
    name = spec.fresh("ex")
    target = "w"
    if "x" in spec.variables and spec.variables["x"].lo is not None \
            and spec.variables["x"].hi is not None and pick.chance(30):
        target = "x"
    size = terms.n() if target == "w" else 1
    text = f"abs({target}) >= {num(a)}"
    if with_zero:
        text = f"{target} == 0 or {text}"
    spec.exact[name] = Exact(text, lambda env, t=target: env[t], size, a, with_zero)
    spec.features.add("exact")
