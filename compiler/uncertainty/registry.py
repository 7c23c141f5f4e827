"""The uncertainty sets by DSL name, found in `compiler/uncertainty/sets/`.

Every class a module of that package defines (its name not starting with `_`) is
registered under its `name` at import: adding a set is one module there. The block sets
(`blocks.py`) register themselves in `ALL` too. `register` refuses a class that misses any
method `UncertaintySet` declares, so a set added without, say, its support function fails
at import, naming the method, instead of reaching a backend.

This module and `sets/` import no compiler pass (only base types), so the builtins'
registry can read the sets' signatures from it without an import cycle.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from compiler.builtins.signatures import Context, Signature
from compiler.uncertainty import sets as sets_package
from compiler.uncertainty.base import StandardSet, UncertaintySet


class IncompleteSet(TypeError):
    """A set class that cannot be used: a method or a declaration is missing."""


NAMED: dict[str, type[StandardSet]] = {}  # DSL name -> class
ALL: list[type[UncertaintySet]] = []  # every registered class, blocks included


def register(cls: type[UncertaintySet]) -> type[UncertaintySet]:
    """Check and record one set class.

    Raises:
        IncompleteSet: an abstract method is not implemented, or the doc line, the DSL
            name or the signature of a set written as a call is missing or taken.
    """
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing or inspect.isabstract(cls):
        raise IncompleteSet(f"uncertainty set {cls.__name__} does not implement "
                            f"{', '.join(missing)}: every set must provide each method of "
                            "UncertaintySet (compiler/uncertainty/base.py)")
    if not isinstance(getattr(cls, "doc", None), str) or not cls.doc:
        raise IncompleteSet(f"uncertainty set {cls.__name__} has no doc line")
    if issubclass(cls, StandardSet):
        name = getattr(cls, "name", None)
        signature = getattr(cls, "signature", None)
        if not isinstance(name, str) or not name:
            raise IncompleteSet(f"uncertainty set {cls.__name__} has no DSL name")
        if not isinstance(signature, Signature) or signature.context is not \
                Context.UNCERTAINTY:
            raise IncompleteSet(f"uncertainty set {cls.__name__} needs a signature with "
                                "context=Context.UNCERTAINTY (its arguments, for resolve)")
        if name in NAMED and NAMED[name] is not cls:
            raise IncompleteSet(f"two uncertainty sets are named '{name}': "
                                f"{NAMED[name].__name__} and {cls.__name__}")
        NAMED[name] = cls
    if cls not in ALL:
        ALL.append(cls)
    return cls


def _discover() -> None:
    for info in sorted(pkgutil.iter_modules(sets_package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{sets_package.__name__}.{info.name}")
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, UncertaintySet) and \
                    value.__module__ == module.__name__ and not value.__name__.startswith("_"):
                register(value)


_discover()
