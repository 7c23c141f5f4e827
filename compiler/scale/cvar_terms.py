"""The scenario CVaR terms of a cvxpy problem, read as `losses = sum_i c_i * A_i @ u_i(x) + d`.

`cp.cvar(losses, level)` is `sum_largest(losses, k) / k` with `k = (1 - level) * m`. A term
qualifies for cutting planes when its losses are a sum of (constant matrix) @ (small affine
expression) pieces: the m x p matrices stay where the data put them (no copy), and the master
only sees the p-vectors u_i through auxiliary columns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np
from cvxpy.atoms.affine.add_expr import AddExpression
from cvxpy.atoms.affine.binary_operators import DivExpression, MulExpression, multiply
from cvxpy.atoms.affine.unary_operators import NegExpression
from cvxpy.atoms.sum_largest import sum_largest

# From this many scenarios a CVaR term is solved by cutting planes. Measured
# (docs/benchmarks.md): the cuts already beat the RU LP with HiGHS at n = 50 x 1,000
# (0.04 s against 0.15 s), and by 3-7x from 2,000 scenarios on (n = 5 x 2,000: 0.033 s
# against 0.145 s; n = 50 x 3,000: 0.16 s against 0.47 s; n = 50 x 10,000: 1.5 s against 11 s);
# 2,500 keeps the shipped models (at most 2,000 scenarios) on the exact LP they had.
CUTS_FROM_SCENARIOS = 2_500
METHOD_VARIABLE = "SADDLE_CVAR_METHOD"  # auto (default), lp, cuts, generation
# Kelley's cuts alone need more rounds as the decisions' dimension grows; from this many
# inner columns the master also takes the tail scenarios' RU rows (scenario generation)...
GENERATION_FROM_WIDTH = 20
# ...while the tail holds at most this many scenarios: the restricted RU LP has about that
# many dense rows. Measured at n = 50: generation 1.2 s against 3.4 s for the cuts at 10,000
# scenarios (k = 500), 4.4 s against 4.7-6.8 s at 20,000, 20 s against 4.7 s at 40,000
GENERATION_UP_TO_TAIL = 1_000
# in-out stabilization of the cuts from this many inner columns (measured: n = 20 x 100k
# took 690 rounds plain, 281 with 0.8; at n = 5 the second evaluation costs what it saves);
# with the cuts alone 0.9 (n = 50 x 100,000: 860 rounds against 1,180 with 0.8)
STABILIZE_FROM_WIDTH, STABILIZE, CUTS_STABILIZE = 10, 0.8, 0.9
THRESHOLD_VARIABLE = "SADDLE_CVAR_CUTS_FROM"  # a scenario count overriding the threshold
MAX_PIECE_WIDTH = 20_000  # a piece's inner vector becomes master columns: keep it small


@dataclass
class Piece:
    """`scale * matrix @ inner` with `matrix` a constant m x p array (dense or sparse)."""

    matrix: Any
    scale: float
    inner: cp.Expression


@dataclass
class TailTerm:
    """One `sum_largest(losses, k)` atom whose losses are affine in the decisions."""

    atom: sum_largest
    k: float
    scenarios: int
    pieces: list[Piece]
    constant: np.ndarray  # d, shape (m,) or () broadcast

    def losses(self, inners: list[np.ndarray]) -> np.ndarray:
        """L = sum scale * A @ u + d, one pass over each A (the scale goes into u); the
        first product is the result, the rest are added in place (no m-vector copies)."""
        total: np.ndarray | None = None
        for piece, value in zip(self.pieces, inners, strict=True):
            part = np.asarray(piece.matrix @ (piece.scale * value), dtype=float).ravel()
            if total is None:
                total = part if part.flags.owndata else part.copy()
            else:
                total += part
        if total is None:  # read_term keeps only terms with a piece
            total = np.zeros(self.scenarios)
        if self.constant.ndim or float(self.constant) != 0.0:
            total += self.constant
        return total


@dataclass
class Plan:
    """What the solve does with the problem's CVaR terms, and why."""

    method: str  # "lp" (the RU LP), "cuts" (Kelley) or "generation" (cuts + tail rows)
    terms: list[TailTerm] = field(default_factory=list)
    reason: str = ""  # why the RU LP when a large term exists
    stabilize: float = 0.0
    band: bool = False  # band cuts in the endgame (compiler/scale/cvar_band.py)
    largest: int = 0  # scenarios of the largest CVaR term


METHODS = ("auto", "lp", "cuts", "generation")


def threshold() -> int:
    """The scenario count from which CVaR takes the cutting planes (ValueError for a
    setting that is not a whole number: a default in its place would be silent)."""
    text = os.environ.get(THRESHOLD_VARIABLE, "").strip()
    if not text:
        return CUTS_FROM_SCENARIOS
    if not text.isdigit():
        raise ValueError(f"{THRESHOLD_VARIABLE}={text!r} is not a whole number of scenarios: "
                         "give the scenario count from which a CVaR term is solved by "
                         f"cutting planes (e.g. {CUTS_FROM_SCENARIOS}), or unset it")
    return int(text)


def requested_method() -> str:
    """The CVaR method asked for in the environment (ValueError for an unknown one)."""
    method = os.environ.get(METHOD_VARIABLE, "").strip().lower() or "auto"
    if method not in METHODS:
        raise ValueError(f"{METHOD_VARIABLE}={method!r} is not a scenario CVaR method: use "
                         f"one of {', '.join(METHODS)} (or unset it)")
    return method


def tail_atoms(expression: Any) -> list[sum_largest]:
    """Every sum_largest atom in an expression, constraint or objective (each once)."""
    found: dict[int, sum_largest] = {}
    stack = [expression]
    while stack:
        node = stack.pop()
        if isinstance(node, sum_largest):
            found.setdefault(id(node), node)
            continue
        stack.extend(getattr(node, "args", ()))
    return list(found.values())


def places(lowered: Any, objective_name: str, atoms: list[Any]) -> str:
    """The model's names for where these CVaR atoms stand: each constraint that holds one,
    else the objective."""
    found: set[str] = set()
    for atom in atoms:
        names = [name for name, parts in lowered.parts.items()
                 if any(any(a is atom for a in tail_atoms(p.constraint))
                        for p in parts)]
        found.update(f"constraint '{n}'" for n in names)
        if not names:
            found.add(f"objective '{objective_name}'")
    return ", ".join(sorted(found))


def problem_atoms(problem: cp.Problem) -> list[sum_largest]:
    atoms: dict[int, sum_largest] = {}
    for part in [problem.objective, *problem.constraints]:
        for atom in tail_atoms(part):
            atoms.setdefault(id(atom), atom)
    return list(atoms.values())


def read_term(atom: sum_largest) -> TailTerm | None:
    """The atom's losses as matrix pieces, or None if they are not of that form."""
    losses = atom.args[0]
    if len(losses.shape) != 1 or not losses.is_affine():
        return None
    pieces: list[Piece] = []
    constant = np.zeros(())
    stack: list[tuple[Any, float]] = [(losses, 1.0)]
    while stack:
        node, scale = stack.pop()
        if node.is_constant():
            constant = constant + scale * np.asarray(node.value, dtype=float)
        elif isinstance(node, NegExpression):
            stack.append((node.args[0], -scale))
        elif isinstance(node, AddExpression):
            stack.extend((arg, scale) for arg in node.args)
        elif isinstance(node, DivExpression) and node.args[1].is_constant() and \
                node.args[1].size == 1:
            stack.append((node.args[0], scale / float(np.ravel(node.args[1].value)[0])))
        elif isinstance(node, multiply) and any(a.is_constant() and a.size == 1
                                                  for a in node.args):
            factor, other = (node.args if node.args[0].is_constant() and node.args[0].size == 1
                             else node.args[::-1])
            stack.append((other, scale * float(np.ravel(factor.value)[0])))
        elif type(node) is MulExpression and node.args[0].is_constant() and \
                len(node.args[0].shape) == 2 and len(node.args[1].shape) == 1 and \
                node.args[1].size <= MAX_PIECE_WIDTH:
            pieces.append(Piece(node.args[0].value, scale, node.args[1]))
        else:
            return None
    if not pieces:
        return None
    m = losses.shape[0]
    return TailTerm(atom, float(atom.k), m, pieces, np.broadcast_to(constant, (m,)).copy()
                    if constant.ndim else constant)


def plan(problem: cp.Problem, solver: str | None = None) -> Plan:
    """The RU LP or cutting planes for this problem's CVaR terms (see the module docstring)."""
    atoms = problem_atoms(problem)
    largest = max((a.args[0].size for a in atoms), default=0)
    method = requested_method()
    if not atoms or method == "lp" or (method == "auto" and largest < threshold()):
        return Plan("lp", largest=largest)
    if solver is not None and solver.upper() != "HIGHS":
        return Plan("lp", reason=f"the solver {solver.upper()} was asked for: the cutting "
                    "planes run on a HiGHS master", largest=largest)
    if type(problem) is not cp.Problem:
        return Plan("lp", reason="a saddle-point (robust) problem: its backend takes the RU "
                    "LP", largest=largest)
    terms = []
    for atom in atoms:
        term = read_term(atom)
        if term is None:
            return Plan("lp", reason="the losses are not (scenario matrix) @ (affine "
                        "expression of the decisions)", largest=largest)
        terms.append(term)
    width = max(sum(p.inner.size for p in t.pieces) for t in terms)
    tail = max(t.k for t in terms)
    if method == "auto":
        method = "generation" if width >= GENERATION_FROM_WIDTH and \
            tail <= GENERATION_UP_TO_TAIL else "cuts"
    share = STABILIZE if method == "generation" else CUTS_STABILIZE
    return Plan(method, terms=terms, largest=largest,
                stabilize=share if width >= STABILIZE_FROM_WIDTH else 0.0,
                band=method == "cuts")
