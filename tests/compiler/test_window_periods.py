"""`window_periods` (computed for all windows at once) against a per-window reference
written with the standard library's calendar: each window's first and last labels, and
whether it covers only part of its period (more than SLACK_DAYS missing at either end)."""

import calendar
import datetime as dt

import pandas as pd
import pytest

from compiler.rolling.windows import SLACK_DAYS, Every, WindowPeriod, window_periods, windows
from dsl.source import synthetic_span


def _period(day: dt.date, every: Every, origin: dt.date) -> tuple[dt.date, dt.date]:
    if every.unit == "day":
        key = (day - origin).days // every.count
        begin = origin + dt.timedelta(days=key * every.count)
        return begin, begin + dt.timedelta(days=every.count - 1)
    if every.unit == "week":  # Monday .. Sunday
        begin = day - dt.timedelta(days=day.weekday())
        return begin, begin + dt.timedelta(days=6)
    if every.unit == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if every.unit == "quarter":
        first_month = 3 * ((day.month - 1) // 3) + 1
        last = dt.date(day.year, first_month + 2, 1)
        return (dt.date(day.year, first_month, 1),
                last.replace(day=calendar.monthrange(last.year, last.month)[1]))
    return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)


def _reference(labels: list[str], positions, every: Every) -> list[WindowPeriod]:
    days = [dt.date.fromisoformat(t) for t in labels]
    out = []
    for window in positions:
        first, last = days[window[0]], days[window[-1]]
        begin, end = _period(first, every, days[0])
        partial = (first - begin).days > SLACK_DAYS or (end - last).days > SLACK_DAYS
        out.append(WindowPeriod(labels[window[0]], labels[window[-1]], partial))
    return out


@pytest.mark.parametrize("every", ["month", "quarter", "year", "week", "5 days", "1 day",
                                   "30 days"])
@pytest.mark.parametrize("calendar_days", [True, False])
def test_window_periods_match_the_calendar(every, calendar_days):
    dates = (pd.date_range("2021-01-03", "2023-02-10", freq="D") if calendar_days
             else pd.bdate_range("2021-01-04", "2023-02-07"))
    labels = [d.strftime("%Y-%m-%d") for d in dates]
    rule = Every.parse(every)
    positions = windows(labels, rule, synthetic_span(), "day")
    assert window_periods(labels, positions, rule) == _reference(labels, positions, rule)
