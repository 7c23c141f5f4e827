"""Saddle's syntax: grammar, parser, AST, printer and errors. Imports nothing numeric."""

from dsl.errors import CODES, Diagnostic, SpecError, render
from dsl.parser import parse, parse_expression, parse_file
from dsl.printer import format_model
from dsl.source import Source, Span

__all__ = [
    "CODES",
    "Diagnostic",
    "Source",
    "Span",
    "SpecError",
    "format_model",
    "parse",
    "parse_expression",
    "parse_file",
    "render",
]

