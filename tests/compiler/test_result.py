"""Result serialisation: JSON keyed by set labels (nested for 2-D), CSV rows, table."""

import json

from saddle_testing import compile_text

BODY = ('set a = ["x", "y"]\nset b = [1, 2]\nparam c[a, b] = [[1, 2], [3, 4]]\n'
        "variable m[a, b] >= 0\nminimize o: sum(c * m)\nsubject to\n"
        "    floor: sum(m, over = b) >= 1\n")


def test_two_dimensional_values_nest_by_label():
    result = compile_text(BODY).solve()
    report = json.loads(result.to_json())
    assert set(report["variables"]["m"]) == {"x", "y"}
    assert report["variables"]["m"]["x"]["1"] > 0.99
    assert report["constraints"]["floor"]["binding"] == {"x": True, "y": True}
    assert report["constraints"]["floor"]["dual"]["y"] == 3.0 or abs(
        report["constraints"]["floor"]["dual"]["y"] - 3.0) < 1e-6


def test_csv_rows_and_table():
    result = compile_text(BODY).solve()
    rows = result.to_frame()
    assert list(rows["name"])[:3] == ["o", "m[x, 1]", "m[x, 2]"]
    table = result.table()
    assert "floor[x]" in table and "yes" in table


def test_a_solvers_negative_zero_is_reported_as_zero() -> None:
    """HiGHS returns -0.0 for positions at their bound; reports printed '-0'."""
    import math

    from compiler.backends.plain import labelled

    assert math.copysign(1.0, labelled(None, -0.0, ())) == 1.0  # type: ignore[arg-type]
