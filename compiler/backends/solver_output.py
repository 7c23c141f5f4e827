"""What native solver code prints, kept off the user's stdout.

HiGHS (highspy 1.16) writes its banner straight to file descriptor 1 when a `Highs()` is
made, below Python's `sys.stdout`, so `--format json` would not parse. Every solve in
Saddle runs through `solve_problem`, which points descriptors 1 and 2 at a temporary file
for the solve and gives the text back: shown on stderr when `SADDLE_VERBOSE=1` (the CLI's
`--verbose` sets it, and worker processes inherit it), kept in the Result when a solve fails.
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import cvxpy as cp

from dsl.depth import deep_stack

VERBOSE_VARIABLE = "SADDLE_VERBOSE"
_LIBC: Any = None
_lock = threading.RLock()
_depth = 0  # nested and concurrent captures share the outermost redirection
_saved: tuple[int, int] | None = None
_sink: Any = None


def verbose() -> bool:
    return os.environ.get(VERBOSE_VARIABLE) == "1"


def _flush_c_stdio() -> None:
    """C stdio buffers what native code printf'd: flush it into the descriptor it was meant
    for while that descriptor still points where the capture wants it."""
    global _LIBC
    try:
        if _LIBC is None:
            _LIBC = ctypes.CDLL(None)
        _LIBC.fflush(None)
    except (OSError, AttributeError):  # no C library to flush (not a POSIX libc)
        pass


def _flush_python() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


class Captured:
    """The text written to descriptors 1 and 2 during one capture (after it ends)."""

    def __init__(self) -> None:
        self.text = ""


@contextmanager
def captured_output() -> Iterator[Captured]:
    """Point descriptors 1 and 2 at a temporary file; on exit restore them and read it.

    Python's own `sys.stdout` is flushed first, so what Saddle printed before stays where it
    was. Threads that capture at once share one redirection (the last one out restores)."""
    global _depth, _saved, _sink
    captured = Captured()
    with _lock:
        if _depth == 0:
            _flush_python()
            _flush_c_stdio()
            _sink = tempfile.TemporaryFile(mode="w+b")
            _saved = (os.dup(1), os.dup(2))
            os.dup2(_sink.fileno(), 1)
            os.dup2(_sink.fileno(), 2)
        _depth += 1
        start = _sink.seek(0, os.SEEK_END)
    try:
        yield captured
    finally:
        with _lock:
            _flush_c_stdio()
            _sink.seek(start)
            captured.text = _sink.read().decode("utf-8", errors="replace")
            _depth -= 1
            if _depth == 0 and _saved is not None:
                os.dup2(_saved[0], 1)
                os.dup2(_saved[1], 2)
                os.close(_saved[0])
                os.close(_saved[1])
                _sink.close()
                _saved, _sink = None, None
        if captured.text and verbose():
            sys.stderr.write(captured.text)
            sys.stderr.flush()


class SolveFailed(cp.error.SolverError):
    """A solve that ended without an answer cvxpy could read (a `SolverError`), with what
    the solver printed. cvxpy raises a plain ValueError when a solver returns status
    UNKNOWN (HiGHS on coefficients of 1e20 or more): that is a failed solve too."""

    def __init__(self, message: str, output: str):
        super().__init__(message)
        self.output = output


@deep_stack  # cvxpy's canonicalization recurses per level (dsl/depth.py)
def solve_problem(problem: Any, solver: str | None = None, **options: Any) -> str:
    """`problem.solve(solver=..., **options)` with the solver's native output captured;
    returns that output.

    Raises:
        SolveFailed: the solver gave up or returned no usable answer; `.output` holds what
            it printed.
    """
    captured = Captured()
    if verbose():  # the solver's own log, captured like the rest and shown on stderr
        options = {"verbose": True, **options}
    try:
        with captured_output() as captured:
            if solver is None:
                problem.solve(**options)
            else:
                problem.solve(solver=solver, **options)
    except (cp.error.SolverError, ValueError) as exc:
        raise SolveFailed(_reason(exc), captured.text) from exc
    except Exception as exc:
        # a solver's own interface may raise anything (PySCIPOpt raises a bare Exception on
        # an infinite coefficient): the solve failed, and the report says so with its words
        if isinstance(exc, AssertionError) or \
                type(exc).__module__.split(".")[0] in ("compiler", "dsl"):
            raise  # ours, or dsp-cvxpy's way of saying infeasible (compiler/backends/dsp.py)
        raise SolveFailed(f"{type(exc).__name__}: {_reason(exc)}", captured.text) from exc
    return captured.text


def _reason(exc: Exception) -> str:
    """One line: cvxpy's "Cannot unpack invalid solution: Solution(status=UNKNOWN, ...)"
    becomes the status the solver returned."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    returned = re.search(r"Solution\(status=(\w+)", text)
    if returned:
        return f"the solver returned status {returned.group(1)} with no usable solution"
    return text
