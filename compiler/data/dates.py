"""A time set's labels read as dates, in ONE format for the whole column.

Guessing each label on its own reads `13/12/2024` day-first and `01/02/2024` month-first in
the same column, so a year of monthly windows collapses into one. Here a column is read with
the format the user gives (`csv(f, dates = "%d/%m/%Y")`), or ISO 8601, or the one format
that fits every label; when two formats fit every label and disagree (`01/02/2024` with
nothing past 12 in either place) the column is refused until the user says which.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pandas as pd
from pandas.tseries.api import guess_datetime_format

from dsl.errors import error
from dsl.source import Span

# numeric day/month orders tried besides pandas' guess from the first label
_FALLBACK = [f"{a}{sep}{b}{sep}{year}" for sep in "/-." for year in ("%Y", "%y")
             for a, b in (("%m", "%d"), ("%d", "%m"))]
_NAMES = {"%m": "month first", "%d": "day first"}


@dataclass(frozen=True)
class DateColumn:
    """Where a set's labels were read (`span`) and the format given with `dates =`."""

    span: Span
    format: str | None = None
    format_span: Span | None = None


def parse_dates(texts: list[str], column: DateColumn | None, span: Span, name: str
                ) -> pd.Series:
    """The labels of set `name` as dates; errors at the csv(...) that read them, or `span`."""
    where = column.span if column is not None else span
    labels = pd.Series(texts, dtype=object)
    if column is not None and column.format is not None:
        return _given(labels, column.format, column.format_span or where, name)
    try:  # ISO dates (2024-01-31) are year-month-day by definition, and parse fastest
        return pd.to_datetime(labels, format="ISO8601")
    except (ValueError, TypeError):
        pass
    read = {}
    for fmt in _candidates(texts[0] if texts else ""):
        try:
            read[fmt] = pd.to_datetime(labels, format=fmt)
        except (ValueError, TypeError):
            continue
    if not read:
        help = (f"rebalancing needs a time set whose labels are dates, e.g. `set {name} = "
                f"csv(\"prices.csv\").date`")
        if column is None:
            raise error("E505", f"the labels of '{name}' are not dates", where, help)
        raise error("E505", f"the labels of '{name}' are not dates written in one format",
                    where, f"{help}; say how they are written with csv(..., dates = "
                    f"\"%d/%m/%Y\") (strftime codes)")
    (fmt, dates), *others = read.items()
    for other_fmt, other in others:
        differ = (dates != other).to_numpy().nonzero()[0]
        if differ.size:
            k = int(differ[0])
            raise error("E508", f"the dates of '{name}' fit both {fmt} and {other_fmt}: "
                        f"'{texts[k]}' is {dates.iloc[k]:%Y-%m-%d} or "
                        f"{other.iloc[k]:%Y-%m-%d}", where,
                        f"say which: csv(..., dates = \"{fmt}\") ({_order_name(fmt)}) or "
                        f"dates = \"{other_fmt}\" ({_order_name(other_fmt)})")
    return dates


def _given(labels: pd.Series, fmt: str, span: Span, name: str) -> pd.Series:
    dates = pd.to_datetime(labels, format=fmt, errors="coerce")
    bad = dates.isna().to_numpy().nonzero()[0]
    if bad.size:
        raise error("E508", f"label '{labels.iloc[bad[0]]}' of '{name}' (row {bad[0] + 1}) "
                    f"does not fit dates = \"{fmt}\"", span,
                    "write the format with strftime codes, e.g. \"%d/%m/%Y\" for 31/12/2024 "
                    "or \"%Y-%m-%d\" for 2024-12-31")
    return dates


def _candidates(first: str) -> list[str]:
    """Formats to try on the whole column: pandas' guesses from the first label (month and
    day first), then the common numeric orders; never year-day-month."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        guesses = [guess_datetime_format(first), guess_datetime_format(first, dayfirst=True)]
    out: list[str] = []
    for fmt in [*guesses, *_FALLBACK]:
        if fmt and fmt not in out and not _year_day_month(fmt):
            out.append(fmt)
    return out


def _year_day_month(fmt: str) -> bool:
    year = max(fmt.find("%Y"), fmt.find("%y"))
    day, month = fmt.find("%d"), fmt.find("%m")
    return -1 < year < day < month


def _order_name(fmt: str) -> str:
    day, month = fmt.find("%d"), fmt.find("%m")
    if day < 0 or month < 0:
        return "as written"
    return _NAMES["%d"] if day < month else _NAMES["%m"]
