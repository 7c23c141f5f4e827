"""One class per uncertainty set (compiler/uncertainty/): the registry refuses a set that
misses a method, and a set added through that path (`normball`, a p-norm ball of any
order) solves on both backends to the optimum of a plain CVXPY formulation written here
(max over ||u - c||_p <= r of a'u = a'c + r ||a||_q, 1/p + 1/q = 1)."""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from saddle_testing import compile_text, first_error

from compiler.builtins import REGISTRY
from compiler.builtins.signatures import Context, Signature
from compiler.uncertainty import blocks, registry
from compiler.uncertainty import sets as sets_package
from compiler.uncertainty.base import StandardSet, UncertaintySet
from compiler.uncertainty.sets.normball import NormBall

TOL = 1e-5
MU = np.array([0.06, 0.08, 0.05, 0.07])
CENTER = np.array([0.02, 0.03, 0.01, 0.025])
LABELS = ["a", "b", "c", "d"]
DATA = ('set asset = ["a", "b", "c", "d"]\n'
        "param mu[asset] = [0.06, 0.08, 0.05, 0.07]\n"
        "param c[asset] = [0.02, 0.03, 0.01, 0.025]\n"
        "variable w[asset] >= 0 <= 0.6\n")


# ---- the registry ----

def abstract_methods() -> set[str]:
    return set(UncertaintySet.__abstractmethods__) | set(StandardSet.__abstractmethods__)


def test_every_registered_set_provides_every_method() -> None:
    assert len(abstract_methods()) >= 7  # variable, support, argmax, ... and parse
    for cls in registry.ALL:
        assert not inspect.isabstract(cls), cls
        for name in abstract_methods() - ({"parse"} if not issubclass(cls, StandardSet)
                                          else set()):
            method = inspect.getattr_static(cls, name)
            assert not getattr(method, "__isabstractmethod__", False), (cls, name)
        assert cls.doc.strip(), cls


def test_the_registry_holds_every_kind_of_set() -> None:
    assert set(registry.NAMED) >= {"box", "ball", "ellipsoid", "budget", "simplex",
                                   "normball"}
    assert {blocks.PolyhedronSet, blocks.ConvexBlock, blocks.PsdBlock} <= set(registry.ALL)
    assert all(cls in registry.ALL for cls in registry.NAMED.values())


def test_each_named_set_is_a_builtin_name_resolve_knows() -> None:
    """The builtin records of the sets are made from the classes: same signature, and
    every builtin used after `in` has a class."""
    after_in = {name for name, b in REGISTRY.items()
                if b.signature.context is Context.UNCERTAINTY}
    assert after_in == set(registry.NAMED)
    for name, cls in registry.NAMED.items():
        assert REGISTRY[name].signature == cls.signature
        assert REGISTRY[name].doc == cls.doc


@dataclass(eq=False)
class Hexagon(StandardSet):
    """A set written the obvious way (a copy of box's methods) but without its numeric
    support function."""

    lo: np.ndarray
    hi: np.ndarray

    name: ClassVar[str] = "hexagon"
    doc: ClassVar[str] = "a set that forgot a method"
    signature: ClassVar[Signature] = Signature(0, 2, frozenset({"lo", "hi"}),
                                               Context.UNCERTAINTY, doc="hexagon(lo, hi)")

    @classmethod
    def parse(cls, args: Any) -> Hexagon:
        return cls(args.symbol, args.shape, args.definition, args.over_u(0, "lo"),
                   args.over_u(1, "hi"))

    def variable(self, make: Any) -> tuple[Any, Any, list[Any]]:
        u = make(self.shape, name=self.symbol.name)
        return u, u, [u >= self.lo, u <= self.hi]

    def center(self) -> np.ndarray:
        return np.asarray((self.lo + self.hi) / 2)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return self.flat(self.lo), self.flat(self.hi)

    def support(self, a: Any) -> tuple[Any, list[Any]]:
        mid, half = self.flat(self.center()), self.flat((self.hi - self.lo) / 2)
        return a @ mid + cp.abs(a) @ half, []

    def argmax(self, a: np.ndarray) -> np.ndarray:
        return np.where(a >= 0, self.flat(self.hi), self.flat(self.lo))


def test_a_set_missing_a_method_is_refused_when_registered() -> None:
    with pytest.raises(registry.IncompleteSet, match="Hexagon does not implement "
                       "support_value"):
        registry.register(Hexagon)  # type: ignore[type-abstract]
    assert "hexagon" not in registry.NAMED and Hexagon not in registry.ALL
    with pytest.raises(TypeError, match="abstract method"):
        Hexagon(None, (), None, np.zeros(1), np.ones(1))  # type: ignore[abstract, arg-type]


def test_a_set_without_its_name_or_signature_is_refused() -> None:
    class Nameless(NormBall):
        name: ClassVar[str] = ""

    class Unsigned(NormBall):
        name: ClassVar[str] = "unsigned"
        signature: ClassVar[Signature] = Signature(0, 1)  # the MATH context

    with pytest.raises(registry.IncompleteSet, match="no DSL name"):
        registry.register(Nameless)
    with pytest.raises(registry.IncompleteSet, match="context=Context.UNCERTAINTY"):
        registry.register(Unsigned)
    with pytest.raises(registry.IncompleteSet, match="two uncertainty sets are named"):
        registry.register(type("Twin", (NormBall,), {}))  # named normball too


INCOMPLETE_MODULE = '''
from dataclasses import dataclass
from typing import ClassVar

from compiler.builtins.signatures import Context, Signature
from compiler.uncertainty.base import StandardSet


@dataclass(eq=False)
class Octagon(StandardSet):
    name: ClassVar[str] = "octagon"
    doc: ClassVar[str] = "parse and the variable only"
    signature: ClassVar[Signature] = Signature(0, 0, context=Context.UNCERTAINTY,
                                               doc="octagon()")

    @classmethod
    def parse(cls, args):
        return cls(args.symbol, args.shape, args.definition)

    def variable(self, make):
        u = make(self.shape)
        return u, u, []
'''


def test_a_set_module_dropped_in_the_package_is_checked_at_import(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The path a new set takes: a module in compiler/uncertainty/sets/, found by the
    registry at import. One that misses methods stops the import with their names, before
    any model could reach a backend with it (never a raw ValueError on the counterpart
    or an unconstrained adversary, "infeasible", on dsp)."""
    (tmp_path / "octagon_set.py").write_text(INCOMPLETE_MODULE)
    monkeypatch.setattr(sets_package, "__path__", [str(tmp_path)])
    monkeypatch.delitem(sys.modules, f"{sets_package.__name__}.octagon_set", raising=False)
    try:
        with pytest.raises(registry.IncompleteSet) as info:
            registry._discover()
    finally:
        sys.modules.pop(f"{sets_package.__name__}.octagon_set", None)
    message = str(info.value)
    for method in ("argmax", "bounds", "center", "support", "support_value"):
        assert method in message
    assert "octagon" not in registry.NAMED


# ---- normball: a set added through the path ----

def dual(p: float) -> float:
    return np.inf if p == 1 else p / (p - 1)


def in_ball(u: np.ndarray, center: np.ndarray, radius: float, p: float) -> bool:
    return float(np.linalg.norm(u - center, p)) <= radius * (1 + 1e-4) + 1e-6


def vector(value: Any) -> np.ndarray:
    assert isinstance(value, pd.Series), value
    assert list(value.index) == LABELS
    return np.asarray(value, dtype=float)


@pytest.mark.parametrize("backend", ["counterpart", "dsp"])
@pytest.mark.parametrize("p", [3.0, 1.5])
def test_normball_objective_matches_the_dual_norm(backend: str, p: float) -> None:
    """max over w of min over the p-ball of w'u = mu'w - r ||w||_q."""
    radius = 0.04
    text = DATA + (f"uncertain u[asset] in normball(mu, {radius}, p = {p})\n"
                   "maximize ret: w @ u\nsubject to\n    full: sum(w) == 1\n")
    model = compile_text(text, backend=backend)
    result = model.solve()
    assert result.status == "optimal", result.notes
    w = cp.Variable(4)
    reference = cp.Problem(cp.Maximize(MU @ w - radius * cp.norm(w, dual(p))),
                           [w >= 0, w <= 0.6, cp.sum(w) == 1])
    reference.solve(solver="CLARABEL")
    assert result.objective == pytest.approx(reference.value, abs=TOL)
    chosen = np.asarray(result.values["w"], dtype=float)
    u = vector(result.worst_case["objective"]["u"])
    assert in_ball(u, MU, radius, p)
    assert float(chosen @ u) == pytest.approx(result.objective, abs=TOL)  # it attains it
    assert result.certified


@pytest.mark.parametrize("backend", ["counterpart", "dsp"])
def test_normball_robust_constraint_matches_the_dual_norm(backend: str) -> None:
    """w'u <= 0.06 for every ||u - c||_4 <= 0.05: c'w + 0.05 ||w||_{4/3} <= 0.06."""
    p, radius, limit = 4.0, 0.05, 0.06
    text = DATA + (f"uncertain u[asset] in normball(c, {radius}, {p})\n"
                   "maximize ret: mu @ w\nsubject to\n    full: sum(w) == 1\n"
                   f"    risk: w @ u <= {limit}\n")
    result = compile_text(text, backend=backend).solve()
    assert result.status == "optimal", result.notes
    w = cp.Variable(4)
    reference = cp.Problem(cp.Maximize(MU @ w), [
        w >= 0, w <= 0.6, cp.sum(w) == 1,
        CENTER @ w + radius * cp.norm(w, dual(p)) <= limit])
    reference.solve(solver="CLARABEL")
    assert reference.status == "optimal"
    assert result.objective == pytest.approx(reference.value, abs=TOL)
    chosen = np.asarray(result.values["w"], dtype=float)
    u = vector(result.worst_case["risk"]["u"])
    assert in_ball(u, CENTER, radius, p)
    bound = CENTER @ chosen + radius * np.linalg.norm(chosen, dual(p))
    assert float(chosen @ u) == pytest.approx(bound, abs=TOL)
    assert bound == pytest.approx(limit, abs=TOL)  # the row binds at the optimum
    assert result.certificate["risk"].certified
    assert result.certificate["risk"].method == "closed form"


@pytest.mark.parametrize("p", [1.0, 1.3, 2.0, 3.0, 7.5])
def test_normball_worst_point_attains_the_dual_norm(p: float) -> None:
    """argmax lies in the ball and reaches a'c + r ||a||_q (checked against a CVXPY
    maximization over the ball)."""
    rng = np.random.default_rng(int(p * 10))
    radius = 0.7
    ball = NormBall(None, (4,), None, CENTER, radius, p)  # type: ignore[arg-type]
    a = rng.normal(size=(3, 4))
    for row in a:
        u = cp.Variable(4)
        problem = cp.Problem(cp.Maximize(row @ u), [cp.norm(u - CENTER, p) <= radius])
        problem.solve(solver="CLARABEL")
        point = ball.argmax(row)
        assert in_ball(point, CENTER, radius, p)
        assert float(row @ point) == pytest.approx(problem.value, abs=1e-5)
    expected = a @ CENTER + radius * np.linalg.norm(a, dual(p), axis=1)
    np.testing.assert_allclose(ball.support_value(a), expected, atol=1e-9)


def test_normball_validates_its_arguments() -> None:
    base = DATA + "uncertain u[asset] in {set}\nmaximize ret: w @ u\nsubject to\n" \
        "    full: sum(w) == 1\n"
    order = first_error(base.format(set="normball(mu, 0.1, p = 0.5)"))
    assert order.code == "E410" and "p = 0.5 is not a norm's order" in order.message
    negative = first_error(base.format(set="normball(mu, -0.1, 3)"))
    assert negative.code == "E410" and "radius is negative" in negative.message
    missing = first_error(base.format(set="normball(mu, 0.1)"))
    assert missing.code == "E410" and "needs 'p'" in missing.message
