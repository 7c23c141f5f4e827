"""Uncertainty sets: what the adversary may choose, validated, whitened and dualized.

Definitions (u is the uncertain quantity, indexed by its declared sets, n elements):

* `box(lo, hi)`: lo <= u <= hi elementwise.
* `ball(center, radius, norm = 1|2|inf)`: ||u - center||_p <= radius (default p = 2).
* `ellipsoid(center, shape = A | covariance = S | precision = P, radius = r)`:
  {center + L z : ||z||_2 <= r} with L = A, or L L' = S, or L L' = P^-1 (r defaults to 1).
  The compiler always works with z (whitening): a precision of order 1e7 never reaches the
  solver.
* `budget(center, deviation, gamma)` (Bertsimas-Sim): u = center + deviation * z with
  ||z||_inf <= 1 and ||z||_1 <= gamma.
* `simplex` / `simplex(total)`: u >= 0, sum(u) == total (default 1).
* an indented block of constraints (and `>=`/`<=` bounds, flags) on u: any convex set; a
  block of linear lines is a polyhedron, dualized by LP (`polyhedral.py`).

`support(a)` is max over the set of a'u, the closed form each standard set's robust
counterpart uses; `argmax(a)` is a maximizer (the worst case reported).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np
from scipy import linalg

from compiler import ir, tensor
from compiler.evaluate import Evaluator
from compiler.symbols import Symbol
from dsl.errors import error


@dataclass
class Instance:
    """One copy of the adversary's variable: its primitive variables, u as an expression of
    them, and the constraints that keep it in its set."""

    symbol: Symbol
    primitive: cp.Variable
    expression: cp.Expression
    constraints: list[cp.Constraint]


@dataclass
class UncertaintySet:
    """A standard set with data evaluated (kind + arrays), or a block-defined set."""

    symbol: Symbol
    kind: str  # box, ball, ellipsoid, budget, simplex, polyhedron (linear block), block
    shape: tuple[int, ...]
    data: dict[str, Any] = field(default_factory=dict)
    definition: ir.UncertainDef | None = None

    @property
    def standard(self) -> bool:
        return self.kind != "block"

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1

    # ---- instances ----

    def instance(self, make: Callable[..., cp.Variable],
                 block_rows: Callable[[cp.Expression], list[cp.Constraint]]) -> Instance:
        """A fresh copy of u (`make` is cp.Variable or dsp.LocalVariable)."""
        d = self.data
        n = self.size
        name = self.symbol.name
        if self.kind == "box":
            u = make(self.shape, name=name)
            rows = [u >= d["lo"], u <= d["hi"]]
            return Instance(self.symbol, u, u, rows + block_rows(u))
        if self.kind == "ball":
            z = make(self.shape, name=f"{name}_deviation")
            u = d["center"] + z
            return Instance(self.symbol, z, u, [cp.norm(cp.vec(z, order="C"), d["p"])
                                                <= d["radius"]] + block_rows(u))
        if self.kind == "ellipsoid":
            z = make(n, name=f"{name}_whitened")
            u = d["center"] + cp.reshape(d["L"] @ z, self.shape, order="C") if self.shape \
                else d["center"] + d["L"][0] @ z
            return Instance(self.symbol, z, u, [cp.norm(z, 2) <= d["radius"]] + block_rows(u))
        if self.kind == "budget":
            z = make(self.shape, name=f"{name}_deviation")
            u = d["center"] + cp.multiply(d["deviation"], z) if self.shape else \
                d["center"] + d["deviation"] * z
            rows = [cp.abs(z) <= 1, cp.norm(cp.vec(z, order="C"), 1) <= d["gamma"]]
            return Instance(self.symbol, z, u, rows + block_rows(u))
        if self.kind == "simplex":
            u = make(self.shape, name=name)
            return Instance(self.symbol, u, u, [u >= 0, cp.sum(u) == d["total"]]
                            + block_rows(u))
        flags = self.definition.flags if self.definition is not None else frozenset()
        u = make(self.shape, name=name, PSD="psd" in flags, symmetric="symmetric" in flags,
                 nonneg="nonneg" in flags, nonpos="nonpos" in flags)
        return Instance(self.symbol, u, u, block_rows(u))

    def center(self) -> np.ndarray | None:
        """The set's nominal point (None for a set written as constraints)."""
        d = self.data
        if self.kind == "box":
            return np.asarray((d["lo"] + d["hi"]) / 2)
        if self.kind in ("ball", "ellipsoid", "budget"):
            return np.asarray(d["center"])
        if self.kind == "simplex":
            return np.full(self.shape, d["total"] / self.size)
        return None

    def bounds(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Each element's least and greatest value over the set (flattened), or None for a
        set written with nonlinear lines. A coefficient of u that is convex in the
        decisions needs u >= 0 (robust_forms.relaxed)."""
        d = self.data
        if self.kind == "box":
            return _flat(d["lo"], self.shape), _flat(d["hi"], self.shape)
        if self.kind == "simplex":
            return np.zeros(self.size), np.full(self.size, float(d["total"]))
        if self.kind == "polyhedron":
            extremes: tuple[np.ndarray, np.ndarray] = d["polyhedron"].extremes()
            return extremes
        if self.kind not in ("ball", "ellipsoid", "budget"):
            return None
        center = _flat(d["center"], self.shape)
        if self.kind == "ball":  # every p-norm ball reaches radius along a coordinate
            reach = np.full(self.size, float(d["radius"]))
        elif self.kind == "ellipsoid":
            reach = d["radius"] * np.linalg.norm(d["L"], axis=1)
        else:
            reach = _flat(d["deviation"], self.shape) * min(1.0, float(d["gamma"]))
        return center - reach, center + reach

    # ---- closed forms ----

    def support(self, a: Any) -> tuple[Any, list[cp.Constraint]]:
        """Row by row, max over the set of a_i'u: `a` is (rows, n) with u flattened in C
        order; returns a (rows,) expression and any auxiliary constraints it needs (the
        budget set's LP dual). Each row has its own worst case."""
        d = self.data
        rows = a.shape[0]
        if self.kind == "box":
            mid = _flat((d["lo"] + d["hi"]) / 2, self.shape)
            half = _flat((d["hi"] - d["lo"]) / 2, self.shape)
            return a @ mid + cp.abs(a) @ half, []
        center = _flat(d.get("center", 0.0), self.shape)
        if self.kind == "ball":
            duals: dict[int | str, int | str] = {1: "inf", 2: 2, "inf": 1}
            dual = duals[d["p"]]
            return a @ center + d["radius"] * cp.norm(a, dual, axis=1), []
        if self.kind == "ellipsoid":
            return a @ center + d["radius"] * cp.norm(a @ d["L"], 2, axis=1), []
        if self.kind == "budget":
            scaled = cp.multiply(a, _flat(d["deviation"], self.shape)[None, :])
            lam = cp.Variable(rows, nonneg=True)
            mu = cp.Variable((rows, self.size), nonneg=True)
            ones = np.ones((1, self.size))
            return (a @ center + d["gamma"] * lam + cp.sum(mu, axis=1),
                    [mu + cp.reshape(lam, (rows, 1), order="C") @ ones >= cp.abs(scaled)])
        if self.kind == "simplex":
            return d["total"] * cp.max(a, axis=1), []
        if self.kind == "polyhedron":  # a block of linear lines: LP duality (polyhedral.py)
            support: tuple[Any, list[cp.Constraint]] = d["polyhedron"].support(a)
            return support
        raise ValueError(f"no closed form for a {self.kind} set")

    def argmax(self, a: np.ndarray) -> np.ndarray:
        """A maximizer of a'u over the set (the adversary's worst case), flattened."""
        d = self.data
        if self.kind == "box":
            lo, hi = _flat(d["lo"], self.shape), _flat(d["hi"], self.shape)
            return np.where(a >= 0, hi, lo)
        if self.kind == "ball":
            c = _flat(d["center"], self.shape)
            if d["p"] == 2:
                norm = np.linalg.norm(a)
                return c + (d["radius"] * a / norm if norm > 0 else 0)
            if d["p"] == "inf":
                return c + d["radius"] * np.sign(a)
            k = int(np.argmax(np.abs(a)))
            step = np.zeros_like(a)
            step[k] = d["radius"] * np.sign(a[k])
            return c + step
        if self.kind == "ellipsoid":
            g = d["L"].T @ a
            norm = np.linalg.norm(g)
            z = d["radius"] * g / norm if norm > 0 else np.zeros_like(g)
            return _flat(d["center"], self.shape) + d["L"] @ z
        if self.kind == "budget":
            dev = _flat(d["deviation"], self.shape)
            gain = np.abs(dev * a)
            z = np.zeros_like(a)
            left = float(d["gamma"])
            for k in np.argsort(-gain):  # the largest gains first, up to the budget
                share = min(1.0, left)
                z[k] = share * np.sign(a[k])
                left -= share
                if left <= 0:
                    break
            return _flat(d["center"], self.shape) + dev * z
        if self.kind == "simplex":
            out = np.zeros_like(a)
            out[int(np.argmax(a))] = d["total"]
            return out
        if self.kind == "polyhedron":
            chosen: np.ndarray = d["polyhedron"].argmax(a)
            return chosen
        raise ValueError(f"no closed form for a {self.kind} set")


def _flat(value: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float), shape).reshape(-1)


def build_set(definition: ir.UncertainDef, evaluate: Evaluator) -> UncertaintySet:
    """Evaluate and check the set of an uncertain declaration.

    Raises:
        SpecError: E410 for a set that is empty, unbounded, or has data of the wrong shape.
    """
    symbol = definition.symbol
    index = symbol.index
    shape = evaluate.sizes(index)
    call = definition.set_expr
    if call is None:
        return UncertaintySet(symbol, "block", shape, definition=definition)
    structural = {"psd", "symmetric"} & definition.flags
    if structural:
        raise error("E410", f"'{sorted(structural)[0]}' on an uncertain quantity in a "
                    f"{getattr(call, 'func', 'standard')} set", definition.symbol.span,
                    "describe a matrix set with an indented block of constraints, e.g. "
                    "`uncertain S[a, a2] psd:` and `near: norm2(S - S0) <= r`")
    if not isinstance(call, ir.Call) or call.func not in BUILDERS:
        raise error("E410", "the set after 'in' must be box, ball, ellipsoid, budget or "
                    "simplex", call.span, "write e.g. `in box(lo, hi)`, or describe the set "
                    "with an indented block of constraints")
    data = BUILDERS[call.func](_Args(call, evaluate, symbol))
    return UncertaintySet(symbol, call.func, shape, data, definition)


class _Args:
    """The arguments of a set call, evaluated as data over the uncertain quantity's index."""

    def __init__(self, call: ir.Call, evaluate: Evaluator, symbol: Symbol):
        self.call, self.evaluate, self.symbol = call, evaluate, symbol

    def node(self, position: int, keyword: str) -> ir.Expr | None:
        if position < len(self.call.args):
            return self.call.args[position]
        return self.call.kwarg(keyword)

    def over_u(self, position: int, keyword: str, default: float | None = None) -> np.ndarray:
        node = self.node(position, keyword)
        if node is None:
            if default is None:
                raise error("E410", f"{self.call.func}(...) needs '{keyword}'", self.call.span,
                            f"give the {keyword} of the set")
            return np.full(self.evaluate.sizes(self.symbol.index), default)
        value = self.evaluate.constant(node, f"the set's {keyword}")
        index = self.evaluate.index(node)
        extra = [s for s in index if s not in self.symbol.index]
        if extra:
            raise error("E410", f"the {keyword} is indexed by '{extra[0].name}', which "
                        f"'{self.symbol.name}' is not", node.span,
                        f"index the {keyword} by the sets of '{self.symbol.name}'")
        sizes = self.evaluate.sizes(self.symbol.index)
        return np.array(tensor.broadcast(value, index, self.symbol.index, sizes), dtype=float)

    def scalar(self, position: int, keyword: str, default: float | None = None) -> float:
        node = self.node(position, keyword)
        if node is None:
            if default is None:
                raise error("E410", f"{self.call.func}(...) needs '{keyword}'", self.call.span,
                            f"give the {keyword} of the set")
            return default
        value = self.evaluate.constant(node, f"the set's {keyword}")
        if value.shape:
            raise error("E410", f"the {keyword} must be a number", node.span,
                        f"give one {keyword} for the whole set")
        return float(value)

    def matrix(self, keyword: str) -> tuple[np.ndarray, ir.Expr] | None:
        node = self.call.kwarg(keyword)
        if node is None:
            return None
        value = self.evaluate.constant(node, f"the {keyword} matrix")
        index = self.evaluate.index(node)
        u_index = self.symbol.index
        if len(u_index) != 1 or len(index) != 2 or u_index[0] not in index or \
                index[0].root is not index[1].root:
            raise error("E410", f"the {keyword} matrix must be indexed by "
                        f"'{self.symbol.name}''s set and its alias", node.span,
                        "declare it as `param M[S, S2]` with `set S2 = S`, where "
                        f"'{self.symbol.name}' is indexed by [S]")
        other = index[1] if index[0] is u_index[0] else index[0]
        return np.asarray(tensor.align(value, index, (u_index[0], other)), dtype=float), node


def _box(args: _Args) -> dict[str, Any]:
    lo, hi = args.over_u(0, "lo"), args.over_u(1, "hi")
    if (lo > hi).any():
        raise error("E410", "the box is empty: some lo > hi", args.call.span,
                    "make every lower bound at most its upper bound")
    return {"lo": lo, "hi": hi}


def _ball(args: _Args) -> dict[str, Any]:
    norm = args.call.kwarg("norm")
    p: int | str = 2
    if norm is not None:
        value = norm.word if isinstance(norm, ir.Word) else str(int(args.scalar(99, "norm")))
        known: dict[str, int | str] = {"inf": "inf", "1": 1, "2": 2}
        if value not in known:
            raise error("E410", f"norm = {value} is not supported", norm.span,
                        "use norm = 1, norm = 2 or norm = inf")
        p = known[value]
    radius = args.scalar(1, "radius")
    if radius < 0:
        raise error("E410", "the ball's radius is negative", args.call.span,
                    "give a radius >= 0")
    return {"center": args.over_u(0, "center"), "radius": radius, "p": p}


def _ellipsoid(args: _Args) -> dict[str, Any]:
    center = args.over_u(0, "center")
    radius = args.scalar(1, "radius", 1.0)
    if radius < 0:
        raise error("E410", "the ellipsoid's radius is negative", args.call.span,
                    "give a radius >= 0")
    given = [(k, m) for k in ("shape", "covariance", "precision")
             if (m := args.matrix(k)) is not None]
    if len(given) != 1:
        raise error("E410", "an ellipsoid needs exactly one of shape, covariance, precision",
                    args.call.span, "e.g. ellipsoid(mean, covariance = cov, radius = 2)")
    kind, (matrix, node) = given[0]
    if kind == "shape":
        return {"center": center, "radius": radius, "L": matrix}
    symmetric = (matrix + matrix.T) / 2
    try:
        # Cholesky first: it proves definiteness, and its triangular factor keeps the
        # solver's matrices half as dense as an eigenvector factor (fewer iterations too).
        factor = np.linalg.cholesky(symmetric)
    except np.linalg.LinAlgError:
        factor = None
    if factor is not None:
        if kind == "covariance":
            return {"center": center, "radius": radius, "L": factor}
        # P = R R' gives P^-1 = R'^-1 R^-1, so L = R'^-1 (upper triangular)
        inverse = linalg.solve_triangular(factor, np.eye(len(factor)), lower=True)
        return {"center": center, "radius": radius, "L": inverse.T}
    values, vectors = np.linalg.eigh(symmetric)
    scale = max(1.0, float(np.abs(values).max()))
    if values.min() < -1e-9 * scale:
        raise error("E410", f"the {kind} matrix is not positive semidefinite (smallest "
                    f"eigenvalue {values.min():.3g})", node.span,
                    f"give a {kind} matrix that is symmetric positive semidefinite")
    if kind == "covariance":
        return {"center": center, "radius": radius,
                "L": vectors * np.sqrt(np.clip(values, 0, None))}
    if values.min() <= 1e-12 * scale:
        raise error("E410", "the precision matrix is singular: the ellipsoid is unbounded",
                    node.span, "give a positive definite precision, or a covariance")
    return {"center": center, "radius": radius, "L": vectors / np.sqrt(values)}


def _budget(args: _Args) -> dict[str, Any]:
    deviation, gamma = args.over_u(1, "deviation"), args.scalar(2, "gamma")
    if (deviation < 0).any() or gamma < 0:
        raise error("E410", "a budget set needs deviations >= 0 and gamma >= 0", args.call.span,
                    "give nonnegative deviations and budget")
    return {"center": args.over_u(0, "center"), "deviation": deviation, "gamma": gamma}


def _simplex(args: _Args) -> dict[str, Any]:
    total = args.scalar(0, "total", 1.0)
    if total < 0:
        raise error("E410", "a simplex needs total >= 0", args.call.span, "e.g. simplex(1)")
    return {"total": total}


BUILDERS: dict[str, Callable[[_Args], dict[str, Any]]] = {
    "box": _box, "ball": _ball, "ellipsoid": _ellipsoid, "budget": _budget,
    "simplex": _simplex,
}
