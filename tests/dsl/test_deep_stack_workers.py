"""deep_stack reuses its large-stack thread between calls (a new thread per call cost 2-3 ms
in a third of the calls on a loaded machine), and a forked child never waits on a parent's
thread."""

import multiprocessing
import sys
import threading

import pytest

from dsl.depth import RECURSION_LIMIT, deep_stack


def _where() -> tuple[int, bool]:
    return threading.get_ident(), sys.getrecursionlimit() >= RECURSION_LIMIT


def test_calls_run_on_one_reused_thread_with_the_raised_limit():
    first, raised = deep_stack(_where)()
    second, _ = deep_stack(_where)()
    assert first == second != threading.get_ident()
    assert raised
    assert sys.getrecursionlimit() < RECURSION_LIMIT  # restored once no call runs


def test_an_error_and_a_value_come_back_to_the_caller():
    def fail() -> None:
        raise ValueError("from the deep thread")

    with pytest.raises(ValueError, match="from the deep thread"):
        deep_stack(fail)()
    assert deep_stack(lambda x: x + 1)(41) == 42


def test_nested_calls_run_in_place():
    outer = deep_stack(lambda: (threading.get_ident(), deep_stack(_where)()[0]))
    here, nested = outer()
    assert here == nested


def test_concurrent_callers_each_get_a_thread():
    started = threading.Barrier(2, timeout=10)

    def meet() -> int:
        started.wait()  # both bodies run at once: they cannot share one thread
        return threading.get_ident()

    found: list[int] = []
    callers = [threading.Thread(target=lambda: found.append(deep_stack(meet)()))
               for _ in range(2)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=20)
    assert len(set(found)) == 2


def _child(out: "multiprocessing.Queue[int]") -> None:
    out.put(deep_stack(lambda: 7)())


def test_a_forked_child_does_not_wait_on_the_parents_thread():
    deep_stack(_where)()  # the parent now holds an idle worker
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_child, args=(out,))
    child.start()
    child.join(timeout=30)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive and out.get(timeout=5) == 7
