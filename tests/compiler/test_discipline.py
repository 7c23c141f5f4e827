"""Convexity errors point at the smallest sub-expression to blame (E401, E402)."""

from saddle_testing import compile_text, first_error

SETS = 'set s = ["a", "b"]\nparam c[s] = [1, 2]\nvariable w[s] >= -1 <= 1\nvariable v[s]\n'


def test_convex_term_in_a_maximize_points_at_it():
    d = first_error(SETS + "maximize o: sum(c * w) + sum(abs(w))\n")
    assert d.code == "E401"
    assert d.span.text == "abs(w)"
    assert "convex" in d.message and "maximize 'o'" in d.message


def test_product_of_decisions_is_unknown_curvature_at_the_product():
    d = first_error(SETS + "minimize o: sum(c * abs(w)) + sum(w * v)\n")
    assert d.code == "E401" and d.span.text == "w * v"
    assert "unknown curvature" in d.message


def test_nonconvex_constraint_is_located():
    d = first_error(SETS + "minimize o: sum(abs(w))\nsubject to\n    far: norm2(w) >= 1\n")
    assert d.code == "E402" and d.span.text == "norm2(w)"


def test_blame_reaches_inside_a_let():
    d = first_error(SETS + "let bad = sum(w * v)\nminimize o: bad\n")
    assert d.span.text == "w * v"


def test_convex_model_compiles():
    compiled = compile_text(SETS + "minimize o: sum_squares(w - c) + norm1(v)\n"
                            "subject to\n    budget: sum(w) == 1\n")
    assert compiled.problem.is_dcp()
