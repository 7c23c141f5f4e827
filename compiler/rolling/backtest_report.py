"""A backtest's report: a row per rebalance and a summary, as text, JSON, CSV and a plot.

Summary (P&L in the model's own money units, per holding period):
    periods, total P&L, annualized return = total P&L / years held (each period 1 / periods
    per year, a partial one its share f of that: backtest_periods.held_shares; with full
    periods the mean P&L x periods per year), annualized volatility = sqrt(periods per year
    x sum((P&L - rate f)^2 / f) / (periods - 1)) with rate = total / sum(f) (the standard
    deviation, ddof 1, when every f is 1), Sharpe = their ratio (no risk-free rate), max
    drawdown = the largest fall of cumulative P&L from its running
    peak (cumulative P&L starts at 0), hit rate = share of periods with P&L > 0, average
    turnover (sum of |book change| per rebalance), total costs when the model names them.
With a benchmark: its summary too, and the active P&L's (yours minus the benchmark's).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compiler.data.bindings import Bindings
from compiler.passes.symbols import Symbol


def book_columns(symbol: Symbol, value: Any, bindings: Bindings) -> dict[str, float]:
    """A decision as report columns `name[label, ...]` (as a rolling solve's table)."""
    if not symbol.index:
        return {symbol.name: float(np.asarray(value, dtype=float)) + 0.0}
    labels = [bindings.labels_of(s) for s in symbol.index]
    flat = np.asarray(value, dtype=float)
    out = {}
    for position in np.ndindex(*flat.shape):
        key = ", ".join(str(labels[a][i]) for a, i in enumerate(position))
        out[f"{symbol.name}[{key}]"] = float(flat[position]) + 0.0  # no "-0" in reports
    return out


def summarize(pnl: pd.Series, turnover: pd.Series | None, periods_per_year: float,
              costs: pd.Series | None = None, shares: pd.Series | None = None
              ) -> dict[str, float]:
    """The summary statistics of a P&L series (see the module docstring); `shares`: each
    period's share of a full holding period (default 1), aligned with `pnl`."""
    values = pnl.to_numpy(dtype=float)
    n = len(values)
    held = np.ones(n) if shares is None else \
        shares.reindex(pnl.index).fillna(1.0).to_numpy(dtype=float)
    rate = float(values.sum() / held.sum()) if n else math.nan  # P&L per full period
    spread = (values - rate * held) / np.sqrt(held)  # each period's surprise, per full one
    std = math.sqrt(float(np.sum(spread ** 2)) / (n - 1)) if n > 1 else math.nan
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    drawdown = float(np.max(np.maximum.accumulate(cumulative) - cumulative))
    ann_return = rate * periods_per_year
    ann_vol = std * math.sqrt(periods_per_year)
    out: dict[str, float] = {"periods": n, "periods_per_year": periods_per_year,
           "total_pnl": float(values.sum()), "annualized_return": ann_return,
           "annualized_volatility": ann_vol,
           "sharpe": ann_return / ann_vol if ann_vol > 0 else math.nan,
           "max_drawdown": drawdown,
           "hit_rate": float((values > 0).mean()) if n else math.nan}
    if turnover is not None:
        out["average_turnover"] = float(turnover.mean()) if n else math.nan
    if costs is not None:
        out["total_costs"] = float(costs.sum())
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


@dataclass
class BacktestResult:
    """A backtest: `periods` (a row per rebalance date), `summary`, `notes`."""

    model: str
    periods: pd.DataFrame
    summary: dict[str, float]
    notes: list[str] = field(default_factory=list)
    solver: str = ""
    solve_time: float = 0.0
    pnl_name: str = "pnl"
    benchmark: dict[str, dict[str, Any]] = field(default_factory=dict)
    # each period's share of a full holding period, by rebalance date (None: all full)
    shares: pd.Series | None = None

    @classmethod
    def from_rows(cls, model: str, rows: list[dict[str, Any]], notes: list[str],
                  solver: str, elapsed: float, pnl_name: str, costs_name: str | None,
                  periods_per_year: float, shares: list[float] | None = None
                  ) -> BacktestResult:
        table = pd.DataFrame(rows).set_index("period")
        held = pd.Series(shares, index=table.index) if shares is not None and \
            len(shares) == len(table) else None
        summary = summarize(table["pnl"], table["turnover"], periods_per_year,
                            table["costs"] if costs_name else None, held)
        if costs_name and costs_name != "costs":
            notes.append(f"costs are the let '{costs_name}' over the holding period")
        return cls(model, table, summary, notes, solver, elapsed, pnl_name, shares=held)

    @property
    def status(self) -> str:
        """"optimal" if every period of this backtest (and of its benchmark) was."""
        columns = [c for c in ("status", "benchmark_status") if c in self.periods]
        statuses = set(self.periods[columns].stack().dropna())
        return "optimal" if statuses == {"optimal"} else ", ".join(sorted(statuses))

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    @property
    def cumulative(self) -> pd.Series:
        return self.periods["pnl"].cumsum()

    def against(self, other: BacktestResult) -> BacktestResult:
        """This backtest with another's P&L beside it (matched by rebalance date)."""
        theirs = other.periods["pnl"].reindex(self.periods.index)
        table = self.periods.copy()
        at = list(table.columns).index("pnl") + 1
        table.insert(at, "benchmark_pnl", theirs)
        table.insert(at + 1, "active_pnl", table["pnl"] - theirs)
        table["benchmark_status"] = other.periods["status"].reindex(self.periods.index)
        ppy = self.summary["periods_per_year"]
        active = summarize(table["active_pnl"].dropna(), None, ppy, shares=self.shares)
        active["information_ratio"] = active.pop("sharpe")
        benchmark: dict[str, Any] = {"model": other.model, **summarize(
            theirs.dropna(), other.periods["turnover"], ppy, shares=self.shares)}
        notes = self.notes + [f"benchmark: model '{other.model}', backtested on the same "
                              "dates"]
        missed = other.periods.index[other.periods["status"] != "optimal"]
        if len(missed):  # its book was held there: a P&L, but not the benchmark's decision
            notes.append(f"benchmark: {len(missed)} of {len(other.periods)} periods not solved "
                         f"to optimality ({other.status}), first {missed[0]}: the benchmark "
                         "held its previous book there")
        return BacktestResult(self.model, table, self.summary, notes, self.solver,
                              self.solve_time + other.solve_time, self.pnl_name,
                              {"summary": benchmark, "active": active}, self.shares)

    def to_frame(self) -> pd.DataFrame:
        return self.periods.reset_index()

    def to_dict(self) -> dict[str, Any]:
        rows = [{k: _plain(v) for k, v in row.items()}
                for row in self.to_frame().to_dict(orient="records")]
        out: dict[str, Any] = {
            "model": self.model, "status": self.status, "pnl": self.pnl_name,
            "rows": rows, "summary": {k: _plain(v) for k, v in self.summary.items()},
            "notes": self.notes, "solver": self.solver, "solve_time": self.solve_time}
        if self.benchmark:
            out["benchmark"] = {part: {k: _plain(v) for k, v in values.items()}
                                for part, values in self.benchmark.items()}
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_csv(self) -> str:
        """The per-period table (one CSV table; the summary is in the text and JSON)."""
        return self.to_frame().to_csv(index=False, float_format="%.12g").rstrip("\n")

    def summary_text(self) -> str:
        rows = [("periods", f"{int(self.summary['periods'])}"),
                ("total P&L", _num(self.summary["total_pnl"])),
                ("annualized return", _num(self.summary["annualized_return"])),
                ("annualized volatility", _num(self.summary["annualized_volatility"])),
                ("Sharpe", _num(self.summary["sharpe"])),
                ("max drawdown", _num(self.summary["max_drawdown"])),
                ("hit rate", f"{self.summary['hit_rate']:.1%}"),
                ("average turnover", _num(self.summary["average_turnover"]))]
        if "total_costs" in self.summary:
            rows.append(("total costs", _num(self.summary["total_costs"])))
        if self.benchmark:
            bench, active = self.benchmark["summary"], self.benchmark["active"]
            rows += [(f"benchmark ({bench['model']}) total P&L", _num(bench["total_pnl"])),
                     ("benchmark Sharpe", _num(bench["sharpe"])),
                     ("active annualized return", _num(active["annualized_return"])),
                     ("information ratio", _num(active["information_ratio"]))]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)

    def table_text(self) -> str:
        text = self.periods.to_string(float_format=lambda v: f"{v:.6g}")
        lines = [f"model {self.model}: backtest of {len(self.periods)} periods, realized "
                 f"P&L '{self.pnl_name}', status {self.status} ({self.solver}, "
                 f"{self.solve_time:.3f} s)", "", text, "", "summary:", self.summary_text()]
        if self.notes:
            lines += ["", "notes:"] + [f"  - {n}" for n in self.notes]
        return "\n".join(lines)

    def plot(self, path: str | Path | None = None) -> Any:
        """The cumulative P&L (and the benchmark's) as a matplotlib Figure; saved to
        `path` when given. Raises `compiler.report.plot.PlotUnavailable` without matplotlib."""
        from compiler.report.plot import PlotUnavailable

        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError:
            raise PlotUnavailable("plots need matplotlib: pip install 'saddle-lang[plot]' "
                                  "(or pip install matplotlib)") from None
        figure = Figure(figsize=(9.0, 5.0), layout="constrained")
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
        dates = pd.to_datetime(self.periods["held_until"], errors="coerce")
        x = dates if not dates.isna().any() else np.arange(len(self.periods))
        ax.plot(x, self.periods["pnl"].cumsum().to_numpy(), label=self.model)
        if "benchmark_pnl" in self.periods:
            ax.plot(x, self.periods["benchmark_pnl"].cumsum().to_numpy(),
                    label=str(self.benchmark["summary"]["model"]), linestyle="--")
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_title(f"{self.model}: cumulative realized P&L ('{self.pnl_name}'), Sharpe "
                     f"{_num(self.summary['sharpe'])}")
        ax.set_xlabel("end of holding period")
        ax.set_ylabel("cumulative P&L")
        ax.grid(True, alpha=0.3)
        ax.legend()
        if path is not None:
            figure.savefig(str(path))
        return figure


def _num(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.6g}"
