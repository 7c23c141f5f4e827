"""Solver choice and status handling of a compiled model."""

from saddle_testing import compile_text

LINEAR = 'set s = ["a", "b"]\nvariable w[s] >= 0 <= 1\nmaximize o: sum(w)\n'


def test_default_solvers_by_problem_class():
    assert compile_text(LINEAR).default_solver() == "HIGHS"
    quadratic = 'set s = ["a", "b"]\nvariable w[s]\nminimize o: sum_squares(w - 1)\n'
    assert compile_text(quadratic).default_solver() == "CLARABEL"
    integer = 'set s = ["a"]\nvariable n[s] integer >= 0 <= 3\nmaximize o: sum(n)\n'
    assert compile_text(integer).default_solver() == "HIGHS"


def test_a_solver_failure_is_a_status_not_an_exception(monkeypatch):
    import cvxpy as cp

    compiled = compile_text(LINEAR)

    def fail(*args, **kwargs):
        raise cp.error.SolverError("the solver ran out of memory")

    monkeypatch.setattr(compiled.problem, "solve", fail)
    result = compiled.solve()
    assert result.status == "solver_error" and result.objective is None
    assert any("ran out of memory" in note for note in result.notes)
    unbounded = compile_text('variable x\nmaximize o: x\n').solve()
    assert unbounded.status.startswith("unbounded") and unbounded.objective is None
    assert any("without limit" in note for note in unbounded.notes)
