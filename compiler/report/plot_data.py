"""What each plot draws, as numbers: a `Panel` (a DataFrame of lines, titles, labels).

No matplotlib here: `compiler/report/plot.py` draws a `Panel`, and tests compare its frame with
independent numbers. Every mistake (a kind that does not fit the result, a name that is
not there) is a `PlotError` that says what would work instead.

* allocation: a rolling run's table (a row per period) -> a column per decision label.
* worst-case: a robust `Result` -> an uncertain quantity, or a let indexed by one set, at
  the adversary's choice and at its set's center (the nominal), by label.
* robustness: a sweep with the nominal view (`sweep(..., nominal=True)`) -> the robust
  solution's worst-case and nominal objectives, and the nominal optimum, per value.
* frontier: a sweep -> one scalar (the objective, a scalar let, the param) against another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from compiler.backends import nominal
from compiler.report.result import Result, TableResult

KINDS = ("allocation", "worst-case", "robustness", "frontier")
STYLES = ("lines", "stacked", "bars", "frontier", "heatmap")
NOMINAL_COLUMNS = ("nominal_objective", "nominal_optimum")
_LABELLED_COLUMN = re.compile(r"^(?P<name>\w+)\[(?P<label>.*)\]$")


class PlotError(ValueError):
    """A plot that cannot be drawn from this result; the message says what would."""


@dataclass
class Panel:
    """One plot's content: `frame`'s columns are the lines (or bar groups) over its index."""

    frame: pd.DataFrame
    title: str
    xlabel: str
    ylabel: str
    style: str  # one of STYLES
    notes: list[str] = field(default_factory=list)
    steps: bool = False  # a row's value holds from its index to the next row's (steps)
    shaded: list[tuple[Any, Any, str]] = field(default_factory=list)  # (from, to, label)


def panel(result: Result | TableResult, kind: str, *, of: str | None = None,
          at: str | None = None, x: str | None = None, y: str | None = None,
          stacked: bool | None = None, objective_name: str | None = None) -> Panel:
    """The numbers behind a plot of `kind` (see the module docstring)."""
    if kind not in KINDS:
        raise PlotError(f"unknown plot kind '{kind}': use {', '.join(KINDS)}")
    if kind == "worst-case":
        if not isinstance(result, Result):
            raise PlotError("a worst-case plot draws one robust solve, not a table: solve "
                            "without --sweep (and without rebalancing)")
        return worst_case_panel(result, of, at)
    if not isinstance(result, TableResult):
        raise PlotError(_needs_table(kind, result.model))
    if kind == "allocation":
        return allocation_panel(result, of, stacked)
    if kind == "robustness":
        return robustness_panel(result, objective_name)
    return frontier_panel(result, x, y, objective_name)


def _needs_table(kind: str, model: str) -> str:
    if kind == "allocation":
        return (f"an allocation plot draws a rolling run (a row per period), and model "
                f"'{model}' was solved once: add `rebalance every month on DAY` to the "
                f"model, or pass --every month (compile_model(..., every='month'))")
    return (f"a {kind} plot draws a sweep: pass --sweep NAME=START:STOP:COUNT (from "
            f"Python, compiler.sweep(...))")


# ---- allocation ----

def allocation_panel(table: TableResult, of: str | None = None,
                     stacked: bool | None = None) -> Panel:
    """Decision `of` (default: the first) by label, one row per period."""
    frame = table.table
    if list(frame.index.names) != ["period"]:
        if "period" in frame.index.names:
            raise PlotError("an allocation plot draws one rolling run, and this table is a "
                            "sweep of rolling runs: plot one sweep point (drop --sweep)")
        raise PlotError(_needs_table("allocation", table.model))
    columns = _decision_columns(frame)
    if not columns:
        raise PlotError(f"model '{table.model}' reports no decisions per period")
    name = of or next(iter(columns))
    if name not in columns:
        raise PlotError(f"--of '{name}': no decision named '{name}' in the rolling run of "
                        f"'{table.model}'; choose one of: {', '.join(columns)}")
    data = pd.DataFrame({label: frame[column].to_numpy() for label, column in columns[name]})
    starts = frame.attrs.get("window_start")
    partial = frame.attrs.get("partial") or [False] * len(frame)
    unit = (frame.attrs.get("units") or {}).get(name)
    ends = _axis(list(frame.index))
    shaded, notes = [], []
    if starts is not None and len(starts) == len(frame) and isinstance(ends, pd.DatetimeIndex):
        # each window's decision over its own period: from its first day to the day after
        # its last (one more row repeats the last value, where the last step ends)
        begins = _axis(list(starts))
        after = ends + pd.Timedelta(days=1)
        data.index = begins
        data = pd.concat([data, data.iloc[[-1]].set_axis(after[-1:])])
        for k in (k for k, flag in enumerate(partial) if flag):
            shaded.append((begins[k], after[k], "partial window"))
            notes.append(f"the window {starts[k]} to {frame.index[k]} is a partial period")
    else:  # no window starts (a table built elsewhere): each value from its window's end
        data.index = ends
    data.index.name = "window"
    if stacked is None:  # a long-only allocation stacks; positions of both signs do not
        stacked = bool((data.fillna(0.0) >= 0).all().all())
    xlabel = "date" if isinstance(data.index, pd.DatetimeIndex) else "window"
    return Panel(data, f"{table.model}: {name} per period", xlabel, _with_unit(name, unit),
                 "stacked" if stacked else "lines", notes, steps=True, shaded=shaded)


def _with_unit(name: str, unit: str | None) -> str:
    return f"{name} [{unit}]" if unit else name


def _decision_columns(frame: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """Decision name -> [(label, column)], in the table's column order."""
    out: dict[str, list[tuple[str, str]]] = {}
    for column in frame.columns:
        if column in ("objective", "status") or column in NOMINAL_COLUMNS:
            continue
        match = _LABELLED_COLUMN.match(str(column))
        name, label = (match["name"], match["label"]) if match else (str(column), str(column))
        out.setdefault(name, []).append((label, column))
    return out


# ---- worst case against nominal ----

def worst_case_panel(result: Result, of: str | None = None, at: str | None = None) -> Panel:
    """`of` (an uncertain quantity, or a let indexed by one set) at the adversary's choice
    for `at` (the objective, or a robust constraint's name; default: the objective's, else
    the one constraint's that has it) and at its set's center (the nominal)."""
    if not result.worst_case and not result.backend:
        raise PlotError(f"model '{result.model}' has no uncertain quantities: a worst-case "
                        "plot needs an `uncertain` declaration")
    if not result.optimal:
        raise PlotError(f"the solve of '{result.model}' ended '{result.status}': there is "
                        "no worst case to plot")
    compiled = result.compiled
    if compiled is None or not nominal.is_robust(compiled):
        raise PlotError("this result does not carry the robust model that solved it: plot "
                        "the result of compile_model(...).solve()")
    uncertain = {u.name: u for u in compiled.sets}
    lets = {d.symbol.name: d.symbol for d in compiled.model.lets}
    name = of or next(iter(uncertain))
    if name in uncertain:
        index, kind = uncertain[name].index, "uncertain quantity"
    elif name in lets:
        index, kind = compiled.shapes.index(lets[name]), "let"
    else:
        raise PlotError(f"--of '{name}': no uncertain quantity or let named '{name}' in "
                        f"model '{result.model}'; choose one of: "
                        f"{', '.join(list(uncertain) + list(lets))}")
    if len(index) == 2 and name in uncertain:
        return _matrix_panel(result, name, index, _whose(result, [name], at))
    if len(index) != 1:
        sets = ", ".join(s.name for s in index) or "nothing (a scalar)"
        raise PlotError(f"--of '{name}': a worst-case plot draws a {kind} indexed by one "
                        f"set, and '{name}' is indexed by {sets}")
    at = _whose(result, [name] if name in uncertain else list(uncertain), at)
    if name in uncertain:
        worst, center = _chosen(result, name, at), nominal.center_of(compiled, name)
    else:
        worst, center = _let_views(compiled, result, name, at)
    columns = {"worst case": np.asarray(worst, dtype=float)}
    notes = []
    if center is None:
        notes.append("no nominal: an uncertain quantity's set is written as constraints "
                     "and has no center")
    else:
        columns["nominal (set center)"] = np.asarray(center, dtype=float)
    data = pd.DataFrame(columns, index=_axis(compiled.bindings.labels_of(index[0])))
    data.index.name = index[0].name
    numeric = pd.api.types.is_numeric_dtype(data.index)
    where = "" if at == "objective" else f" for constraint '{at}'"
    against = "" if center is None else " against the nominal"
    return Panel(data, f"{result.model}: worst-case {name}{where}{against}", index[0].name,
                 _with_unit(name, _unit_of(compiled, name)), "lines" if numeric else "bars",
                 notes)


def _matrix_panel(result: Result, name: str, index: Any, at: str) -> Panel:
    """A matrix the adversary chose (a worst-case covariance, say) as a labelled heat map."""
    compiled = result.compiled
    rows, columns = (compiled.bindings.labels_of(s) for s in index)
    values = np.asarray(_chosen(result, name, at), dtype=float).reshape(len(rows), len(columns))
    data = pd.DataFrame(values, index=pd.Index([str(r) for r in rows], name=index[0].name),
                        columns=[str(c) for c in columns])
    unit = _unit_of(compiled, name)
    where = "" if at == "objective" else f" for constraint '{at}'"
    return Panel(data, f"{result.model}: worst-case {name}{where}", index[1].name,
                 index[0].name, "heatmap", [f"colour: {_with_unit(name, unit)}"])


def _unit_of(compiled: Any, name: str) -> str | None:
    """The unit declared on a decision, uncertain quantity or param named `name`."""
    model = compiled.model
    for definition in [*model.variables, *model.uncertains, *model.params]:
        if definition.symbol.name == name:
            return getattr(definition, "unit", None)
    return None


def _whose(result: Result, names: list[str], at: str | None) -> str:
    """The worst case to draw: `at` if given, else the objective's, else the only
    constraint's that chose every one of `names`."""
    having = [k for k, v in result.worst_case.items()
              if isinstance(v, dict) and all(n in v for n in names)]
    if at is None:
        if "objective" in having or len(having) != 1:
            return "objective"
        return having[0]
    if at not in having:
        raise PlotError(f"--at '{at}': this result has no worst case of "
                        f"{', '.join(names)} for '{at}'; it has one for: "
                        f"{', '.join(having) or 'nothing'}")
    return at


def _chosen(result: Result, name: str, at: str) -> Any:
    """The adversary's choice of `name` for `at`, as one labelled point."""
    entry = result.worst_case.get(at)
    if not isinstance(entry, dict) or name not in entry:
        raise PlotError(f"no worst case of '{name}' for '{at}' in this result")
    value = entry[name]
    if isinstance(value, pd.DataFrame):
        raise PlotError(f"constraint '{at}' has a worst case per element: plot the "
                        "objective's or a scalar constraint's (--at)")
    return value


def _let_views(compiled: Any, result: Result, name: str, at: str) -> tuple[Any, Any]:
    """A let at the worst case (as reported, for the objective's) and at the centers."""
    solution = nominal.decisions(compiled, result)
    reported = result.values.get(name)
    if at == "objective" and isinstance(reported, pd.Series):
        worst: Any = reported
    else:
        point = nominal.worst_point(compiled, result, at)
        if point is None:
            raise PlotError(f"no single worst case for '{at}' to evaluate let '{name}' at")
        worst = nominal.let_at(compiled, {**solution, **point}, name)
    middle = nominal.centers(compiled)
    center = None if middle is None else nominal.let_at(compiled, {**solution, **middle}, name)
    return worst, center


# ---- sweeps ----

def robustness_panel(table: TableResult, objective_name: str | None = None) -> Panel:
    """Per swept value: the robust solution's worst-case and nominal objectives, and the
    nominal problem's optimum (the gap to it is the price of robustness)."""
    param = _swept(table, "robustness")
    frame = table.table
    if any(c not in frame.columns for c in NOMINAL_COLUMNS):
        raise PlotError("a price-of-robustness plot needs each point's nominal view: sweep "
                        "a robust model with `saddle plot FILE --kind robustness --sweep "
                        "NAME=...` or compiler.sweep(..., nominal=True)")
    data = pd.DataFrame({
        "worst case (robust solution)": frame["objective"],
        "nominal (robust solution at the center)": frame["nominal_objective"],
        "nominal optimum": frame["nominal_optimum"]}).astype(float)
    objective = objective_name or "objective"
    return Panel(data, f"{table.model}: price of robustness over {param}", param, objective,
                 "lines")


def frontier_panel(table: TableResult, x: str | None = None, y: str | None = None,
                   objective_name: str | None = None) -> Panel:
    """`y` against `x` over the sweep's points (default: the objective against the param);
    each is the objective, the swept param, or a scalar let or decision."""
    param = _swept(table, "frontier")
    frame = table.table.reset_index()
    scalars = [c for c in frame.columns if c != "status" and not _LABELLED_COLUMN.match(str(c))]
    aliases = {objective_name: "objective"} if objective_name else {}
    chosen = []
    for axis, name in (("--x", x or param), ("--y", y or objective_name or "objective")):
        column = aliases.get(name, name)
        if column not in scalars:
            shown = [objective_name if c == "objective" and objective_name else c
                     for c in scalars]
            raise PlotError(f"{axis} '{name}': not a scalar of this sweep; choose one of: "
                            f"{', '.join(str(c) for c in shown)} (a let must be a scalar to "
                            "be reported per point)")
        chosen.append((name, column))
    (x_name, x_column), (y_name, y_column) = chosen
    solved = frame[frame["status"] == "optimal"]
    data = pd.DataFrame({y_name: solved[y_column].astype(float).to_numpy(),
                         param: solved[param].astype(float).to_numpy()},
                        index=pd.Index(solved[x_column].astype(float).to_numpy(), name=x_name))
    skipped = len(frame) - len(solved)
    notes = [f"{skipped} of {len(frame)} points were not optimal and are left out"] \
        if skipped else []
    title = (f"{table.model}: {y_name} over {param}" if x_column == param
             else f"{table.model}: efficient frontier over {param}")
    return Panel(data, title, x_name, y_name, "frontier", notes)


def _swept(table: TableResult, kind: str) -> str:
    names = list(table.table.index.names)
    if names == ["period"]:
        raise PlotError(f"a {kind} plot draws a sweep, and this table is a rolling run: pass "
                        "--sweep NAME=START:STOP:COUNT")
    if len(names) != 1:
        raise PlotError(f"a {kind} plot draws one solve per sweep point, and this sweep is "
                        "of a rolling model (a row per point and period)")
    return str(names[0])


def _axis(labels: list[Any]) -> pd.Index:
    """Labels as a plot axis: numbers stay numbers, ISO dates become dates, else text."""
    index = pd.Index(labels)
    if pd.api.types.is_numeric_dtype(index):
        return index
    texts = [str(v) for v in labels]
    if all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", t) for t in texts):
        return pd.DatetimeIndex(pd.to_datetime(texts, format="%Y-%m-%d"))
    return pd.Index(texts)
