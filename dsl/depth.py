"""How deep a model may nest, and the stack that lets every pass reach that depth.

Parsing, checking, lowering and cvxpy itself recurse once (or a few times) per level of an
expression, and a chain of lets is one expression once lowered (`let a2 = a1 + 1` puts a1's
expression inside a2's). Python's default limit (1000 frames) broke near 150 levels; the
passes need about 8 frames per level. `deep_stack` runs a function on a thread with a large
stack and a recursion limit to match, so `MAX_NESTING` levels always fit; anything deeper is
E100 at the expression (`check_let_depth`), never a RecursionError.
"""

from __future__ import annotations

import functools
import os
import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

from dsl import ast
from dsl.errors import error
from dsl.source import Span

# Levels of an expression, counting the lets it uses. Measured: 1000 levels compile and
# solve in a few seconds with ~6,000 frames; a chain of 3000 `*` lets takes 40 s.
MAX_NESTING = 1000
RECURSION_LIMIT = 60_000  # 10x what MAX_NESTING levels were measured to need
STACK_BYTES = 1024 * 2**20  # reserved address space; pages are used only as reached

T = TypeVar("T")
_state = threading.local()
_lock = threading.Lock()
_running = [0, 0]  # deep threads running, the recursion limit before the first


def deep_stack(function: Callable[..., T]) -> Callable[..., T]:
    """Run `function` on a thread with room for MAX_NESTING levels (once: nested calls run
    directly). Its result or exception is the caller's, as if it had run in place."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> T:
        if getattr(_state, "deep", False):
            return function(*args, **kwargs)
        outcome: dict[str, Any] = {}

        def body() -> None:
            _state.deep = True
            try:
                outcome["value"] = function(*args, **kwargs)
            except BaseException as exc:  # handed to the caller below, traceback and all
                outcome["error"] = exc

        job = _start(body)
        if job is None:  # no thread could be made this large: run in place
            return function(*args, **kwargs)
        try:
            job.wait()
        finally:
            _leave(job)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    return run


class _Job(threading.Event):
    """One call handed to a deep-stack thread: set when its body has run."""

    def is_alive(self) -> bool:
        return not self.is_set()


class _Worker:
    """A thread with the large stack that runs one body at a time and then waits for the
    next. Idle workers are reused: a new thread per call cost 0.1 ms on a quiet machine and
    2-3 ms in a third of the calls at load 3.6 (docs/benchmarks.md, robust mean)."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[tuple[Callable[[], None], _Job]] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name="saddle-deep-stack",
                                       daemon=True)

    def _loop(self) -> None:
        _state.deep = True
        while True:
            body, job = self.jobs.get()
            try:
                body()  # it keeps its own outcome; it never raises
            finally:
                with _lock:
                    _idle.append(self)  # before the caller wakes: its next call finds it
                job.set()


_idle: list[_Worker] = []  # workers waiting for a body (under _lock)


def _forget_workers() -> None:
    """In a forked child (a process pool's worker) the parent's threads do not exist: a
    body handed to one would wait forever, and a lock held across the fork stays held."""
    global _lock
    _lock = threading.Lock()
    _idle.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)


def _start(body: Callable[[], None]) -> _Job | None:
    job = _Job()
    with _lock:
        worker = _idle.pop() if _idle else None
        if worker is None:
            try:
                previous = threading.stack_size(STACK_BYTES)
            except (ValueError, RuntimeError):  # a platform that cannot size thread stacks
                return None
            try:
                worker = _Worker()
                worker.thread.start()
            finally:
                threading.stack_size(previous)
        if _running[0] == 0:
            _running[1] = sys.getrecursionlimit()
            sys.setrecursionlimit(max(RECURSION_LIMIT, _running[1]))
        _running[0] += 1
    worker.jobs.put((body, job))
    return job


def _leave(job: _Job) -> None:
    if job.is_alive():  # interrupted (Ctrl-C): keep the limit while it still runs
        return
    with _lock:
        _running[0] -= 1
        if _running[0] == 0:  # the process's other threads have ordinary stacks
            sys.setrecursionlimit(_running[1])


def _children(node: object) -> list[ast.Node]:
    out: list[ast.Node] = []
    for f in fields(node):  # type: ignore[arg-type]
        value = getattr(node, f.name)
        items = value if isinstance(value, tuple) else (value,)
        out += [v for v in items if isinstance(v, ast.Node)]
    return out


def _depth(root: ast.Node, lets: dict[str, int]) -> int:
    """Levels of `root`, a let's name counting as the levels of its value. Iterative."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, ast.Name) and node.name in lets:  # lowered, it is the value
            level += lets[node.name] - 1
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in _children(node))
    return deepest


def check_let_depth(model: ast.Model) -> None:
    """E100 at the first declaration nested more than MAX_NESTING levels through its lets."""
    lets: dict[str, int] = {}
    for decl in model.decls:
        if not is_dataclass(decl):
            continue
        depth = _depth(decl, lets)
        if isinstance(decl, ast.LetDecl):
            lets[decl.name] = _depth(decl.value, lets)
        if depth > MAX_NESTING:
            raise too_deep(decl.span, through_lets=True)


def too_deep(where: Span, through_lets: bool = False) -> Exception:
    counted = " (counting the lets it uses)" if through_lets else ""
    return error("E100", f"this expression is nested more than {MAX_NESTING} levels "
                 f"deep{counted}", where,
                 "split it into named parts with `let` that are not chained so deep, or "
                 "write a long sum as `sum(...)` over a set")
