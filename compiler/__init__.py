"""Saddle's compiler: checks a parsed model, lowers it to CVXPY, solves it, reports by name."""

from compiler.api import compile_model, load, loads
from compiler.problem import CompiledModel
from compiler.result import Result
from dsl.errors import SpecError

__all__ = ["CompiledModel", "Result", "SpecError", "compile_model", "load", "loads"]
