"""HTML for notebooks: `Result._repr_html_` and `TableResult._repr_html_`
(compiler/report/result.py).

The same facts as `Result.table()` in tables: the objective, every value by label, the
constraints with the binding ones marked, the adversary's worst case, the certificate and
the notes. Every text from a model or its data (names, labels, notes) is escaped: a label
is data, never markup.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

import numpy as np
import pandas as pd

MAX_ROWS = 50  # of one value or table; the rest is counted, `to_frame()` has them all
STYLE = ("<style>.saddle-result table{border-collapse:collapse;margin:0.2em 0 0.8em}"
         ".saddle-result td,.saddle-result th{padding:0.1em 0.6em;text-align:right}"
         ".saddle-result tr.binding td{font-weight:bold}</style>")


def number(value: Any) -> str:
    """A value as the text table prints it: 6 significant digits, '-' for missing."""
    if value is None:
        return "-"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return escape(str(value))
    return "-" if math.isnan(number) else f"{number + 0.0:.6g}"


def _table(header: list[str], rows: list[list[str]], classes: list[str] | None = None,
           total: int | None = None) -> str:
    """Cells are already escaped (header cells are escaped here)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        css = f' class="{classes[i]}"' if classes and classes[i] else ""
        body.append(f"<tr{css}>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    more = total - len(rows) if total is not None else 0
    if more > 0:
        body.append(f'<tr><td colspan="{len(header)}">... {more} more rows</td></tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def labelled(value: Any) -> str:
    """A scalar, a Series (one row per label) or a DataFrame (labels on both axes)."""
    if isinstance(value, pd.DataFrame):
        shown = value.iloc[:MAX_ROWS]
        rows = [[f"<b>{escape(str(r))}</b>"] + [number(shown.loc[r, c]) for c in shown.columns]
                for r in shown.index]
        return _table([""] + [str(c) for c in shown.columns], rows, total=len(value))
    if isinstance(value, pd.Series):
        rows = [[f"<b>{escape(str(k))}</b>", number(v)] for k, v in value.iloc[:MAX_ROWS].items()]
        return _table([str(value.index.name or ""), "value"], rows, total=len(value))
    return number(value)


def flat_rows(name: str, value: Any) -> list[tuple[str, Any]]:
    """(`name[label]`, element) for every element of a Series or DataFrame, (`name`, value)
    for a scalar. Here, not in result.py, because result.py imports this module."""
    if isinstance(value, pd.DataFrame):
        return [(f"{name}[{r}, {c}]", value.loc[r, c]) for r in value.index
                for c in value.columns]
    if isinstance(value, pd.Series):
        return [(f"{name}[{k}]", v) for k, v in value.items()]
    return [(name, value)]


def _at(value: Any, position: int) -> Any:
    """The element of an indexed report at the position of its flattened label."""
    if isinstance(value, pd.Series | pd.DataFrame):
        flat = np.asarray(value).reshape(-1)
        return flat[position] if position < flat.size else None
    return value


def constraints_html(constraints: dict[str, Any]) -> str:
    rows, classes = [], []
    for name, report in constraints.items():
        for position, (label, slack) in enumerate(flat_rows(name, report.slack)):
            binding = bool(_at(report.binding, position))
            rows.append([f"<b>{escape(label)}</b>", number(_at(report.value, position)),
                         number(slack), number(_at(report.dual, position)),
                         "yes" if binding else ""])
            classes.append("binding" if binding else "")
    shown = rows[:MAX_ROWS]
    return _table(["constraint", "value", "slack", "dual", "binding"], shown,
                  classes[:MAX_ROWS], total=len(rows))


def worst_case_html(worst_case: dict[str, Any]) -> str:
    parts = []
    for name, value in worst_case.items():
        chosen = value if isinstance(value, dict) else {"": value}
        for quantity, item in chosen.items():
            title = f"{name}: {quantity}" if quantity else name
            parts.append(f"<p>{escape(title)}</p>{labelled(item)}")
    return "".join(parts)


def certificate_html(certificate: dict[str, Any]) -> str:
    rows = []
    for name, entry in certificate.items():
        flags = np.asarray(entry.certified, dtype=bool)
        bound = bool(np.any(np.asarray(entry.bound, dtype=bool)))
        verdict = ("yes (own value a bound)" if bound else "yes") if flags.all() else "NO"
        worst = entry.worst if not isinstance(entry.worst, pd.Series | pd.DataFrame) else None
        rows.append([f"<b>{escape(name)}</b>", number(worst), escape(entry.method),
                     escape(verdict)])
    return _table(["", "worst case", "method", "certified"], rows)


def _notes(notes: list[str]) -> str:
    if not notes:
        return ""
    return "<p>notes:</p><ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>"


def result_html(result: Any) -> str:
    """The HTML of one solve's `Result`."""
    out = [STYLE, '<div class="saddle-result">',
           f"<p><b>model {escape(result.model)}</b> — status <b>{escape(result.status)}</b>"
           f" ({escape(result.solver)}, {result.solve_time:.3f} s)</p>",
           f"<p>{escape(result.sense)} {escape(result.objective_name)} = "
           f"<b>{number(result.objective)}</b>"]
    if result.backend:
        gap = "" if result.gap is None else f", saddle gap {number(result.gap)}"
        out.append(f"<br>robust: {escape(result.backend)} backend{gap}")
    out.append("</p>")
    scalars = {k: v for k, v in result.values.items()
               if not isinstance(v, pd.Series | pd.DataFrame)}
    if scalars:
        out.append(_table(["value", ""], [[f"<b>{escape(k)}</b>", number(v)]
                                          for k, v in scalars.items()]))
    for name, value in result.values.items():
        if name not in scalars:
            out.append(f"<p>{escape(name)}</p>{labelled(value)}")
    if result.constraints:
        binding = result.binding()
        out.append("<p>constraints (binding: "
                   f"{escape(', '.join(binding)) if binding else 'none'})</p>")
        out.append(constraints_html(result.constraints))
    if result.worst_case:
        out.append("<p>worst case (the adversary's choice)</p>")
        out.append(worst_case_html(result.worst_case))
    if result.certificate:
        out.append("<p>robustness certificate</p>" + certificate_html(result.certificate))
    if result.diagnosis is not None:
        out.append("<pre>" + escape("\n".join(result.diagnosis.lines())) + "</pre>")
    out.append(_notes(result.notes))
    out.append("</div>")
    return "".join(out)


def table_result_html(result: Any) -> str:
    """The HTML of a `TableResult`: a row per window or sweep point."""
    table = result.table.reset_index()
    shown = table.iloc[:MAX_ROWS]
    rows = [[escape(str(v)) if isinstance(v, str) or not np.isscalar(v)
             or isinstance(v, pd.Timestamp) else number(v) for v in row]
            for row in shown.itertuples(index=False)]
    return "".join([
        STYLE, '<div class="saddle-result">',
        f"<p><b>model {escape(result.model)}</b> — {len(table)} rows, status "
        f"<b>{escape(result.status)}</b> ({escape(result.solver)}, "
        f"{result.solve_time:.3f} s)</p>",
        _table([str(c) for c in table.columns], rows, total=len(table)),
        _notes(result.notes), "</div>"])
