"""Band cuts: Kelley's endgame for scenario CVaR, exact near the answer in one cut.

`sum_largest(L, k)` is the largest `w'L` over 0 <= w <= 1, sum(w) = k. Fixing w = 1 on a core
C (the losses ranked well above the VaR at a point), w = 0 below a band B around the VaR, and
leaving w free on B gives a smaller maximum, so a valid lower bound for every x:

    s >= sum_{i in C} L_i(x) + sum_largest(L_B(x), k - |C|)

with the second part written as the RU rows of B only (a column a, one u_i per scenario of
B). It is exact wherever C stays in the tail and the tail's edge stays in B, i.e. near the
point: where an aggregated cut is one plane, this one bends with the VaR, so the rounds that
Kelley spends on the last digits (half of them at n = 5 x 1,000,000) are not needed.
"""

from __future__ import annotations

import math

import highspy
import numpy as np

from compiler.scale.cvar_cuts import TermColumns, _largest

INF = highspy.kHighsInf
# the first band once the aggregated cuts are this close. Measured at n = 5 x 1,000,000:
# 32 rounds and 0.52-0.56 s against 77-85 rounds and 0.95-1.04 s without; from 1e-3 the
# early bands sit in the wrong place and only slow the LP (n = 50 x 100,000: > 170 s)
BAND_FROM_GAP = 1e-5
BAND_SHARE, BAND_MIN, BAND_MAX = 0.02, 200, 5_000  # scenarios each side of the VaR
BAND_EVERY = 5  # rounds between two bands of a term


class BandCuts:
    """When to add a term's band: once its aggregated cuts are within BAND_FROM_GAP, then
    every BAND_EVERY rounds while the gap stays open (the VaR's edge may have left the band)."""

    def __init__(self) -> None:
        self.last: dict[int, int] = {}
        self.added = 0

    def __call__(self, h: highspy.Highs, columns: TermColumns, losses: np.ndarray,
                 gap: float, iteration: int) -> int:
        if gap > BAND_FROM_GAP or \
                iteration - self.last.get(columns.epigraph, -BAND_EVERY) < BAND_EVERY:
            return 0
        self.last[columns.epigraph] = iteration
        self.added += 1
        return add_band(h, columns, losses)


def band_width(k: float) -> int:
    return int(min(BAND_MAX, max(BAND_MIN, BAND_SHARE * k)))


def add_band(h: highspy.Highs, columns: TermColumns, losses: np.ndarray) -> int:
    """Add the term's band cut at the point where `losses` were evaluated; its row count."""
    term = columns.term
    m, k = term.scenarios, term.k
    half = band_width(k)
    core_size = max(0, math.floor(k) - half)
    top_size = min(m, math.floor(k) + half + 1)
    top = _largest(losses, top_size)
    if core_size:
        order = np.argpartition(losses[top], top_size - core_size)
        core, band = top[order[top_size - core_size:]], top[order[:top_size - core_size]]
    else:  # a short tail: all of it in the band (the term's whole RU LP near the VaR)
        core, band = top[:0], top
    count = band.size
    threshold = h.getNumCol()  # a, then one u per band scenario
    h.addCols(count + 1, np.zeros(count + 1), np.concatenate([[-INF], np.zeros(count)]),
              np.full(count + 1, INF), 0, np.zeros(count + 1, dtype=np.int32),
              np.zeros(0, dtype=np.int32), np.zeros(0))
    excess = np.arange(threshold + 1, threshold + 1 + count)
    # s - sum_C L_i(x) - (k - |C|) a - sum_B u >= sum_C d_i
    indices = [np.array([columns.epigraph, threshold]), excess]
    values = [np.array([1.0, -(k - core_size)]), -np.ones(count)]
    band_values = [np.ones((count, 1)), np.ones((count, 1))]  # u_i + a - A_i z >= d_i
    band_indices = [excess[:, None], np.full((count, 1), threshold)]
    for piece, cols in zip(term.pieces, columns.inner, strict=True):
        rows = piece.matrix[np.concatenate([core, band])]
        dense = rows.toarray() if hasattr(rows, "toarray") else np.asarray(rows)
        indices.append(cols)
        values.append(-piece.scale * dense[:core.size].sum(axis=0))
        band_values.append(-piece.scale * dense[core.size:])
        band_indices.append(np.broadcast_to(cols, (count, cols.size)))
    constant = np.broadcast_to(term.constant, (m,))
    h.addRow(float(constant[core].sum()), INF, int(sum(i.size for i in indices)),
             np.concatenate(indices).astype(np.int32), np.concatenate(values))
    block = np.hstack(band_values)
    width = block.shape[1]
    h.addRows(count, np.ascontiguousarray(constant[band], dtype=float), np.full(count, INF),
              count * width, np.arange(0, count * width, width, dtype=np.int32),
              np.hstack(band_indices).astype(np.int32).ravel(), block.ravel())
    return count + 1
