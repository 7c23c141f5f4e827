"""Timing and profiling helpers shared by the benchmark scripts (not a benchmark)."""

from __future__ import annotations

import functools
import io
import pstats
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Seconds spent in each wrapped compiler function, summed over a run (clear it per run).
PASS_TIMES: dict[str, float] = defaultdict(float)


def timed(label: str, fn: Callable) -> Callable:
    """`fn`, adding its wall time to PASS_TIMES[label] on every call."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            PASS_TIMES[label] += time.perf_counter() - start
    return wrapper


def pass_timer(step: Callable) -> Callable:
    """The hook for `compile_model(..., hook=pass_timer)`: each pass's time, by its name."""
    return timed(step.__name__, step)


def instrument(targets: tuple[tuple[Any, str, str], ...]) -> None:
    """Time functions inside a backend (owner, name, label). A name that no longer exists
    stops the benchmark: a silent skip once timed a function that had been removed."""
    for owner, name, label in targets:
        fn = getattr(owner, name, None)
        if not callable(fn):
            raise SystemExit(f"benchmark out of date: {getattr(owner, '__name__', owner)}."
                             f"{name} no longer exists")
        setattr(owner, name, timed(label, fn))


ALL_CUMULATIVE = ("all functions, by cumulative time", "cumulative", ())
SADDLE_CUMULATIVE = ("Saddle's own functions (dsl/, compiler/), by cumulative time",
                     "cumulative", (re.escape(str(ROOT)) + r"/(dsl|compiler)/",))
ALL_OWN = ("all functions, by own time", "tottime", ())


def print_profile(profiler: Any, heading: str, top: int,
                  tables: tuple[tuple[str, str, tuple[str, ...]], ...] = (
                      ALL_CUMULATIVE, SADDLE_CUMULATIVE, ALL_OWN)) -> None:
    """Print cProfile tables, paths shortened to the repository and site-packages."""
    for title, order, restriction in tables:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(*restriction, top)
        print(f"\ncProfile of {heading}: {title} (top {top})")
        for line in out.getvalue().splitlines():
            if line.strip() and not line.startswith(("   Ordered", "   List")):
                print(line.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", ""))
