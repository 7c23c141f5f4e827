"""Which rolling models have a vectorized form, and what the analysis stacks."""

from saddle_testing import HEADER

from compiler.passes.resolve import resolve
from compiler.passes.shapes import check_shapes
from compiler.rolling.vectorized import lift
from dsl import parse

DATA = ('set day = ["2024-01-01", "2024-01-02", "2024-02-01"]\nset a = ["x", "y"]\n'
        "series r[day, a] = [[1, 2], [3, 4], [5, 6]]\nvariable w[a] >= 0 <= 1\n")


def analyse(body: str):
    model = resolve(parse(HEADER + DATA + body + "rebalance every month on day\n"))
    shapes = check_shapes(model)
    return model, lift(model, shapes, model.symbols["day"], 2)


def test_reduced_data_is_an_aggregate():
    model, lifted = analyse("maximize o: w @ sum(r, over = day)\n")
    assert lifted is not None
    assert [type(n).__name__ for n in lifted.aggregates] == ["Call"]
    assert lifted.shapes.of[model.objective.expr][0] is lifted.window


def test_time_axis_meeting_a_decision_is_not_liftable():
    _, lifted = analyse("maximize o: sum(r @ w)\n")
    assert lifted is None


def test_atoms_without_a_batched_form_are_not_liftable():
    _, lifted = analyse("minimize o: norm2(w - sum(r, over = day))\n")
    assert lifted is None


def test_exact_forms_are_not_liftable():
    _, lifted = analyse("maximize o: w @ sum(r, over = day)\nsubject to\n"
                        "    size: abs(w) >= 0.1\n")
    assert lifted is None
