"""The worst cases over ambiguity sets, measured at a solution (`Result.ambiguity`).

Each `cvar(a, loss over P)` / `mean(loss over P)` is evaluated again with the decisions
fixed: the loss's c and W as numbers, then the worst case in closed form (no support;
moments) or as the Esfahani-Kuhn program over its multipliers alone (box support). The
solve's own value of the term can lie above it where the term is not binding (its
multipliers need only be feasible). For a Wasserstein ball without support the worst
distribution is built too: the tail scenarios (mass 1 - a; every scenario for a mean) each
move radius / (1 - a) along the unit vector that maximizes W'u in the ground norm, which
spends exactly the radius and raises the empirical value by the dual-norm bound.
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np

from compiler.lowering import tensor
from compiler.uncertainty.ambiguity import (
    AffineLoss,
    Moments,
    Term,
    Wasserstein,
    empirical,
    worst_case,
)


def _number(value: Any) -> Any:
    if tensor.is_expr(value):
        value = value.value
    return None if value is None else np.asarray(value, dtype=float)


def measure_terms(evaluator: Any) -> dict[str, dict[str, Any]]:
    """By the term's text (`cvar(0.95, -pnl over P)`): what it measures at the solution."""
    terms: dict[Any, Term] = getattr(evaluator, "ambiguity_terms", {}) if evaluator else {}
    out: dict[str, dict[str, Any]] = {}
    for term in terms.values():
        entry = measure(term)
        if entry is not None:
            out[" ".join(term.node.span.text.split())] = entry
    return out


def measure(term: Term) -> dict[str, Any] | None:
    gradient, constant = _number(term.loss.gradient), _number(term.loss.constant)
    losses = _number(term.loss.losses)
    if gradient is None or constant is None or losses is None:
        return None
    loss = AffineLoss(gradient, float(constant), losses)
    ambiguity = term.ambiguity
    entry: dict[str, Any] = {
        "ambiguity": term.over.ambiguity.name,
        "measure": "mean" if term.level is None else f"cvar {term.level:g}",
        "empirical": float(empirical(losses, term.level)),
    }
    aux: list[cp.Variable] = []
    if isinstance(ambiguity, Moments):
        value = worst_case(ambiguity, loss, term.scenarios, term.level, aux)
        entry.update(set="moments", worst_case=float(value))
        if term.level is not None:
            entry["worst_loss_distribution"] = two_point(ambiguity, loss, term.level)
        return entry
    radius = float(_number(ambiguity.radius))  # a sweep's Parameter: its current value
    ambiguity = Wasserstein(radius, ambiguity.norm, ambiguity.lower, ambiguity.upper)
    entry.update(set="wasserstein", radius=radius,
                 norm="inf" if np.isinf(ambiguity.norm) else int(ambiguity.norm))
    value = worst_case(ambiguity, loss, term.scenarios, term.level, aux)
    if tensor.is_expr(value):  # box support: minimize over the multipliers alone
        problem = cp.Problem(cp.Minimize(value))
        problem.solve(solver=cp.CLARABEL)
        entry["worst_case"] = float(problem.value)
        for mine, measured in zip(term.aux, aux, strict=True):
            mine.value = measured.value  # the term's value in the report is now this minimum
        return entry
    entry["worst_case"] = float(value)
    entry["worst_distribution"] = worst_distribution(ambiguity, term, loss)
    return entry


def two_point(ambiguity: Moments, loss: AffineLoss, level: float) -> dict[str, Any]:
    """The loss's law under a worst distribution: mean m, deviation d, mass 1 - a at
    m + d sqrt(a / (1 - a)) and a at m - d sqrt((1 - a) / a) (a draw xi = mu + V W (L - m)
    / d^2 plus independent noise with the rest of the covariance has it)."""
    mean = float(loss.constant + ambiguity.mean @ loss.gradient)
    deviation = float(np.linalg.norm(ambiguity.root @ loss.gradient))
    return {"values": [mean + deviation * np.sqrt(level / (1 - level)),
                       mean - deviation * np.sqrt((1 - level) / level)],
            "probabilities": [1 - level, level]}


def direction(gradient: np.ndarray, norm: float) -> np.ndarray:
    """A unit vector u of the ground norm with W'u = ||W||_* (the dual norm)."""
    if not np.any(gradient):
        return np.zeros_like(gradient)
    if norm == 1.0:
        u = np.zeros_like(gradient)
        j = int(np.argmax(np.abs(gradient)))
        u[j] = np.sign(gradient[j])
        return u
    if norm == 2.0:
        return gradient / np.linalg.norm(gradient)
    return np.sign(gradient)


def worst_distribution(ambiguity: Wasserstein, term: Term, loss: AffineLoss
                       ) -> dict[str, Any]:
    """The worst distribution (no support): which draws move, how far, which way."""
    count = loss.losses.size
    moved, share = tail(loss.losses, term.level)
    tail_mass = 1.0 if term.level is None else 1.0 - term.level
    u = direction(loss.gradient, ambiguity.norm)
    return {
        "draws_moved": [int(k) + 1 for k in moved],  # 1-based draw numbers
        "moved_share": [float(s) for s in share],  # of each draw's mass 1/N
        "shift": ambiguity.radius / tail_mass,
        "direction": dict(zip(term.labels, (float(x) for x in u), strict=True)),
        "transport": float(ambiguity.radius / tail_mass * np.sum(share) / count),
    }


def tail(losses: np.ndarray, level: float | None) -> tuple[np.ndarray, np.ndarray]:
    """The draws that make up the worst (1 - level) mass, with the share of each moved."""
    count = losses.size
    if level is None:
        return np.arange(count), np.ones(count)
    order = np.argsort(-losses, kind="stable")
    mass = (1.0 - level) * count
    whole = int(np.floor(mass + 1e-12))
    share = np.ones(min(whole, count))
    if whole < count and mass - whole > 1e-12:
        share = np.append(share, mass - whole)
    return order[:share.size], share


def format_ambiguity(entries: dict[str, dict[str, Any]]) -> list[str]:
    """The table's lines: each term's worst case beside the empirical value."""
    lines = ["distributionally robust terms (measured at the decision):",
             f"{'':<40}{'worst case':>14}{'empirical':>14}  set"]
    for text, entry in entries.items():
        what = (f"{entry['set']} radius {entry['radius']:g}, norm {entry['norm']}"
                if entry["set"] == "wasserstein" else "moments")
        shown = text if len(text) <= 38 else text[:35] + "..."
        lines.append(f"  {shown:<38}{entry['worst_case']:>14.6g}{entry['empirical']:>14.6g}"
                     f"  {entry['ambiguity']}: {what}")
        moved = entry.get("worst_distribution")
        if moved and entry["radius"] > 0:
            lines.append(f"    worst distribution: {len(moved['draws_moved'])} draw(s) moved "
                         f"{moved['shift']:.6g} along the unit vector that raises the loss most")
    return lines
