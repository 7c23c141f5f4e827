"""Scenario generation on the Rockafellar-Uryasev LP, inside the cutting-plane master.

For a term `s >= sum_largest(L(z), k)` the master also holds `s >= k a + sum_{i in S} u_i`,
`u_i >= L_i(z) - a`, `u_i >= 0` for a subset S of the scenarios: the RU LP with the other
scenarios' excess taken as 0, so a relaxation (a lower bound). Each round adds the scenarios
whose loss at the master's answer exceeds `a` (the largest first); when none does, the
restricted LP is the full one at that answer, so the answer is exact. The master stays small
(about k scenario rows) and far fewer rounds are needed than Kelley's cuts take when the
decisions have many dimensions.
"""

from __future__ import annotations

import math

import highspy
import numpy as np

from compiler.scale.cvar_cuts import TermColumns

INF = highspy.kHighsInf
BATCH_SHARE = 1.0  # at most this share of k new scenario rows a round (the largest losses)


class TailRows:
    """The scenario rows of one term in a HiGHS master."""

    def __init__(self, h: highspy.Highs, columns: TermColumns):
        self.columns = columns
        self.started = False
        self.chosen = np.zeros(columns.term.scenarios, dtype=bool)
        self.threshold = h.getNumCol()  # column a
        h.addCol(0.0, -INF, INF, 0, np.zeros(0, dtype=np.int32), np.zeros(0))
        self.epigraph_row = h.getNumRow()  # s - k a - sum u >= 0
        h.addRow(0.0, INF, 2, np.array([columns.epigraph, self.threshold], dtype=np.int32),
                 np.array([1.0, -columns.term.k]))

    def add(self, h: highspy.Highs, point: np.ndarray, losses: np.ndarray) -> int:
        """Add the scenarios violated at `point`; how many were added."""
        term = self.columns.term
        level = point[self.threshold]
        if not self.started:  # the threshold column is free until the first rows: VaR
            self.started = True
            top = np.argpartition(losses, losses.size - math.ceil(term.k))
            level = float(losses[top[losses.size - math.ceil(term.k)]])
        scale = max(float(np.max(np.abs(losses))), 1e-300)
        violated = np.flatnonzero((losses > level + 1e-12 * scale) & ~self.chosen)
        if violated.size == 0:
            return 0
        batch = max(64, math.ceil(BATCH_SHARE * term.k))
        if violated.size > batch:
            violated = violated[np.argpartition(-losses[violated], batch - 1)[:batch]]
        self.chosen[violated] = True
        count = violated.size
        first = h.getNumCol()
        h.addCols(count, np.zeros(count), np.zeros(count), np.full(count, INF), count,
                  np.arange(count, dtype=np.int32),
                  np.full(count, self.epigraph_row, dtype=np.int32), np.full(count, -1.0))
        blocks = [np.ones((count, 1)), np.ones((count, 1))]
        indices = [np.arange(first, first + count)[:, None],
                   np.full((count, 1), self.threshold)]
        for piece, cols in zip(term.pieces, self.columns.inner, strict=True):
            rows = piece.matrix[violated]
            dense = rows.toarray() if hasattr(rows, "toarray") else np.asarray(rows)
            blocks.append(-piece.scale * dense)
            indices.append(np.broadcast_to(cols, (count, cols.size)))
        values = np.hstack(blocks)
        width = values.shape[1]
        lower = term.constant[violated] if term.constant.ndim else \
            np.full(count, float(term.constant))
        h.addRows(count, lower, np.full(count, INF), count * width,
                  np.arange(0, count * width, width, dtype=np.int32),
                  np.hstack(indices).astype(np.int32).ravel(), values.ravel())
        return count
