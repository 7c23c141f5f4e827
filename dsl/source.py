"""Source texts and spans: every node and every diagnostic points into a `Source`.

A `Span` carries its `Source`, so rendering an error never needs the text passed in again.
Offsets are 0-based and end-exclusive; lines and columns are 1-based, as Lark reports them.
"""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True, eq=False)
class Source:
    """A named model text. Compared by identity: two sources are never 'the same text'."""

    name: str
    text: str
    _line_starts: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(self.text) if ch == "\n")
        object.__setattr__(self, "_line_starts", tuple(starts))

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a 0-based offset; offsets past the end clamp to it."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]

    def span(self, start: int, end: int) -> Span:
        """The span of [start, end) in this source."""
        end = max(start, end)
        line, column = self.line_col(start)
        end_line, end_column = self.line_col(end)
        return Span(self, start, end, line, column, end_line, end_column)

    def whole(self) -> Span:
        """A span over the whole text, for diagnostics that belong to no single place."""
        return self.span(0, min(len(self.text), 1))

    def end(self) -> Span:
        """An empty span at the end of the text (where an unexpected end of file is reported)."""
        stripped = len(self.text.rstrip())
        return self.span(stripped, stripped)


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a `Source`."""

    source: Source = field(repr=False, compare=False)
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return self.source.span(min(self.start, other.start), max(self.end, other.end))

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]

    def __str__(self) -> str:
        return f"{self.source.name}:{self.line}:{self.column}"


def source_folder(name: str) -> Path:
    """The folder a model's relative data paths start from: its file's, else the cwd (a
    model given as text, `<string>`)."""
    path = Path(name)
    if name.startswith("<") or not path.exists():
        return Path.cwd()
    return path.resolve().parent


def shown_path(path: str | os.PathLike[str], limit: int = 80) -> str:
    """A path as a message can show it: control characters escaped, a long one shortened."""
    text = os.fspath(path)
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return text if len(text) <= limit else f"{text[:limit // 2]}...{text[-limit // 4:]}"


def path_problem(exc: BaseException) -> str:
    """Why a path cannot be used, in words: an OSError's reason, or what `pathlib` refused."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    if isinstance(exc, ValueError) and "null" in str(exc):
        return "the path contains a NUL character (\\0)"
    if isinstance(exc, RuntimeError):  # Path.resolve() on a symlink loop (Python 3.11)
        return "Too many levels of symbolic links"
    reason = getattr(exc, "strerror", None)
    return str(reason) if reason else str(exc)


MAX_SOURCE_BYTES = 16 * 2**20  # a model file is text written by a person

# What reading or resolving a path a user typed may raise besides OSError: a NUL character
# (ValueError) and, in Path.resolve(), a symlink loop (RuntimeError).
PATH_ERRORS = (OSError, ValueError, RuntimeError)


def read_source(path: str | os.PathLike[str], what: str = "model file") -> str:
    """The text of a file (UTF-8; a byte-order mark dropped). Raises OSError with a message
    that names the file, for every way a path can fail (missing, a folder, a symlink loop,
    a NUL character, a name too long, not UTF-8)."""
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_SOURCE_BYTES + 1)  # bounded: /dev/zero is a path too
        if len(data) > MAX_SOURCE_BYTES:
            raise OSError(f"cannot read {what} '{shown_path(path)}': it is larger than "
                          f"{MAX_SOURCE_BYTES // 2**20} MiB, more than a model can be")
        # utf-8-sig: editors on Windows save a byte-order mark, which is not part of the
        # model; line ends read as text mode reads them (universal newlines)
        return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except OSError as exc:
        if exc.errno is None:  # ours, above
            raise
        raise OSError(f"cannot read {what} '{shown_path(path)}': {path_problem(exc)}"
                      ) from None
    except (ValueError, RuntimeError) as exc:  # NUL in the path, or not UTF-8
        raise OSError(f"cannot read {what} '{shown_path(path)}': {path_problem(exc)}"
                      ) from None


def synthetic_span(description: str = "<generated>") -> Span:
    """A span for nodes built by code rather than parsed (e.g. property-test ASTs)."""
    return Source(description, "").span(0, 0)
