"""Künzi-Bay & Mayer's aggregated cuts for scenario CVaR on a persistent HiGHS master.

`sum_largest(L(x), k)` is convex and piecewise linear in x; at a point x the tail weights w
(1 on the floor(k) largest losses, the fraction on the next one) give the supporting cut
`s >= w'L(x')` for every x' (one row, however many scenarios). Kelley's method adds one such
row per term and iteration to the master LP/MILP (HiGHS keeps its basis: a warm start) until
the true value at the incumbent is within the gap of the master's epigraph variable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

from compiler.scale.cvar_terms import TailTerm

GAP = 1e-9  # stop when every term's true tail sum is this close (relative) to its estimate
ACCEPTABLE_GAP = 1e-6  # reported optimal only within this
MAX_ITERATIONS = 5000
STATUS = {"kOptimal": "optimal", "kInfeasible": "infeasible", "kUnbounded": "unbounded",
          "kUnboundedOrInfeasible": "infeasible_or_unbounded"}
# delete cuts idle (zero dual) for 50 rounds, every 10 rounds. Measured at n = 50 x 100,000:
# the LP is 84 ms a round at 2,300 rows kept, 5 ms with these; after 10 rounds idle cost
# twice the rounds, after 50 about as many as keeping every cut (docs/benchmarks.md)
PURGE = (10, 50)
BOX_START, BOX_GROWTH, BOX_LIMIT = 1e3, 1e3, 1e13  # temporary bounds while unbounded


@dataclass
class TermColumns:
    """Where a term lives in the master: its epigraph column and each piece's columns."""

    term: TailTerm
    epigraph: int
    inner: list[np.ndarray]


@dataclass
class CutOutcome:
    model_status: str  # HiGHS's name, e.g. "kOptimal"
    col_value: np.ndarray | None
    row_dual: np.ndarray | None
    info: Any
    run_time: float
    iterations: int = 0
    cuts: int = 0
    gap: float = float("inf")
    scenario_rows: int = 0


def _largest(losses: np.ndarray, count: int) -> np.ndarray:
    """Indices of the `count` largest losses, the smallest of them last. A sample's quantile
    first narrows a large vector to the candidates (one comparison pass), so the partition
    runs on a few percent of it; the full partition when the sample guessed too high."""
    m = losses.size
    candidates = None
    if m > 100_000 and count < m // 4:
        sample = losses[_SAMPLE.integers(0, m, 20_000)]
        rank = max(0, sample.size - 1 - int(1.5 * count / m * sample.size) - 100)
        candidates = np.flatnonzero(losses >= np.partition(sample, rank)[rank])
        if candidates.size < count:
            candidates = None
    values = losses if candidates is None else losses[candidates]
    order = np.argpartition(values, values.size - count)[values.size - count:]
    smallest = np.argmin(values[order])
    order[[0, int(smallest)]] = order[[int(smallest), 0]]
    chosen = order[::-1]
    return chosen if candidates is None else candidates[chosen]


_SAMPLE = np.random.default_rng(20260101)  # where the selection samples: any rows do


def tail_weights(losses: np.ndarray, k: float) -> tuple[np.ndarray, np.ndarray, float]:
    """(indices, weights, value) of the largest-k sum with linear interpolation (cvxpy's)."""
    m = losses.size
    whole = min(int(np.floor(k)), m)
    frac = k - whole if whole < m else 0.0
    if whole == m:
        top, weights = np.arange(m), np.ones(m)
    elif frac > 0:  # the (whole+1)-th largest gets the fraction: it is the last one
        top = _largest(losses, whole + 1)
        weights = np.ones(whole + 1)
        weights[-1] = frac
    else:
        top, weights = _largest(losses, whole), np.ones(whole)
    return top, weights, float(weights @ losses[top])


def make_master(data: dict[str, Any], options: dict[str, Any]) -> tuple[highspy.Highs, int]:
    """A HiGHS model of cvxpy's HIGHS problem data (as cvxpy's own interface builds it)."""
    from cvxpy.reductions.solvers.conic_solvers.conic_solver import dims_to_solver_dict

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    if "P" in data:  # cvxpy's QP path (an LP): A x = b, F x <= g
        matrix = sp.vstack([data["A"], data["F"]]).tocsc()
        upper = np.concatenate([data["b"], data["G"]]).astype(float)
        equalities, cost = data["A"].shape[0], data["q"]
    else:  # the conic path (a MILP): A x + s = b, s in {0}^z x R+^l
        matrix = data["A"].tocsc()
        upper = np.asarray(data["b"], dtype=float)
        equalities, cost = dims_to_solver_dict(data["dims"])["f"], data["c"]
    lower = np.concatenate([upper[:equalities], np.full(upper.size - equalities, -inf)])
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.row_lower_, lp.row_upper_ = lower, upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = matrix.indptr, matrix.indices
    lp.a_matrix_.value_ = matrix.data
    col_lower, col_upper = np.full(lp.num_col_, -inf), np.full(lp.num_col_, inf)
    integers = list(data.get("bool_vars_idx", [])) + list(data.get("int_vars_idx", []))
    if integers:
        integrality = [highspy.HighsVarType.kContinuous] * lp.num_col_
        for index in integers:
            integrality[int(index)] = highspy.HighsVarType.kInteger
        booleans = np.asarray(data.get("bool_vars_idx", []), dtype=int)
        col_lower[booleans], col_upper[booleans] = 0.0, 1.0
        lp.integrality_ = integrality
    lp.col_lower_, lp.col_upper_ = col_lower, col_upper
    for name, value in options.items():
        h.setOptionValue(name, value)
    h.passModel(lp)
    return h, lp.num_row_


def _cut(h: highspy.Highs, columns: TermColumns, point: np.ndarray
         ) -> tuple[float, float, np.ndarray]:
    """Add the term's cut at `point` (a master solution); (true value, losses' scale,
    losses)."""
    term = columns.term
    inners = [point[cols] for cols in columns.inner]
    losses = term.losses(inners)
    top, weights, value = tail_weights(losses, term.k)
    offset = float(weights @ (term.constant[top] if term.constant.ndim else
                              np.full(top.size, float(term.constant))))
    indices, values = [columns.epigraph], [1.0]
    for piece, cols in zip(term.pieces, columns.inner, strict=True):
        gradient = piece.scale * np.asarray(weights @ piece.matrix[top]).ravel()
        indices.extend(int(c) for c in cols)
        values.extend(-gradient)
    h.addRow(offset, highspy.kHighsInf, len(indices), np.asarray(indices, dtype=np.int32),
             np.asarray(values, dtype=float))
    return value, max(float(losses.max()), -float(losses.min())), losses


def _set_box(h: highspy.Highs, columns: list[TermColumns], box: float | None) -> None:
    cols = np.concatenate([c for t in columns for c in t.inner]).astype(np.int32)
    bound = highspy.kHighsInf if box is None else box
    h.changeColsBounds(cols.size, cols, np.full(cols.size, -bound), np.full(cols.size, bound))


class CutPool:
    """The cut rows (all rows from `first` on) and the last round each had a nonzero dual.
    Rows idle for `after` rounds are deleted every `every` rounds: the master stays a
    relaxation, so the gap test at its answer is unchanged, and each LP stays small."""

    def __init__(self, first: int, every: int, after: int):
        self.first, self.every, self.after = first, every, after
        self.last = np.zeros(0, dtype=np.int64)

    def update(self, h: highspy.Highs, duals: np.ndarray, iteration: int) -> None:
        cut_duals = duals[self.first:]
        grown = cut_duals.size - self.last.size  # the rows added since the last round
        self.last = np.concatenate([self.last, np.full(grown, iteration, dtype=np.int64)])
        self.last[cut_duals != 0.0] = iteration
        if iteration % self.every:
            return
        idle = np.flatnonzero(iteration - self.last > self.after)
        if idle.size:
            h.deleteRows(idle.size, (idle + self.first).astype(np.int32))
            self.last = np.delete(self.last, idle)


def kelley(h: highspy.Highs, rows: int, columns: list[TermColumns],
           tail_rows: list[Any] | None = None, stabilize: float = 0.0,
           max_iterations: int = MAX_ITERATIONS, purge: tuple[int, int] | None = None,
           band: Any = None) -> CutOutcome:
    """Run the cutting-plane loop; `rows` is the master's row count before any cut.
    `tail_rows` (compiler/scale/scenario_generation.py, one per term) add the violated
    scenarios' RU rows each round besides the cut. With `stabilize` > 0 each round also
    cuts at `stabilize * center + (1 - stabilize) * answer`, the center following those
    points (in-out, Ben-Ameur & Neto): fewer rounds where the decisions have many
    dimensions, one more evaluation per round. `purge` = (every, after): see CutPool.
    `band` (compiler/scale/cvar_band.py: BandCuts) may add a band cut per term and round."""
    started = time.perf_counter()
    origin = np.zeros(h.getNumCol())
    for term in columns:  # one cut at the origin: the epigraph is bounded below from the start
        _cut(h, term, origin)
    cuts, box, gap, scenario_rows = len(columns), None, float("inf"), 0
    iteration, center = 0, None
    # idle cuts are deleted only without scenario rows (their row numbers are kept)
    pool = CutPool(rows, *purge) if purge and not tail_rows else None
    while iteration < max_iterations:
        iteration += 1
        h.run()
        status = h.getModelStatus().name if hasattr(h.getModelStatus(), "name") else \
            str(h.getModelStatus())
        if status in ("kUnbounded", "kUnboundedOrInfeasible") or \
                (status == "kInfeasible" and box is not None):
            box = BOX_START if box is None else box * BOX_GROWTH
            if box > BOX_LIMIT:  # unbounded however far the box reaches
                return CutOutcome("kUnbounded", None, None, h.getInfo(),
                                  time.perf_counter() - started, iteration, cuts, gap)
            _set_box(h, columns, box)
            continue
        if status != "kOptimal":
            return CutOutcome(status, None, None, h.getInfo(), time.perf_counter() - started,
                              iteration, cuts, gap)
        solution = h.getSolution()
        point = np.asarray(solution.col_value, dtype=float)
        all_duals = np.asarray(solution.row_dual, dtype=float)
        duals = all_duals[:rows] if rows else np.zeros(0)
        if pool is not None:
            pool.update(h, all_duals, iteration)
        gap = 0.0
        added = 0
        for number, term in enumerate(columns):
            estimate = point[term.epigraph]
            value, scale, losses = _cut(h, term, point)
            cuts += 1
            term_gap = (value - estimate) / max(abs(value), 1e-6 * scale, 1e-300)
            if tail_rows:
                added += tail_rows[number].add(h, point, losses)
            if band is not None and term_gap > GAP:
                band(h, term, losses, term_gap, iteration)
            gap = max(gap, term_gap)
        scenario_rows += added
        if stabilize and gap > GAP:  # in-out: one more cut between the last center and here
            if center is not None and center.size < point.size:  # scenario columns joined
                center = np.concatenate([center, point[center.size:]])
            center = point if center is None else \
                float(stabilize) * center + (1 - float(stabilize)) * point
            for term in columns:
                _cut(h, term, center)
                cuts += 1
        if gap <= GAP or (tail_rows and not added and gap <= ACCEPTABLE_GAP):
            at_box = box is not None and any(
                np.max(np.abs(point[c]), initial=0.0) >= box * (1 - 1e-9) for c in
                (cols for t in columns for cols in t.inner))
            if not at_box:
                # the cuts just added were not needed: the answer is the master's before them
                return CutOutcome("kOptimal", point, duals, h.getInfo(),
                                  time.perf_counter() - started, iteration,
                                  cuts - len(columns), max(gap, 0.0), scenario_rows)
            box = BOX_START if box is None else box * BOX_GROWTH  # at_box: box is set
            _set_box(h, columns, box if box <= BOX_LIMIT else None)
    return CutOutcome("kIterationLimit", None, None, h.getInfo(),
                      time.perf_counter() - started, iteration, cuts, gap, scenario_rows)
