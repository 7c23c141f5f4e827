"""Plots of results, drawn with matplotlib (Agg, no display) and written to files.

    plot(compile_model(load("models/robust_mean.saddle")).solve(), "worst-case", "m.png")
    plot(sweep(model, "kappa", grid, nominal=True), "robustness", "price.png")

matplotlib is optional (`pip install "saddle-lang[plot]"`): it is imported only here, when a
plot is drawn, and its absence is a `PlotUnavailable` with the install line. What each
kind draws is `compiler/report/plot_data.py`; this module only draws a `Panel`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from compiler.report.plot_data import KINDS, Panel, PlotError, panel
from compiler.report.result import Result, TableResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["KINDS", "PlotError", "PlotUnavailable", "draw", "plot"]

FIGSIZE = (9.0, 5.0)


class PlotUnavailable(ImportError):
    """matplotlib is not installed."""


def plot(result: Result | TableResult, kind: str, path: str | Path | None = None, *,
         of: str | None = None, at: str | None = None, x: str | None = None,
         y: str | None = None, stacked: bool | None = None, title: str | None = None,
         objective_name: str | None = None) -> Figure:
    """Draw `kind` of `result` and write it to `path` (its suffix picks PNG, SVG or PDF).

    Args:
        result: a robust `Result` (worst-case), a rolling run's `TableResult` (allocation)
            or a sweep's (frontier; robustness needs `sweep(..., nominal=True)`).
        kind: allocation, worst-case, robustness or frontier.
        path: where to write the figure; None draws it only.
        of: allocation: the decision; worst-case: the uncertain quantity or a let indexed
            by one set (default: the first uncertain quantity).
        at: worst-case: whose worst case, the objective's or a robust constraint's
            (default: the objective's, else the one constraint's that has it).
        x, y: frontier: the scalars to draw (the objective, the swept param, a scalar let
            or decision); default: the objective against the param.
        stacked: allocation: stacked areas or lines (default: stacked if no position is
            negative).
        title: replaces the plot's title.
        objective_name: the objective's name, for labels and as an alias of `objective`.

    Returns:
        The matplotlib `Figure` (its axes carry the labels and the plotted data).

    Raises:
        PlotError: the kind does not fit the result, or a name is not there.
        PlotUnavailable: matplotlib is not installed.
        OSError: `path` cannot be written.
    """
    content = panel(result, kind, of=of, at=at, x=x, y=y, stacked=stacked,
                    objective_name=objective_name)
    if title is not None:
        content.title = title
    figure = draw(content)
    if path is not None:
        suffix = Path(path).suffix.lstrip(".").lower()
        formats = figure.canvas.get_supported_filetypes()
        if suffix and suffix not in formats:
            raise PlotError(f"cannot write a plot as '.{suffix}': use .png, .svg or .pdf "
                            f"(or {', '.join('.' + f for f in sorted(formats))})")
        try:
            figure.savefig(path, dpi=120)
        except OSError as exc:
            raise OSError(f"cannot write the plot to '{path}': "
                          f"{exc.strerror or exc}") from None
    return figure


def draw(content: Panel) -> Figure:
    """A `Panel` as a matplotlib Figure with an Agg canvas (no pyplot, no display)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotUnavailable("plots need matplotlib: pip install 'saddle-lang[plot]' (or "
                              "pip install matplotlib)") from None
    figure = Figure(figsize=FIGSIZE, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    STYLE_DRAWERS[content.style](ax, content)
    ax.set_title(content.title)
    ax.set_xlabel(content.xlabel)
    ax.set_ylabel(content.ylabel)
    if content.style != "heatmap":
        ax.grid(True, alpha=0.3)
    if content.notes:
        # a figure-level footer: the constrained layout keeps it clear of the x label
        figure.supxlabel("; ".join(content.notes), fontsize=8, alpha=0.7, style="italic")
    return figure


def _lines(ax: Axes, content: Panel) -> None:
    frame = content.frame
    steps = content.steps
    dashes = {"nominal optimum": "--", "nominal (set center)": "--"}
    for column in frame.columns:
        ax.plot(frame.index, frame[column].to_numpy(dtype=float), label=str(column),
                linestyle=dashes.get(str(column), "-"),
                marker="" if steps or len(frame) > 30 else "o", markersize=4,
                drawstyle="steps-post" if steps else "default")
    _shade(ax, content)
    _legend(ax, frame)


def _stacked(ax: Axes, content: Panel) -> None:
    frame = content.frame.fillna(0.0)
    ax.stackplot(frame.index, *[frame[c].to_numpy(dtype=float) for c in frame.columns],
                 labels=[str(c) for c in frame.columns], step="post", alpha=0.85)
    _shade(ax, content)
    _legend(ax, frame)


def _shade(ax: Axes, content: Panel) -> None:
    """Partial windows: a hatched band and a word, so a short period is not read as full."""
    for start, stop, label in content.shaded:
        ax.axvspan(start, stop, facecolor="none", edgecolor="black", hatch="//", alpha=0.5,
                   label=label)
        ax.annotate(label, (start, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(-2, -10), textcoords="offset points", ha="right", fontsize=7,
                    style="italic")


def _heatmap(ax: Axes, content: Panel) -> None:
    """A matrix: one labelled cell per (row, column), its value written in it if small."""
    frame = content.frame
    values = frame.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="viridis", aspect="auto")
    ax.set_xticks(np.arange(values.shape[1]), [str(c) for c in frame.columns], rotation=30,
                  ha="right")
    ax.set_yticks(np.arange(values.shape[0]), [str(r) for r in frame.index])
    ax.figure.colorbar(image, ax=ax, label=content.notes[0].removeprefix("colour: ")
                       if content.notes else None)
    if values.size <= 144:
        middle = (np.nanmax(values) + np.nanmin(values)) / 2
        for (i, j), value in np.ndenumerate(values):
            ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=8,
                    color="black" if value > middle else "white")


def _bars(ax: Axes, content: Panel) -> None:
    frame = content.frame
    positions = np.arange(len(frame))
    width = 0.8 / len(frame.columns)
    for k, column in enumerate(frame.columns):
        ax.bar(positions + (k - (len(frame.columns) - 1) / 2) * width,
               frame[column].to_numpy(dtype=float), width, label=str(column))
    ax.set_xticks(positions, [str(v) for v in frame.index], rotation=30, ha="right")
    ax.axhline(0.0, color="black", linewidth=0.6)
    _legend(ax, frame)


def _frontier(ax: Axes, content: Panel) -> None:
    frame = content.frame
    y_name, param = frame.columns
    ax.plot(frame.index, frame[y_name].to_numpy(dtype=float), marker="o", markersize=4,
            label=str(y_name))
    if frame.index.name == param:
        return  # the x axis is the param itself: no point needs its value written
    for x_value, y_value, swept in zip(frame.index, frame[y_name], frame[param], strict=True):
        ax.annotate(f"{param}={swept:.3g}", (x_value, y_value), textcoords="offset points",
                    xytext=(4, 4), fontsize=7, alpha=0.8)


def _legend(ax: Axes, frame: Any) -> None:
    if len(frame.columns) > 1:
        ax.legend(fontsize=8, loc="best")


STYLE_DRAWERS = {"lines": _lines, "stacked": _stacked, "bars": _bars, "frontier": _frontier,
                 "heatmap": _heatmap}
