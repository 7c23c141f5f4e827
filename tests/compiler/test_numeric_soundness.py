"""Numbers that are not numbers never reach a solver, and a solver's non-answer is a status.

`0 * inv_pos(d)` with d = 0 used to send NaN to HiGHS, which then reported "optimal" and
printed '-' for the objective; coefficients of 1e20 made HiGHS return UNKNOWN, which cvxpy
raised as a bare ValueError (exit 70).
"""

import json

import pytest
from saddle_testing import compile_text, first_error
from test_cli_process import run


@pytest.mark.parametrize(("expression", "culprit"), [
    ("0 * inv_pos(d)", "inv_pos(d)"),
    ("log(d) * 0", "log(d)"),
    ("x * (1 / d)", "d"),  # "division by zero", at the divisor
    ("x * exp(1000 * (d + 1))", "exp(1000 * (d + 1))"),
])
def test_a_non_finite_value_inside_an_expression_is_located(expression, culprit):
    body = (f"param d = 0\nvariable x >= 0 <= 1\nminimize o: x + {expression}\n")
    diagnostic = first_error(body)
    assert diagnostic.code in ("E508",)
    line = body.splitlines()[2]
    start = diagnostic.span.column - 1
    assert line[start:start + len(culprit)] == culprit


def test_a_finite_model_with_a_zero_still_solves():
    result = compile_text("param d = 0\nvariable x >= 0 <= 1\n"
                          "minimize o: x + d * 3\n").solve()
    assert result.status == "optimal" and result.objective == pytest.approx(0.0, abs=1e-12)


def test_a_solver_status_without_a_solution_is_a_status(tmp_path):
    body = ('model huge "coefficients HiGHS cannot take"\nvariable x >= 1 <= 2\n'
            "variable y >= 0 <= 1e25\nminimize o: 1e22 * x + 1e-3 * y\n"
            "subject to\n    c: x + 1e20 * y >= 1.5\n")
    path = tmp_path / "huge.saddle"
    path.write_text(body)
    done = run("solve", str(path), "--format", "json")
    assert done.returncode == 4, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] != "optimal" and report["objective"] is None
    assert any("no usable solution" in note or "failed" in note for note in report["notes"])
