"""Saddle's compiler: checks a parsed model, lowers it to CVXPY, solves it, reports by name."""

from compiler.api import compile_model, load, loads
from compiler.engines import DaskEngine, LocalPool
from compiler.problem import CompiledModel
from compiler.result import Result, TableResult
from compiler.rolling import RollingModel
from compiler.sweep import sweep
from compiler.unit_values import InBaseUnits
from dsl.errors import SpecError

__all__ = ["CompiledModel", "DaskEngine", "InBaseUnits", "LocalPool", "Result", "RollingModel",
           "SpecError", "TableResult", "compile_model", "load", "loads", "sweep"]
