"""`Result`: what a solve reports, by name, with set labels — and its JSON and table forms.

Values are floats (scalars), pandas Series (one index set) or DataFrames (two). Each named
constraint reports its value (the side that holds the decision), slack, dual and whether
it binds. A status other than "optimal" is data, explained in `notes`, never an exception.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import cvxpy as cp
import numpy as np
import pandas as pd

Labelled: TypeAlias = float | pd.Series | pd.DataFrame | None
SOLVER_OUTPUT_LINES = 20  # of a failed solve's output, in the table (JSON keeps it all)


@dataclass
class ConstraintReport:
    value: Labelled
    slack: Labelled
    dual: Labelled
    binding: bool | pd.Series | pd.DataFrame | None


@dataclass
class CertificateEntry:
    """The adversary's problem solved again at the decision, apart from the solve, for the
    objective or one robust constraint (each part of a chained one): `worst` is the
    worst-case value of the uncertain side (the objective's worst case), `limit` the other
    side at the decision (None for the objective), `slack` the measured one, `own` the
    solve's own worst case, `gap` |own - worst|; each element `certified` or not
    (compiler/backends/certificate.py says when)."""

    worst: Labelled
    limit: Labelled
    slack: Labelled
    own: Labelled
    gap: Labelled
    certified: bool | pd.Series | pd.DataFrame
    method: str = ""  # "closed form" or "conic" (the adversary's problem solved)
    # where the solve's own worst case lies above the measured one: LP-dual multipliers
    # that are feasible but not minimal make it an upper bound (compiler/backends/certificate.py)
    bound: bool | pd.Series | pd.DataFrame = False


@dataclass
class Result:
    model: str
    status: str
    objective: float | None
    objective_name: str
    sense: str
    values: dict[str, Labelled] = field(default_factory=dict)
    constraints: dict[str, ConstraintReport] = field(default_factory=dict)
    worst_case: dict[str, Any] = field(default_factory=dict)  # the adversary's choices only
    # robust models: the backend that solved it, the objective's saddle gap (|objective -
    # its worst case at the decision, solved again|) and the robustness certificate
    backend: str = ""
    gap: float | None = None
    certificate: dict[str, CertificateEntry] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    solver: str = ""
    solve_time: float = 0.0
    # what the solver printed, kept only when the solve did not end optimal
    solver_output: str = field(default="", repr=False)
    problem: cp.Problem | None = field(default=None, repr=False)
    # `saddle solve --risk` / compiler.report.risk.risk_report: DV01, key-rate and CS01 ladders
    risk: dict[str, Any] | None = None
    # worst cases over ambiguity sets, measured at the decision
    # (compiler/uncertainty/ambiguity_report.py)
    ambiguity: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the robust model that solved it: plots read its sets' centers (the nominal)
    compiled: Any = field(default=None, repr=False, compare=False)
    # infeasible or unbounded: computes the diagnosis (compiler/diagnosis/diagnose.py) when
    # first read
    explain: Callable[[], Any] | None = field(default=None, repr=False, compare=False)

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    @property
    def certified(self) -> bool | None:
        """Every certificate entry certified (None: no certificate, not a robust answer)."""
        if not self.certificate:
            return None
        return all(bool(np.all(np.asarray(e.certified, dtype=bool)))
                   for e in self.certificate.values())

    @functools.cached_property
    def diagnosis(self) -> Any:
        """Why an infeasible or unbounded model is so, in its own names (a
        `compiler.diagnosis.diagnose.Diagnosis`); None for other statuses."""
        return self.explain() if self.explain is not None else None

    @property
    def duals(self) -> dict[str, Labelled]:
        return {name: report.dual for name, report in self.constraints.items()}

    def __getitem__(self, name: str) -> Labelled:
        return self.values[name]

    def binding(self) -> list[str]:
        """Names of the constraints that bind (at least one label, for indexed ones)."""
        out = []
        for name, report in self.constraints.items():
            flag = report.binding
            if isinstance(flag, pd.Series | pd.DataFrame):
                if bool(np.asarray(flag, dtype=bool).any()):
                    out.append(name)
            elif flag:
                out.append(name)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "status": self.status,
            "objective": _plain(self.objective),
            "variables": {k: _plain(v) for k, v in self.values.items()},
            "constraints": {
                name: {"value": _plain(r.value), "dual": _plain(r.dual),
                       "slack": _plain(r.slack), "binding": _plain(r.binding)}
                for name, r in self.constraints.items()
            },
            "worst_case": {k: _plain(v) for k, v in self.worst_case.items()},
            **({"backend": self.backend, "gap": _plain(self.gap),
                "certificate": {name: {"worst": _plain(e.worst), "limit": _plain(e.limit),
                                       "slack": _plain(e.slack), "own": _plain(e.own),
                                       "gap": _plain(e.gap),
                                       "certified": _plain(e.certified),
                                       "bound": _plain(e.bound), "method": e.method}
                                for name, e in self.certificate.items()}}
               if self.backend else {}),
            **({"diagnosis": self.diagnosis.to_dict()} if self.diagnosis is not None else {}),
            **({"risk": {name: {k: _plain(v) for k, v in entry.items()}
                         for name, entry in self.risk.items()}} if self.risk is not None
               else {}),
            **({"ambiguity": self.ambiguity} if self.ambiguity else {}),
            "notes": list(self.notes),
            "solver": self.solver,
            "solve_time": self.solve_time,
            **({"solver_output": self.solver_output} if self.solver_output else {}),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_frame(self) -> pd.DataFrame:
        """One row per scalar value: `name` or `name[label]`, for CSV output."""
        from compiler.report.html import flat_rows  # the HTML module: only when it is used

        rows: list[tuple[str, Any]] = [(self.objective_name, self.objective)]
        for name, value in self.values.items():
            rows.extend(flat_rows(name, value))
        return pd.DataFrame(rows, columns=["name", "value"])

    def table(self) -> str:
        return format_table(self)

    def _repr_html_(self) -> str:  # Jupyter shows a Result as tables (compiler/report/html.py)
        from compiler.report.html import result_html

        return result_html(self)


@dataclass
class TableResult:
    """Many solves in one table: a row per rolling window (`period`) or sweep point.

    Columns: the index columns, one per decision value named `NAME[label]`, `objective`
    and `status`.
    """

    model: str
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    solver: str = ""
    solve_time: float = 0.0

    @property
    def status(self) -> str:
        statuses = set(self.table["status"])
        return "optimal" if statuses == {"optimal"} else ", ".join(sorted(statuses))

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    def to_frame(self) -> pd.DataFrame:
        return self.table.reset_index()

    def _repr_html_(self) -> str:  # Jupyter (compiler/report/html.py)
        from compiler.report.html import table_result_html

        return table_result_html(self)

    def to_dict(self) -> dict[str, Any]:
        rows = [{k: _plain(v) for k, v in row.items()}
                for row in self.to_frame().to_dict(orient="records")]
        return {"model": self.model, "status": self.status, "rows": rows,
                "notes": self.notes, "solver": self.solver, "solve_time": self.solve_time}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def table_text(self) -> str:
        text = self.table.to_string(float_format=lambda v: f"{v:.6g}")
        lines = [f"model {self.model}: {len(self.table)} rows, status {self.status} "
                 f"({self.solver}, {self.solve_time:.3f} s)", "", text]
        if self.notes:
            lines += ["", "notes:"] + [f"  - {n}" for n in self.notes]
        return "\n".join(lines)


def _plain(value: Any) -> Any:
    """JSON-ready: Series -> {label: v}, DataFrame -> {row: {col: v}}, NaN -> None."""
    if isinstance(value, pd.DataFrame):
        return {str(r): {str(c): _plain(value.loc[r, c]) for c in value.columns}
                for r in value.index}
    if isinstance(value, pd.Series):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.generic | float | int):
        number = float(value)
        return None if math.isnan(number) else number
    return value


def flat_values(values: dict[str, Labelled]) -> dict[str, Any]:
    """Every value as one column: `w[5Y]`, `m[x, 1]`, or the plain name for a scalar."""
    from compiler.report.html import flat_rows

    return {key: value for name, item in values.items() for key, value in flat_rows(name, item)}


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    number = float(value)
    return f"{number + 0.0:.6g}"  # + 0.0 turns a solver's -0 into 0


MAX_ROWS = 20


def _rows_text(value: pd.Series | pd.DataFrame) -> list[str]:
    shown = value.head(MAX_ROWS) if len(value) > MAX_ROWS else value
    text = shown.to_string(float_format=lambda v: f"{v:.6g}")
    lines = ["  " + row for row in text.splitlines()]
    if len(value) > MAX_ROWS:
        lines.append(f"  ... {len(value) - MAX_ROWS} more rows (--format csv or json shows all)")
    return lines


def format_table(result: Result) -> str:
    """The human-readable report printed by `saddle solve`."""
    lines = [f"model {result.model}",
             f"status     {result.status}  ({result.solver}, {result.solve_time:.3f} s)"]
    lines.append(f"objective  {result.sense} {result.objective_name} = "
                 f"{_number(result.objective)}")
    if result.backend:
        gap = "" if result.gap is None else f", saddle gap {_number(result.gap)}"
        lines.append(f"robust     {result.backend} backend{gap}")
    for name, value in result.values.items():
        lines.append("")
        if isinstance(value, pd.Series | pd.DataFrame):
            lines.append(f"{name}:")
            lines.extend(_rows_text(value))
        else:
            lines.append(f"{name} = {_number(value)}")
    if result.constraints:
        lines += ["", f"{'constraint':<24}{'value':>14}{'slack':>14}{'dual':>14}  binding"]
        for name, report in result.constraints.items():
            for label, value, slack, dual, binding in _constraint_rows(name, report):
                lines.append(f"{label:<24}{_number(value):>14}{_number(slack):>14}"
                             f"{_number(dual):>14}  {'yes' if binding else ''}")
    if result.worst_case:
        lines += ["", "worst case (the adversary's choice):"]
        for name, value in result.worst_case.items():
            if isinstance(value, dict):
                for quantity, chosen in value.items():
                    lines.append(f"  {name}: {quantity} =")
                    if isinstance(chosen, pd.Series | pd.DataFrame):
                        lines.extend(_rows_text(chosen))
                    else:
                        lines.append(f"    {chosen}")
            else:
                lines.append(f"  {name}: {value}")
    if result.certificate:
        lines += ["", "robustness certificate (the adversary's problem solved again at the "
                  "decision):", f"{'':<24}{'worst case':>14}{'limit':>14}{'slack':>14}"
                  f"{'gap':>12}  certified"]
        for name, entry in result.certificate.items():
            rows = _certificate_rows(name, entry)
            for label, worst, limit, slack, gap, flag, bound in rows[:MAX_ROWS]:
                verdict = "NO" if not flag else "yes (own value a bound)" if bound else "yes"
                lines.append(f"{label:<24}{_number(worst):>14}{_number(limit):>14}"
                             f"{_number(slack):>14}{_number(gap):>12}  {verdict}")
            if len(rows) > MAX_ROWS:
                lines.append(f"  ... {len(rows) - MAX_ROWS} more rows (--format json shows "
                             "all)")
    if result.ambiguity:
        from compiler.uncertainty.ambiguity_report import format_ambiguity

        lines += ["", *format_ambiguity(result.ambiguity)]
    if result.diagnosis is not None:
        lines += ["", *result.diagnosis.lines()]
    if result.risk is not None:
        from compiler.report.risk import format_risk

        lines += ["", format_risk(result.risk)]
    if result.notes:
        lines += ["", "notes:"]
        lines.extend(f"  - {note}" for note in result.notes)
    if result.solver_output.strip():
        shown = result.solver_output.strip().splitlines()[-SOLVER_OUTPUT_LINES:]
        lines += ["", f"solver output (last {len(shown)} lines):", *(f"  {s}" for s in shown)]
    return "\n".join(lines)


def _constraint_rows(name: str, report: ConstraintReport) -> list[tuple[str, Any, Any, Any, Any]]:
    if isinstance(report.slack, pd.Series):
        return [(f"{name}[{label}]", _at(report.value, label), report.slack[label],
                 _at(report.dual, label), _at(report.binding, label))
                for label in report.slack.index]
    if isinstance(report.slack, pd.DataFrame):
        return [(f"{name}[{r}, {c}]", _at2(report.value, r, c), report.slack.loc[r, c],
                 _at2(report.dual, r, c), _at2(report.binding, r, c))
                for r in report.slack.index for c in report.slack.columns]
    return [(name, report.value, report.slack, report.dual, report.binding)]


def _certificate_rows(name: str, entry: CertificateEntry) -> list[tuple[Any, ...]]:
    """One row per element: label, worst case, limit, slack, gap, certified, bound."""
    if isinstance(entry.worst, pd.Series):
        return [(f"{name}[{label}]", entry.worst[label], _at(entry.limit, label),
                 _at(entry.slack, label), _at(entry.gap, label),
                 bool(_at(entry.certified, label)), bool(_at(entry.bound, label)))
                for label in entry.worst.index]
    if isinstance(entry.worst, pd.DataFrame):
        return [(f"{name}[{r}, {c}]", entry.worst.loc[r, c], _at2(entry.limit, r, c),
                 _at2(entry.slack, r, c), _at2(entry.gap, r, c),
                 bool(_at2(entry.certified, r, c)), bool(_at2(entry.bound, r, c)))
                for r in entry.worst.index for c in entry.worst.columns]
    return [(name, entry.worst, entry.limit, entry.slack, entry.gap, bool(entry.certified),
             bool(entry.bound))]


def _at(value: Any, label: Any) -> Any:
    return value[label] if isinstance(value, pd.Series) else value


def _at2(value: Any, row: Any, col: Any) -> Any:
    return value.loc[row, col] if isinstance(value, pd.DataFrame) else value
