"""Label-valued data, `indicator(...)` and `interp_map(...)`.

Expected values are built by hand with numpy (np.interp for the interpolation weights,
explicit one-hot matrices), never from Saddle's output.
"""

import numpy as np
import pandas as pd
import pytest
from saddle_testing import compile_text, first_error

from compiler import compile_model, loads
from dsl import format_model, parse

SETS = """
set bond = ["b1", "b2", "b3"]
set rating = ["AAA", "BBB"]
set key = [1, 2, 4]
set period = 1..5
set factor = ["y_1", "y_2", "y_4", "s_AAA", "s_BBB"]
"""
TAIL = "variable v\nminimize o: v\nsubject to\n    floor: v >= 0\n"


@pytest.fixture
def folder(tmp_path):
    # rows out of the set's order: labels are aligned by the first column, as numbers are
    pd.DataFrame({"bond": ["b2", "b1", "b3"], "rating": ["BBB", "AAA", "BBB"]}).to_csv(
        tmp_path / "bonds.csv", index=False)
    return tmp_path


def _bound(folder, body):
    text = 'model m "labels"\n' + SETS + body + TAIL
    path = folder / "m.saddle"
    path.write_text(text)
    model = compile_model(loads(text, str(path)))
    return {s.name: v for s, v in model.bindings.values.items()}


def test_text_column_is_labels_and_one_hot_aligns_by_name(folder):
    values = _bound(folder, 'param r[bond] = csv("bonds.csv").rating\n'
                            'param load_s[bond, factor] = indicator("s_" + r == factor)\n')
    assert values["r"].tolist() == ["AAA", "BBB", "BBB"]
    expected = np.zeros((3, 5))
    expected[0, 3] = expected[1, 4] = expected[2, 4] = 1.0
    assert np.array_equal(values["load_s"], expected)


def test_interp_map_embedded_by_prefixed_labels(folder):
    values = _bound(folder, 'param load_y[period, factor] = '
                            'interp_map(period, key) @ indicator("y_" + key == factor)\n')
    keys, points = np.array([1.0, 2.0, 4.0]), np.arange(1.0, 6.0)
    weights = np.column_stack([np.interp(points, keys, e) for e in np.eye(3)])
    expected = np.hstack([weights, np.zeros((5, 2))])
    assert np.allclose(values["load_y"], expected, atol=1e-15)


def test_interp_map_holds_flat_outside_the_keys():
    model = compile_text('set key = [2, 3]\nset t = 1..4\n'
                         'param m[t, key] = interp_map(t, key)\n' + TAIL)
    m = model.bindings.values[next(s for s in model.bindings.values if s.name == "m")]
    assert m.tolist() == [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]


def test_numeric_indicator_chains_and_broadcasts():
    model = compile_text('set t = 1..5\nparam lo = 2\nparam hi[t] = [3, 3, 3, 5, 5]\n'
                         'param inside[t] = indicator(lo <= t <= hi)\n' + TAIL)
    inside = next(v for s, v in model.bindings.values.items() if s.name == "inside")
    assert inside.tolist() == [0.0, 1.0, 1.0, 1.0, 1.0]


def test_indicator_as_data_in_a_constraint():
    model = compile_text('set t = 1..4\nparam cap[t] = [1, 2, 3, 4]\nvariable x[t] >= 0\n'
                         'maximize total: sum(x)\nsubject to\n'
                         '    short_end: x <= cap * indicator(t <= 2)\n    all: x <= 10\n')
    result = model.solve()
    assert result.values["x"].tolist() == pytest.approx([1.0, 2.0, 0.0, 0.0], abs=1e-8)


@pytest.mark.parametrize("body, code, fragment", [
    ('param r[bond] = csv("bonds.csv").rating\nparam z[bond] = r * 2\n', "E505", "labels"),
    ('param r[bond] = csv("bonds.csv").rating\nparam z[bond] = indicator(r <= "A")\n',
     "E208", "'=='"),
    ('param z = sum(key == 1)\n', "E208", "comparison"),
    ('param z[bond] = indicator(2)\n', "E208", "indicator takes a comparison"),
    ('param z[period, key] = interp_map(period, period)\n', "E303", "two different sets"),
    ('set k2 = [4, 2, 1]\nparam z[period, k2] = interp_map(period, k2)\n', "E508",
     "not increasing"),
    ('param z[period, bond] = interp_map(period, bond)\n', "E505", "not numbers"),
])
def test_label_mistakes_are_located(folder, body, code, fragment):
    text = 'model m "labels"\n' + SETS + body + TAIL
    path = folder / "m.saddle"
    path.write_text(text)
    from dsl import SpecError
    with pytest.raises(SpecError) as info:
        compile_model(loads(text, str(path)))
    diagnostic = info.value.diagnostics[0]
    assert diagnostic.code == code and fragment in diagnostic.message
    assert diagnostic.span.line > 1


def test_decision_in_an_indicator_is_refused():
    diagnostic = first_error('variable x\nparam p = 1\nminimize o: x\nsubject to\n'
                             '    c: x * 0 + p >= 0\n    d: x >= sum(indicator(x >= 1))\n')
    assert diagnostic.code in ("E406", "E209")


def test_indicator_prints_back_and_parses_again():
    text = 'model m "t"\nset t = 1..3\nparam a[t] = indicator(t <= 2)\nvariable x\n' \
           'minimize o: x\n'
    printed = format_model(parse(text, "m.saddle"))
    assert "indicator(t <= 2)" in printed
    assert format_model(parse(printed, "m.saddle")) == printed
