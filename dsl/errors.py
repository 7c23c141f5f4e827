"""The one user-facing error type, `SpecError`, its `Diagnostic`s and the error-code registry.

A diagnostic renders in gcc/rustc style so editors and CI annotate it:

    models/treasury.saddle:17:14: error[E201]: undefined name 'yeild'
       |
    17 |     sum(w * (yeild - repo))
       |              ^^^^^
       = help: did you mean 'yield'? It is declared as a param on line 5.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dsl.source import Span

# code -> title. The first digit is the stage: 1 syntax, 2 names and structure, 3 index sets,
# shapes and units, 4 convexity and exact forms, 5 data, 9 internal. Every code has a golden
# invalid model.
CODES: dict[str, str] = {
    "E100": "unexpected token",
    "E101": "unexpected character",
    "E102": "unexpected end of file",
    "E103": "inconsistent indentation",
    "E104": "missing ':' after a name",
    "E105": "unterminated string",
    "E106": "missing '=' in a declaration",
    "E201": "undefined name",
    "E202": "duplicate name",
    "E203": "no objective",
    "E204": "more than one objective",
    "E205": "missing or repeated model header",
    "E206": "name used as the wrong kind",
    "E207": "unknown function",
    "E208": "bad arguments",
    "E209": "decision or uncertain quantity in data",
    "E210": "uncertain quantity outside the adversary's reach",
    "E211": "bad declaration",
    "E212": "constraint without a name",
    "E301": "index sets do not align",
    "E302": "nothing to contract",
    "E303": "wrong index for a function argument",
    "E304": "objective is not a scalar",
    "E305": "literal does not fit its declared index",
    "E306": "unknown label",
    "E307": "units do not match",
    "E308": "unknown unit",
    "E309": "a value mixes numbers with and without a unit",
    "E401": "objective has the wrong curvature",
    "E402": "constraint is not convex",
    "E403": "nonconvex constraint with no exact form",
    "E404": "no finite bound for an exact form",
    "E405": "exact form needs a decision variable",
    "E406": "decision expression where data is required",
    "E410": "bad uncertainty set",
    "E411": "uncertain quantity in an equality",
    "E412": "not convex-concave",
    "E413": "no robust counterpart for this term",
    "E414": "no installed solver takes this problem",
    "E415": "loss not affine in the scenarios of an ambiguity set",
    "E501": "data file not found",
    "E502": "data file outside the allowed folders",
    "E503": "column or row not found",
    "E504": "data does not match its index set",
    "E505": "data is not numeric",
    "E506": "param has no value",
    "E507": "override for an unknown param",
    "E508": "bad data value",
    "E509": "larger than Saddle's size limit",
    "E900": "the backend rejected an expression",
    "E901": "not compiled yet",
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in a model: what is wrong (`message`), where (`span`) and what to do (`help`)."""

    code: str
    message: str
    span: Span
    help: str
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered error code {self.code}")  # internal invariant
        if not self.help:
            raise ValueError("every diagnostic needs a help sentence")  # internal invariant


class SpecError(Exception):
    """The only exception a user of Saddle sees for a mistake in a model or its data."""

    def __init__(self, diagnostics: Diagnostic | list[Diagnostic] | tuple[Diagnostic, ...]):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = (diagnostics,)
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n\n".join(render(d) for d in self.diagnostics)

    def __reduce__(self) -> tuple[type[SpecError], tuple[tuple[Diagnostic, ...]]]:
        # Rebuild from the diagnostics (not the message) when sent between processes.
        return (SpecError, (self.diagnostics,))

    @property
    def codes(self) -> list[str]:
        return [d.code for d in self.diagnostics]


def error(code: str, message: str, span: Span, help: str, *notes: str) -> SpecError:
    """Shorthand for a `SpecError` with one diagnostic."""
    return SpecError(Diagnostic(code, message, span, help, tuple(notes)))


class Diagnostics:
    """Collects a pass's diagnostics so the user sees every mistake of one kind at once."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def add(self, code: str, message: str, span: Span, help: str, *notes: str) -> None:
        self.items.append(Diagnostic(code, message, span, help, tuple(notes)))

    def extend(self, exc: SpecError) -> None:
        self.items.extend(exc.diagnostics)

    def raise_if_any(self) -> None:
        if self.items:
            raise SpecError(self.items)

    def run_each(self, steps: Iterable[Callable[[], object]]) -> None:
        """Run every step, collecting each one's errors; then raise them all, if any."""
        for step in steps:
            try:
                step()
            except SpecError as exc:
                self.extend(exc)
        self.raise_if_any()


def render(diagnostic: Diagnostic) -> str:
    """The gcc-style text of a diagnostic: location, message, source line, caret, help."""
    span = diagnostic.span
    head = f"{span}: error[{diagnostic.code}]: {diagnostic.message}"
    line_text = span.source.line_text(span.line).expandtabs(4)
    lines = [head]
    if line_text.strip():
        raw = span.source.line_text(span.line)
        # Expand tabs before placing the caret, so the caret sits under the right character.
        prefix = raw[: span.column - 1].expandtabs(4)
        if span.end_line == span.line:
            width = max(1, len(raw[span.column - 1 : span.end_column - 1].expandtabs(4)))
        else:
            width = max(1, len(line_text) - len(prefix))
        gutter = " " * len(str(span.line))
        lines += [
            f"{gutter} |",
            f"{span.line} | {line_text}",
            f"{gutter} | {' ' * len(prefix)}{'^' * width}",
        ]
        help_prefix = f"{gutter} = help: "
    else:
        help_prefix = "  = help: "
    for note in diagnostic.notes:
        lines.append(f"{help_prefix.replace('help', 'note')}{note}")
    lines.append(f"{help_prefix}{diagnostic.help}")
    return "\n".join(lines)
