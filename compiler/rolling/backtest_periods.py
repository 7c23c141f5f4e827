"""A backtest's calendar (rebalance dates, estimation and holding windows), the initial
books given from outside, and the progress bar."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from compiler.data.bindings import Bindings
from compiler.passes.symbols import Symbol


class BacktestError(ValueError):
    """A backtest that cannot run as asked (an unknown P&L name, too short a sample)."""


@dataclass(frozen=True, eq=False)
class Period:
    """One rebalance: the rows it estimates on and the rows it holds over."""

    date: str
    estimation: np.ndarray
    holding: np.ndarray
    held_until: str


def plan_periods(labels: list[Any], positions: list[np.ndarray], lookback: int | None
                 ) -> list[Period]:
    """Rebalance at the end of every window but the last; hold over the next window.

    With `lookback`, estimate on the `lookback` labels up to the rebalance date (dates
    without that much history are skipped); else on the window itself."""
    if lookback is not None and lookback < 1:
        raise BacktestError("the lookback must be at least 1 label of the time set")
    periods = []
    for window, after in zip(positions[:-1], positions[1:], strict=True):
        end = int(window[-1])
        if lookback is None:
            estimation = window
        elif end + 1 >= lookback:
            estimation = np.arange(end + 1 - lookback, end + 1)
        else:
            continue
        periods.append(Period(str(labels[end]), estimation, after, str(labels[after[-1]])))
    if not periods:
        raise BacktestError("no rebalance date has a next period to hold over"
                            + (f" and {lookback} labels of history" if lookback else "")
                            + ": the sample is too short")
    return periods


def held_shares(labels: list[Any], periods: list[Period], positions: list[np.ndarray],
                every: Any, column: Any = None) -> list[float]:
    """Each holding period's share of a full one, by labels held: 1 for a full period; for
    a partial one (compiler/rolling/windows.py `window_periods`, as the rolling table flags
    it) its labels over the median labels of the full windows (a final one-day month: 1/21)."""
    from compiler.rolling.windows import window_periods

    partial = [p.partial for p in window_periods(labels, [p.holding for p in periods], every,
                                                 column)]
    full = [len(w) for w, p in zip(positions, window_periods(labels, positions, every,
                                                             column), strict=True)
            if not p.partial]
    if not any(partial) or not full:
        return [1.0] * len(periods)  # no full window to measure a share against
    size = float(np.median(full))
    return [min(1.0, len(p.holding) / size) if part else 1.0
            for p, part in zip(periods, partial, strict=True)]


def book_from(value: Any, symbol: Symbol, bindings: Bindings) -> np.ndarray:
    """An initial book from outside: a number, a list/array, or a Series by label."""
    shape = tuple(bindings.size(s) for s in symbol.index)
    if hasattr(value, "reindex") and len(symbol.index) == 1:
        labels = bindings.labels_of(symbol.index[0])
        value = value.reindex([str(x) for x in labels]).to_numpy(dtype=float)
    array = np.asarray(value, dtype=float)
    if array.shape != shape:
        try:
            array = np.broadcast_to(array, shape).copy()
        except ValueError:
            raise BacktestError(f"the initial book of '{symbol.name}' has shape "
                                f"{array.shape}, the variable {shape}") from None
    if not np.isfinite(array).all():
        raise BacktestError(f"the initial book of '{symbol.name}' is not finite everywhere "
                            "(a label missing from the Series?)")
    return array




class Progress:
    """A bar on the terminal's stderr (a descriptor of its own: solver output is captured
    around the loop, descriptor 2 included)."""

    def __init__(self, shown: bool, total: int):
        self.total = total
        self.fd = os.dup(2) if shown else None

    def tick(self, done: int) -> None:
        if self.fd is None:
            return
        filled = int(30 * done / self.total)
        end = "\n" if done == self.total else ""
        os.write(self.fd, f"\rbacktest {'#' * filled}{'.' * (30 - filled)} {done}/"
                          f"{self.total} periods{end}".encode())

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
