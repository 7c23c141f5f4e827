"""Builtin functions, one record each (compiler/builtins/registry.py, class `Builtin`).

Every pass reads the registry: resolve (signatures), shapes, units, evaluate (lowering),
discipline (hints), lift (batched calls), the docs table (`python -m compiler.builtins.docs`).
Adding a builtin is one `Builtin(...)` in the module of its role (or a new module here,
found by `_register_every_module`), plus its tests.
"""

from __future__ import annotations

import importlib
import pkgutil

from compiler.builtins.registry import (
    REGISTRY,
    Builtin,
    Context,
    Facts,
    IncompleteBuiltin,
    Registry,
    ShapeCall,
    ShapeRule,
    Signature,
    UnitCall,
    UnitsRule,
    lookup,
    names,
    register,
)
from compiler.builtins.risk import cvar_of_sample, data_factor, lower_cvar


def _register_every_module() -> None:
    """Import each module of this package: a module's records register themselves, so a
    builtin in a new module needs no line here."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name != "docs":  # the docs generator registers nothing
            importlib.import_module(f"{__name__}.{info.name}")


_register_every_module()

__all__ = ["REGISTRY", "Builtin", "Context", "Facts", "IncompleteBuiltin", "Registry",
           "ShapeCall", "ShapeRule", "Signature", "UnitCall", "UnitsRule", "cvar_of_sample",
           "data_factor", "lookup", "lower_cvar", "names", "register"]
