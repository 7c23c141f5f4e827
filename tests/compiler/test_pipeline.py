"""The pass order, and the promise that shapes are checked before any data is read."""

from saddle_testing import first_error

from compiler import pipeline


def test_passes_in_order():
    assert pipeline.PASSES == ("resolve", "check_shapes", "check_units", "bind",
                               "find_exact_forms", "lower", "check_discipline")


def test_shape_errors_come_before_data_errors():
    d = first_error('set s = ["a"]\nset t = ["b"]\nparam p[s] = csv("absent.csv")\n'
                    "param q[s] = p + csv(\"absent.csv\") * 0\nvariable x[t]\n"
                    "minimize o: sum(x @ p)\n")
    assert d.code == "E302"


def test_not_yet_compiled_constructs_say_so():
    d = first_error('set s = ["a"]\nscenarios z[3, s] = bootstrap(1, seed = 1)\n'
                    "variable x[s]\nminimize o: sum(x)\n")
    assert d.code == "E901" and "docs/status.md" in d.help
