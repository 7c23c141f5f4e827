"""An indented, stable text dump of a syntax tree (`saddle compile --emit ast`, golden files)."""

from __future__ import annotations

import dataclasses
import enum

from dsl.ast import Node

HIDDEN = {"span", "name_span", "func_span"}


def dump(node: Node, indent: int = 0) -> str:
    """One line per node: its class and scalar fields, then its children indented."""
    pad = "  " * indent
    scalars, children = [], []
    for field in dataclasses.fields(node):
        if field.name in HIDDEN:
            continue
        value = getattr(node, field.name)
        if isinstance(value, Node):
            children.append((field.name, [value]))
        elif isinstance(value, tuple) and value and all(isinstance(v, Node) for v in value):
            children.append((field.name, list(value)))
        elif value is not None and value != ():
            scalars.append(f"{field.name}={_scalar(value)}")
    lines = [f"{pad}{type(node).__name__}" + (f" {' '.join(scalars)}" if scalars else "")]
    for name, nodes in children:
        lines.append(f"{pad}  .{name}")
        lines.extend(dump(child, indent + 2) for child in nodes)
    return "\n".join(lines)


def _scalar(value: object) -> str:
    if isinstance(value, enum.Enum):
        return str(value.value)
    return repr(value)
