"""Expression families: affine vectors over the set `s`, affine scalars, and convex and
concave scalar terms, each drawn as Saddle text with its own cvxpy construction.

Saddle's semantics the direct side writes out itself: elementwise ops align by set name,
`@` sums over the shared set, `outer(a, q)` and `a[s] * q[t]` (unrelated sets named) are
the outer product [s, t], a range set's name is its labels as numbers, `diff` is 0 at the
first label.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
from hypothesis import strategies as st

from fuzz.spec import NICE, Expr, Spec, num


class Picker:
    """Hypothesis draws, named for what the generator asks."""

    def __init__(self, draw):
        self.draw = draw

    def one(self, options):
        return self.draw(st.sampled_from(list(options)))

    def chance(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) < percent

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def values(self, shape, pool=NICE) -> np.ndarray:
        count = int(np.prod(shape))
        return np.array([self.one(pool) for _ in range(count)], dtype=float).reshape(shape)


def outer(a, b):
    """a[s] * b[t] -> [s, t]: Saddle broadcasts the set each side lacks."""
    return cp.vstack([a[i] * b for i in range(a.shape[0])])


class Terms:
    def __init__(self, pick: Picker, spec: Spec, features: set[str]):
        self.pick, self.spec, self.features = pick, spec, features
        self.vec_lets: list[Expr] = []
        self.scalar_lets: list[Expr] = []

    def has(self, feature: str) -> bool:
        return feature in self.features

    def n(self, s: str = "s") -> int:
        return len(self.spec.sets[s])

    def coef(self) -> str:
        return num(self.pick.one([0.5, 1.5, 2.0, -1.0, -0.5, 3.0, 0.25]))

    # ---- affine vectors over s ----
    def vec(self, depth: int = 2) -> Expr:
        kinds = ["w"]
        if self.vec_lets:
            kinds += ["let", "let"]
        if depth > 0:
            kinds += ["scale", "add", "sub", "param_add", "param_mul", "neg", "div"]
            if self.has("matmul"):
                kinds += ["matmul", "sum_over"]
            if self.has("range_set") and self.spec.sets["s"][0] == 1:
                kinds.append("setnum")
            if "x" in self.spec.variables:
                kinds.append("x_times_param")
            if self.has("diff"):
                kinds.append("diff")
        kind = self.pick.one(kinds)
        n = self.n()
        if kind == "w":
            return Expr("w", lambda env: env["w"], ("s",))
        if kind == "let":
            return self.pick.one(self.vec_lets)
        if kind in ("scale", "neg", "div"):
            a = self.vec(depth - 1)
            if kind == "neg":
                return Expr(f"-{a.text}", lambda env: -a.build(env), ("s",))
            if kind == "div":
                c = self.pick.one([2.0, 4.0, 0.5])
                return Expr(f"({a.text} / {num(c)})", lambda env: a.build(env) / c, ("s",))
            c = self.coef()
            return Expr(f"({c} * {a.text})", lambda env: float(c) * a.build(env), ("s",))
        if kind in ("add", "sub"):
            a, b = self.vec(depth - 1), self.vec(depth - 1)
            op = "+" if kind == "add" else "-"
            sign = 1.0 if kind == "add" else -1.0
            return Expr(f"({a.text} {op} {b.text})",
                        lambda env: a.build(env) + sign * b.build(env), ("s",))
        if kind == "param_add":
            a, p = self.vec(depth - 1), self.spec.param(self.pick.values(n), ("s",))
            return Expr(f"({a.text} + {p.text})", lambda env: a.build(env) + p.build(env),
                        ("s",))
        if kind == "param_mul":
            a, p = self.vec(depth - 1), self.spec.param(self.pick.values(n), ("s",))
            return Expr(f"({p.text} * {a.text})",
                        lambda env: cp.multiply(p.build(env), a.build(env)), ("s",))
        if kind == "matmul":
            m = self.spec.param(self.pick.values((n, self.n("t"))), ("s", "t"), prefix="M")
            return Expr(f"({m.text} @ v)", lambda env: m.build(env) @ env["v"], ("s",))
        if kind == "sum_over":  # M[s, t] * v[t] is [s, t]; summed along t
            m = self.spec.param(self.pick.values((n, self.n("t"))), ("s", "t"), prefix="M")
            return Expr(f"sum({m.text} * v, over = t)",
                        lambda env: cp.sum(cp.multiply(m.build(env), cp.vstack(
                            [env["v"]] * n)), axis=1), ("s",))
        if kind == "setnum":
            a = self.vec(depth - 1)
            labels = np.array(self.spec.sets["s"], dtype=float)
            return Expr(f"(s * {a.text})", lambda env: cp.multiply(labels, a.build(env)),
                        ("s",))
        if kind == "x_times_param":
            p = self.spec.param(self.pick.values(n), ("s",))
            return Expr(f"(x * {p.text})", lambda env: env["x"] * p.build(env), ("s",))
        a = self.vec(depth - 1)  # diff
        return Expr(f"diff({a.text}, over = s)",
                    lambda env: cp.hstack([0.0 * a.build(env)[0]] + [
                        a.build(env)[i] - a.build(env)[i - 1] for i in range(1, n)]),
                    ("s",))

    # ---- affine scalars ----
    def scalar(self, depth: int = 2) -> Expr:
        kinds = ["sum", "sum", "mean", "dot", "dot_right"]
        if "x" in self.spec.variables:
            kinds.append("x")
        if self.scalar_lets:
            kinds.append("let")
        if self.has("select"):
            kinds += ["select", "first", "last"]
        if self.has("broadcast"):
            kinds.append("broadcast_sum")
        if depth > 0:
            kinds += ["scale", "add"]
        kind = self.pick.one(kinds)
        n = self.n()
        if kind == "x":
            return Expr("x", lambda env: env["x"])
        if kind == "let":
            return self.pick.one(self.scalar_lets)
        if kind in ("scale", "add"):
            a = self.scalar(depth - 1)
            if kind == "scale":
                c = self.coef()
                return Expr(f"({c} * {a.text})", lambda env: float(c) * a.build(env))
            b = self.scalar(depth - 1)
            return Expr(f"({a.text} + {b.text})", lambda env: a.build(env) + b.build(env))
        a = self.vec(depth)
        if kind == "sum":
            return Expr(f"sum({a.text})", lambda env: cp.sum(a.build(env)))
        if kind == "mean":
            return Expr(f"mean({a.text})", lambda env: cp.sum(a.build(env)) / n)
        if kind in ("dot", "dot_right"):
            p = self.spec.param(self.pick.values(n), ("s",))
            text = f"({p.text} @ {a.text})" if kind == "dot" else f"({a.text} @ {p.text})"
            return Expr(text, lambda env: p.build(env) @ a.build(env))
        if kind in ("first", "last"):
            i = 0 if kind == "first" else n - 1
            return Expr(f"{kind}({a.text})", lambda env: a.build(env)[i])
        if kind == "select":
            named = [Expr("w", lambda env: env["w"], ("s",)), *self.vec_lets]
            target = self.pick.one(named)
            i = self.pick.integer(0, n - 1)
            label = self.spec.sets["s"][i]
            text = f'"{label}"' if isinstance(label, str) else str(label)
            return Expr(f"{target.text}[{text}]", lambda env: target.build(env)[i])
        q = self.spec.param(self.pick.values(self.n("t")), ("t",))  # broadcast_sum
        return Expr(f"sum({self.product(a, q)})",
                    lambda env: cp.sum(outer(a.build(env), q.build(env))))

    def product(self, a: Expr, q: Expr) -> str:
        """a[s] times q[t], their outer product: unrelated sets are named (or `outer`)."""
        if a.text == "w" or a.text in {e.text for e in self.vec_lets}:
            if self.pick.chance(50):
                return f"{a.text}[s] * {q.text}[t]"
        return f"outer({a.text}, {q.text})"

    def lets(self, count: int) -> None:
        """A chain of lets, each built from the ones before it."""
        for _ in range(count):
            name = self.spec.fresh("e")
            if self.pick.chance(70):
                value = self.vec(1)
                dims = "[s]" if self.pick.chance(50) else ""
                self.spec.lets.append(f"let {name}{dims} = {value.text}")
                self.vec_lets.append(Expr(name, value.build, ("s",)))
            else:
                value = self.scalar(1)
                self.spec.lets.append(f"let {name} = {value.text}")
                self.scalar_lets.append(Expr(name, value.build))
