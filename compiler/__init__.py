"""Saddle's compiler: checks a parsed model, lowers it to CVXPY, solves it, reports by name.

The names below load on first use (PEP 562), so `saddle --help` and `saddle fmt` do not
import cvxpy, pandas or scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compiler.api import compile_model, load, loads
    from compiler.backends.plain import CompiledModel
    from compiler.passes.unit_values import InBaseUnits
    from compiler.report.result import Result, TableResult
    from compiler.rolling.engines import DaskEngine, LocalPool
    from compiler.rolling.rolling_model import RollingModel
    from compiler.rolling.sweeps import sweep
    from dsl.errors import SpecError

_WHERE = {"compile_model": "compiler.api", "load": "compiler.api", "loads": "compiler.api",
          "DaskEngine": "compiler.rolling.engines", "LocalPool": "compiler.rolling.engines",
          "CompiledModel": "compiler.backends.plain", "Result": "compiler.report.result",
          "TableResult": "compiler.report.result", "RollingModel": "compiler.rolling.rolling_model",
          "sweep": "compiler.rolling.sweeps", "InBaseUnits": "compiler.passes.unit_values",
          "SpecError": "dsl.errors"}

__all__ = ["CompiledModel", "DaskEngine", "InBaseUnits", "LocalPool", "Result", "RollingModel",
           "SpecError", "TableResult", "compile_model", "load", "loads", "sweep"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'compiler' has no attribute '{name}'")
    return getattr(importlib.import_module(_WHERE[name]), name)
