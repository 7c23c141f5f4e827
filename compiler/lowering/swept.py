"""The cvxpy Parameters a sweep's lowering substitutes for its param
(compiler/lowering/parametric.py sets them around the `lower_problem` pass; `lower` hands
them to its evaluator)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_active = threading.local()  # per thread: the deep-stack thread that runs the passes


def active_parameters() -> dict[Any, Any]:
    """{param symbol: cp.Parameter} while a sweep's compile lowers its model, else empty."""
    return getattr(_active, "parameters", {})


@contextmanager
def lowering_with(parameters: dict[Any, Any]) -> Iterator[None]:
    _active.parameters = parameters
    try:
        yield
    finally:
        _active.parameters = {}
