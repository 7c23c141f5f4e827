"""What a generated model is: its Saddle text, piece by piece, and its direct cvxpy
construction (closures over an `Env`), built side by side by the generator so that the
oracle never goes through Saddle's lowering."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np

# Data values: quarters from -3 to 3 print exactly and keep the problems well scaled.
NICE = [k / 4 for k in range(-12, 13)]
POSITIVE = [0.25, 0.5, 1.0, 1.5, 2.0, 3.0]


def num(x: float) -> str:
    """A number as Saddle text (negative numbers keep their sign: `-0.5`)."""
    x = float(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x)) if not (x == 0 and np.signbit(x)) else "-0"
    return repr(x)


def num_list(values: np.ndarray) -> str:
    values = np.asarray(values)
    if values.ndim == 1:
        return "[" + ", ".join(num(v) for v in values) + "]"
    return "[" + ", ".join(num_list(row) for row in values) + "]"


class Env:
    """The direct construction: one cvxpy variable per declared decision (integers are
    continuous here: the oracle fixes them to each value in turn), and the auxiliary
    constraints the closed forms add (a support function's multipliers)."""

    def __init__(self, spec: Spec):
        self.vars: dict[str, cp.Variable] = {}
        for var in spec.variables.values():
            shape = tuple(len(spec.sets[s]) for s in var.index)
            self.vars[var.name] = cp.Variable(shape, name=var.name)
        self.aux: list[Any] = []

    def __getitem__(self, name: str) -> cp.Variable:
        return self.vars[name]


Build = Callable[[Env], Any]


@dataclass(frozen=True)
class Expr:
    """A Saddle expression and the same value built directly. `index` names its sets in
    order (a matrix is [rows, columns]); `()` is a scalar."""
    text: str
    build: Build
    index: tuple[str, ...] = ()


@dataclass
class Variable:
    name: str
    index: tuple[str, ...]
    lo: float | None = None
    hi: float | None = None
    integer: bool = False

    def line(self) -> str:
        dims = f"[{', '.join(self.index)}]" if self.index else ""
        flags = " integer" if self.integer else ""
        lo = f" >= {num(self.lo)}" if self.lo is not None else ""
        hi = f" <= {num(self.hi)}" if self.hi is not None else ""
        return f"variable {self.name}{dims}{flags}{lo}{hi}"


@dataclass
class Constraint:
    text: str                               # the whole line after `name:`
    build: Callable[[Env], list]            # the direct constraints


@dataclass
class Exact:
    """`x` either side of `a` (`abs(x) >= a`), or also zero (`x == 0 or abs(x) >= a`):
    the oracle enumerates the branches of every element."""
    text: str
    target: Build                          # the decision, a cvxpy vector or scalar
    size: int
    a: float
    with_zero: bool

    def branches(self) -> list[list[str]]:
        sides = ["zero", "up", "down"] if self.with_zero else ["up", "down"]
        return [list(c) for c in itertools.product(sides, repeat=self.size)]


@dataclass
class Spec:
    sets: dict[str, list] = field(default_factory=dict)
    decls: list[str] = field(default_factory=list)         # sets, params, scenarios, uncertain
    params: dict[str, np.ndarray] = field(default_factory=dict)
    variables: dict[str, Variable] = field(default_factory=dict)
    lets: list[str] = field(default_factory=list)
    sense: str = "minimize"
    objective: Expr | None = None
    constraints: dict[str, Constraint] = field(default_factory=dict)
    exact: dict[str, Exact] = field(default_factory=dict)
    features: set[str] = field(default_factory=set)
    parts: list = field(default_factory=list)              # the objective's terms
    counter: itertools.count = field(default_factory=itertools.count)

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def size(self, index: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(len(self.sets[s]) for s in index)

    def param(self, values: Any, index: tuple[str, ...] = (), prefix: str = "p") -> Expr:
        """Declare `param pN[index] = [...]`; its Expr is the name."""
        name = self.fresh(prefix)
        values = np.asarray(values, dtype=float)
        dims = f"[{', '.join(index)}]" if index else ""
        text = num_list(values) if index else num(values)
        self.decls.append(f"param {name}{dims} = {text}")
        self.params[name] = values
        return Expr(name, lambda env, v=values: v, index)

    def set_objective(self, parts: list[tuple[float, bool, Expr]]) -> None:
        """The objective as a sum of coefficient * term (a zero coefficient written with
        either sign when `minus_zero`); the parts are kept for the shrinker."""
        self.parts = parts
        text = ""
        for coef, minus_zero, expr in parts:
            sign = "-" if coef < 0 or (coef == 0 and minus_zero and text) else "+"
            term = expr.text if abs(coef) == 1 else f"{num(abs(coef))} * ({expr.text})"
            text = term if not text and sign == "+" else f"{text} {sign} {term}".strip()
        self.objective = Expr(text, lambda env: sum(
            (c * e.build(env) for c, _, e in parts if c != 0), start=0.0 * env["w"][0]))

    def text(self, name: str = "fuzz") -> str:
        lines = [f'model {name} "generated by tests/fuzz"', *self.decls]
        lines += [v.line() for v in self.variables.values()]
        lines += self.lets
        assert self.objective is not None
        lines.append(f"{self.sense} obj: {self.objective.text}")
        rows = [f"    {n}: {c.text}" for n, c in self.constraints.items()]
        rows += [f"    {n}: {c.text}" for n, c in self.exact.items()]
        if rows:
            lines += ["subject to", *rows]
        return "\n".join(lines) + "\n"
