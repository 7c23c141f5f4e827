"""Windows of a time set: `rebalance every month|quarter|year|week|N days`.

The time set's labels are dates; each window holds the labels of one calendar period (or N
consecutive days), and `window_bindings` slices every value indexed by the time set to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from compiler.data.bindings import Bindings
from compiler.data.dates import DateColumn, parse_dates
from compiler.passes.symbols import Symbol
from dsl.errors import error
from dsl.source import Span, synthetic_span

FREQUENCIES = {"month": "M", "quarter": "Q", "year": "Y", "week": "W"}
UNITS = {*FREQUENCIES, "day"}


@dataclass(frozen=True)
class Every:
    """A rebalancing frequency: a calendar unit, or a count of days."""

    unit: str  # month, quarter, year, week, day
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Every:
        """`month`, `quarter`, `year`, `week`, `5 days`, `5days` (for --every)."""
        words = text.replace("days", " days").split()
        if len(words) == 2 and words[0].isdigit() and int(words[0]) > 0:
            every = cls(singular(words[1]), int(words[0]))
        elif len(words) == 1:
            every = cls(singular(words[0]))
        else:
            raise ValueError(text)
        if every.unit not in UNITS or (every.count != 1 and every.unit != "day"):
            raise ValueError(text)
        return every

    def __str__(self) -> str:
        return f"{self.count} days" if self.unit == "day" else self.unit


def singular(word: str) -> str:
    word = word.lower()
    return word[:-1] if word.endswith("s") else word


def windows(labels: list[Any], every: Every, span: Span, time_set: str,
            column: DateColumn | None = None) -> list[np.ndarray]:
    """Positions of the time set's labels in each window, in time order.

    The labels are read as dates in one format for all of them (compiler/data/dates.py), the one
    given with `dates =` on the csv(...) that read them (`column`) if any.
    """
    dates = parse_dates([str(x) for x in labels], column, span, time_set)
    if not dates.is_monotonic_increasing:
        raise error("E504", f"the dates of '{time_set}' are not in increasing order", span,
                    "sort the data file by date, oldest first")
    if every.unit == "day":
        keys = ((dates - dates.iloc[0]).dt.days // every.count).to_numpy()
    elif every.unit in FREQUENCIES:
        keys = dates.dt.to_period(FREQUENCIES[every.unit]).astype(str).to_numpy()
    else:
        raise error("E211", f"cannot rebalance every '{every.unit}'", span,
                    "use month, quarter, year, week, or N days")
    breaks = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    return np.split(np.arange(len(labels)), breaks)


@dataclass(frozen=True)
class WindowPeriod:
    """One window's first and last labels, and whether it covers only part of its period."""

    first: str
    last: str
    partial: bool


SLACK_DAYS = 3  # a period's first or last days may be a weekend and a holiday without data


def window_periods(labels: list[Any], positions: list[np.ndarray], every: Every,
                   column: DateColumn | None = None) -> list[WindowPeriod]:
    """Each window's span; partial when the data begin after its period's first day or end
    before its last (beyond SLACK_DAYS), or, for N days, when fewer than N days are left."""
    texts = [str(x) for x in labels]
    dates = pd.DatetimeIndex(parse_dates(texts, column, synthetic_span(), "time"))
    # all windows at once: a pandas scalar per window cost ~0.15 ms (issue 12, CDS run)
    starts = np.array([w[0] for w in positions], dtype=int)
    ends = np.array([w[-1] for w in positions], dtype=int)
    first, last = dates[starts], dates[ends]
    if every.unit == "day":
        keys = (first - dates[0]).days // every.count  # as `windows` groups them
        begin = dates[0] + pd.to_timedelta(keys * every.count, unit="D")
        end = begin + pd.Timedelta(days=every.count - 1)
    else:
        periods = first.to_period(FREQUENCIES[every.unit])
        begin, end = periods.start_time.normalize(), periods.end_time.normalize()
    partial = ((first - begin).days > SLACK_DAYS) | ((end - last).days > SLACK_DAYS)
    return [WindowPeriod(texts[s], texts[e], bool(p))
            for s, e, p in zip(starts, ends, partial, strict=True)]


def window_bindings(bindings: Bindings, time_set: Symbol, positions: np.ndarray) -> Bindings:
    """The bindings of one window: the time set and everything indexed by it, sliced."""
    root = time_set.root
    labels = dict(bindings.labels)
    labels[root] = [bindings.labels[root][i] for i in positions]
    values = {}
    for symbol, value in bindings.values.items():
        axes = [k for k, s in enumerate(symbol.index) if s.root is root]
        for axis in axes:
            value = np.take(value, positions, axis=axis)
        values[symbol] = value
    return Bindings(bindings.sandbox, labels, values, date_columns=bindings.date_columns)
