"""The embedding API, in the json-module style: `loads(text)`, `load(path)`, `compile_model`.

    from compiler import load, compile_model
    result = compile_model(load("models/treasury.saddle"), params={"capital": 300}).solve()
    result.values["w"]        # a pandas Series indexed by tenor
"""

from __future__ import annotations

from pathlib import Path

from compiler.pipeline import compile_model
from dsl import ast, parse, parse_file


def loads(text: str, name: str = "<string>") -> ast.Model:
    """Parse a model from a string. Raises `SpecError` on a syntax error."""
    return parse(text, name)


def load(path: str | Path) -> ast.Model:
    """Parse a `.saddle` file. Raises `SpecError`, or `OSError` if it cannot be read."""
    return parse_file(path)


__all__ = ["compile_model", "load", "loads"]
