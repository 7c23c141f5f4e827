"""Fixed-income numerics for the builtins: plain numpy on numeric period labels.

Conventions (docs/language.md, "Fixed income"): periods are the numeric labels of the time
set (half-years in the robust bond data, years in the treasury model); rates are per period.
"""

from __future__ import annotations

import numpy as np


def interpolation_matrix(points: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The (len(points), len(keys)) matrix of linear interpolation weights from key points.

    Row p holds the weights that give the value at ``points[p]`` from values at the keys:
    the two neighbouring keys share it in proportion to distance, and a point outside the
    key range takes the nearest end key's value (held flat). Every row sums to 1, so a
    parallel shift of the keys is a parallel shift of the curve.
    """
    points = np.asarray(points, dtype=float)
    keys = np.asarray(keys, dtype=float)
    if keys.ndim != 1 or keys.size == 0 or np.any(np.diff(keys) <= 0):
        raise ValueError("the key points must be strictly increasing")
    weights = np.zeros((points.size, keys.size))
    clipped = np.clip(points, keys[0], keys[-1])
    right = np.clip(np.searchsorted(keys, clipped, side="right"), 1, max(keys.size - 1, 1))
    if keys.size == 1:
        weights[:, 0] = 1.0
        return weights
    left = right - 1
    span = keys[right] - keys[left]
    share = (clipped - keys[left]) / span
    rows = np.arange(points.size)
    weights[rows, left] = 1.0 - share
    weights[rows, right] += share
    return weights
