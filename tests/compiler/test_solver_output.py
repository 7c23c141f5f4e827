"""Native output during a solve is captured at the descriptor level, not left on stdout."""

import ctypes
import json
import os

import cvxpy as cp
from saddle_testing import compile_text

from compiler.backends.solver_output import VERBOSE_VARIABLE, captured_output, solve_problem

LIBC = ctypes.CDLL(None)


def test_native_writes_to_both_descriptors_are_captured(capfd):
    print("before", flush=True)
    with captured_output() as captured:
        os.write(1, b"raw to one\n")
        os.write(2, b"raw to two\n")
        LIBC.printf(b"printf through C stdio\n")  # buffered in C: flushed by the capture
    print("after", flush=True)
    out, err = capfd.readouterr()
    assert out == "before\nafter\n" and err == ""
    assert "raw to one" in captured.text and "raw to two" in captured.text
    assert "printf through C stdio" in captured.text


def test_nested_captures_each_get_their_own_text(capfd):
    with captured_output() as outer:
        os.write(1, b"outer\n")
        with captured_output() as inner:
            os.write(1, b"inner\n")
    assert inner.text == "inner\n"
    assert outer.text == "outer\ninner\n"
    assert capfd.readouterr().out == ""


def test_verbose_shows_the_captured_text_on_stderr(capfd, monkeypatch):
    monkeypatch.setenv(VERBOSE_VARIABLE, "1")
    with captured_output():
        os.write(1, b"solver says hello\n")
    out, err = capfd.readouterr()
    assert out == "" and "solver says hello" in err


def test_solve_problem_solves_and_returns_the_output(capfd):
    x = cp.Variable()
    problem = cp.Problem(cp.Minimize(x), [x >= 1])
    text = solve_problem(problem, "HIGHS")
    assert problem.status == "optimal" and abs(x.value - 1) < 1e-9
    assert isinstance(text, str)
    assert capfd.readouterr().out == ""  # whatever HiGHS printed is in `text`, not on stdout


def test_a_failed_solve_keeps_what_the_solver_printed(monkeypatch, capfd):
    compiled = compile_text('set s = ["a"]\nvariable w[s] >= 0 <= 1\nmaximize o: sum(w)\n')

    def failing(*args, **kwargs):
        os.write(1, b"numerical trouble at node 7\n")
        raise cp.error.SolverError("the solver gave up")

    monkeypatch.setattr(compiled.problem, "solve", failing)
    result = compiled.solve()
    assert result.status == "solver_error"
    assert "numerical trouble at node 7" in result.solver_output
    assert "numerical trouble" in json.loads(result.to_json())["solver_output"]
    assert "numerical trouble" in result.table()
    assert capfd.readouterr().out == ""


def test_an_optimal_solve_keeps_no_solver_output():
    result = compile_text('set s = ["a"]\nvariable w[s] >= 0 <= 1\nmaximize o: sum(w)\n').solve()
    assert result.status == "optimal" and result.solver_output == ""
    assert "solver_output" not in json.loads(result.to_json())


def test_a_solver_interface_raising_anything_is_a_failed_solve():
    """PySCIPOpt raises a bare Exception on an infinite coefficient (a mutant of
    robust_lots with `lot = 1e20`): a solver_error status with its words, not exit 70."""
    result = compile_text('set s = ["a", "b"]\nvariable n[s] integer >= 0 <= 3\n'
                          "param lot = 1e20\nminimize o: sum_squares(lot * n - 1.4)\n").solve()
    assert result.status == "solver_error" and result.objective is None
    assert any("failed" in note for note in result.notes)
