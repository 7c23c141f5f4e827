"""Saddle's compiler: checks a parsed model, lowers it to CVXPY, solves it, reports by name.

The names below load on first use (PEP 562), so `saddle --help` and `saddle fmt` do not
import cvxpy, pandas or scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compiler.api import compile_model, load, loads
    from compiler.engines import DaskEngine, LocalPool
    from compiler.problem import CompiledModel
    from compiler.result import Result, TableResult
    from compiler.rolling import RollingModel
    from compiler.sweeps import sweep
    from compiler.unit_values import InBaseUnits
    from dsl.errors import SpecError

_WHERE = {"compile_model": "compiler.api", "load": "compiler.api", "loads": "compiler.api",
          "DaskEngine": "compiler.engines", "LocalPool": "compiler.engines",
          "CompiledModel": "compiler.problem", "Result": "compiler.result",
          "TableResult": "compiler.result", "RollingModel": "compiler.rolling",
          "sweep": "compiler.sweeps", "InBaseUnits": "compiler.unit_values",
          "SpecError": "dsl.errors"}

__all__ = ["CompiledModel", "DaskEngine", "InBaseUnits", "LocalPool", "Result", "RollingModel",
           "SpecError", "TableResult", "compile_model", "load", "loads", "sweep"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'compiler' has no attribute '{name}'")
    return getattr(importlib.import_module(_WHERE[name]), name)
