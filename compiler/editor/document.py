"""What an editor needs from one model text: its diagnostics, declarations and bound data.

`analyze(text, path)` parses the text and runs the compiler's front (resolve, shapes,
units, then bind when the data files are readable), so the editor shows the same SpecError
codes as `saddle check`. Ranges are 0-based (line, character) as the Language Server
Protocol counts them; spans are 1-based (dsl/source.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsl import ast, parse
from dsl.depth import deep_stack
from dsl.errors import Diagnostic, SpecError
from dsl.source import Span

Position = tuple[int, int]  # 0-based line, character
Range = tuple[Position, Position]

# Data the editor cannot reach from here (a file given by --data at solve time) is a
# warning: the model may be right, only its data is elsewhere.
DATA_WARNINGS = frozenset({"E501", "E502"})


def utf16_column(row: str, column: int) -> int:
    """LSP counts a line's characters in UTF-16 code units (its default encoding); Python
    counts code points. They differ after a character outside the BMP (an emoji)."""
    return len(row[:column].encode("utf-16-le")) // 2


def code_point_column(row: str, character: int) -> int:
    """The inverse of `utf16_column`: a client's character offset as a str index."""
    units = 0
    for index, ch in enumerate(row):
        if units >= character:
            return index
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(row)


def span_range(span: Span) -> Range:
    """A span's LSP range; an empty span is widened to one character so an editor can
    underline it."""
    source = span.source
    start = (span.line - 1, utf16_column(source.line_text(span.line), span.column - 1))
    end = (span.end_line - 1,
           utf16_column(source.line_text(span.end_line), span.end_column - 1))
    if end <= start:
        end = (start[0], start[1] + 1)
    return start, end


@dataclass(frozen=True)
class Problem:
    """A diagnostic as the editor shows it."""

    code: str
    message: str
    range: Range
    warning: bool = False

    @staticmethod
    def of(diagnostic: Diagnostic, source_name: str) -> Problem:
        message = f"{diagnostic.message}\nhelp: {diagnostic.help}"
        message += "".join(f"\nnote: {note}" for note in diagnostic.notes)
        span = diagnostic.span
        if span.source.name != source_name:  # a span in another text (a --param value)
            span = span.source.whole()
        return Problem(diagnostic.code, message, span_range(span),
                       diagnostic.code in DATA_WARNINGS)


@dataclass
class Analysis:
    """One version of a document: what parsed, what the front computed, what is wrong."""

    text: str
    model: ast.Model | None = None
    resolved: Any = None  # compiler.passes.ir.Model
    shapes: Any = None
    units: Any = None
    bindings: Any = None
    problems: list[Problem] = field(default_factory=list)

    def declarations(self) -> dict[str, ast.Node]:
        """Every declared name (the model's own name excepted) -> its declaration."""
        return declarations(self.model) if self.model is not None else {}


def declarations(model: ast.Model) -> dict[str, ast.Node]:
    out: dict[str, ast.Node] = {}
    for decl in model.decls:
        if isinstance(decl, ast.ModelDecl | ast.RebalanceDecl):
            continue
        if isinstance(decl, ast.ConstraintsDecl):
            for con in decl.constraints:
                if con.name is not None:
                    out.setdefault(con.name, con)
            continue
        if isinstance(decl, ast.UncertainDecl):
            for con in decl.constraints:
                if con.name is not None:
                    out.setdefault(con.name, con)
        name = getattr(decl, "name", None)
        if name:
            out.setdefault(name, decl)
    return out


def source_name(path: str | None) -> str:
    """The name spans carry: the file's path, so relative csv(...) paths start at its folder."""
    return path if path else "<editor>"


@deep_stack  # the parser and the passes recurse per nesting level (dsl/depth.py)
def analyze(text: str, path: str | None = None) -> Analysis:
    """Parse and check `text` (the file at `path`, possibly unsaved). Never raises for a
    mistake in the model: each is a `Problem`."""
    name = source_name(path)
    analysis = Analysis(text)
    try:
        analysis.model = parse(text, name)
    except SpecError as exc:
        analysis.problems = [Problem.of(d, name) for d in exc.diagnostics]
        return analysis
    try:
        _front(analysis, path)
    except SpecError as exc:
        analysis.problems = [Problem.of(d, name) for d in exc.diagnostics]
    return analysis


def _front(analysis: Analysis, path: str | None) -> None:
    """resolve -> shapes -> units -> bind, as compiler/pipeline.py runs them, keeping each
    product for hover even when a later pass fails."""
    from compiler.data.bind import bind  # numeric: imported on first use, not at start-up
    from compiler.data.sandbox import Sandbox
    from compiler.passes.resolve import resolve
    from compiler.passes.shapes import check_shapes
    from compiler.passes.units import check_units

    model = analysis.model
    if model is None:
        return
    analysis.resolved = resolve(model)
    analysis.shapes = check_shapes(analysis.resolved)
    analysis.units = check_units(analysis.resolved, None)
    folder = Path(path).resolve().parent if path else Path.cwd()
    analysis.bindings = bind(analysis.resolved, analysis.shapes, None,
                             Sandbox.for_model(folder, None), analysis.units)
