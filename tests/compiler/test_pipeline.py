"""The pass list runs (one loop, a hook around each pass); shapes come before any data."""

from pathlib import Path

import pytest
from saddle_testing import HEADER, first_error

from compiler import compile_model, loads, pipeline


def _ran(body: str) -> tuple[list[str], object]:
    """The names of the passes one compilation ran, through the hook, and its model."""
    ran: list[str] = []

    def hook(step):
        def recorded(compilation):
            ran.append(step.__name__)
            return step(compilation)
        return recorded

    compiled = compile_model(loads(HEADER + body, "m.saddle"), hook=hook)
    return ran, compiled


def test_the_pass_list_is_what_runs():
    ran, compiled = _ran('set s = ["a", "b"]\nvariable w[s] >= 0 <= 1\nmaximize o: sum(w)\n')
    assert ran == [step.__name__ for step in pipeline.PASSES]
    assert ran[:4] == ["resolve_names", "infer_shapes", "infer_units", "bind_data"]
    assert compiled.solve().objective == pytest.approx(2.0)


def test_robust_and_rolling_models_share_the_front_and_leave_at_the_route():
    robust, compiled = _ran('set s = ["a", "b"]\nuncertain u[s] in box(0.9, 1.1)\n'
                            "variable w[s] >= 0 <= 1\nmaximize o: w @ u\n")
    assert robust == [step.__name__ for step in pipeline.FRONT] + ["route"]
    assert compiled.solve().objective == pytest.approx(1.8, rel=1e-6)  # the worst: u = 0.9
    rolling, compiled = _ran('set day = ["2024-01-02", "2024-02-01"]\n'
                             "param r[day] = [1, 2]\nvariable x >= 0 <= 1\n"
                             "maximize o: sum(r) * x\nrebalance every month on day\n")
    assert rolling == robust and len(compiled) == 2


def test_a_pass_out_of_order_says_so():
    with pytest.raises(RuntimeError, match="pass order"):
        pipeline.run_passes(pipeline.Compilation(loads(HEADER + "variable x\nminimize o: x\n",
                                                       "m.saddle"), None, None, Path("."),
                                                 None, None, "auto"),
                            passes=(pipeline.infer_shapes,))


def test_shape_errors_come_before_data_errors():
    d = first_error('set s = ["a"]\nset t = ["b"]\nparam p[s] = csv("absent.csv")\n'
                    "param q[s] = p + csv(\"absent.csv\") * 0\nvariable x[t]\n"
                    "minimize o: sum(x @ p)\n")
    assert d.code == "E302"


def test_not_yet_compiled_constructs_say_so():
    d = first_error('set s = ["a"]\nscenarios z[3, s] = bootstrap(1, seed = 1)\n'
                    "variable x[s]\nminimize o: sum(x)\n")
    assert d.code == "E901" and "docs/status.md" in d.help
