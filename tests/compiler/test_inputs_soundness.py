"""Issue 10: inputs, units and sizes. Values from outside obey the file's unit rules, money
declared in $M is held in $M, number literals are finite, unreadable paths are clean
errors, sizes are checked before anything is allocated, deep models compile.

Expected numbers come from the independent treasury oracle (tests/oracles/treasury.py,
plain CVXPY) or from closed forms written here; never from Saddle's own lowering.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from oracles.treasury import solve_treasury, treasury_data
from saddle_testing import HEADER, compile_text, first_error
from test_cli_process import run

from compiler import InBaseUnits, compile_model, load, loads
from compiler.cli import main, parse_params
from compiler.data.limits import MAX_LABELS, MAX_NUMBERS
from dsl import SpecError, format_model, parse
from dsl.depth import MAX_NESTING

ROOT = Path(__file__).resolve().parents[2]
TREASURY = ROOT / "models" / "treasury.saddle"
SOLVE = "variable x >= 0 <= 1\nmaximize o: x\n"


def values(compiled, name):
    return compiled.bindings.values[compiled.model.symbols[name]]


def treasury_oracle(**changes: float) -> dict:
    data = treasury_data(ROOT / "models" / "data" / "real_yields_2024.csv")
    return solve_treasury({**data, **changes}, haircut=True)


# ---- 1. units from outside: the file's rules ----


def test_a_money_value_for_a_rate_param_is_e307_from_the_cli_as_in_the_file(tmp_path):
    body = "param cost in bp = 25\nvariable x >= 0 <= 1\nmaximize o: cost * x\n"
    assert first_error(body.replace("= 25", "= $5")).code == "E307"  # in the file
    model = tmp_path / "m.saddle"
    model.write_text(HEADER + body)
    done = run("solve", str(model), "--param", "cost=$5")
    assert done.returncode == 1 and "error[E307]" in done.stderr
    assert "m.saddle:2:7" in done.stderr  # at the param's declaration
    assert "Traceback" not in done.stderr


def test_treasury_repo_in_dollars_is_refused():
    done = run("solve", "models/treasury.saddle", "--param", "repo=$2")
    assert done.returncode == 1 and "error[E307]" in done.stderr and done.stdout == ""


def test_treasury_capital_in_dollars_means_millions_held_in_millions():
    """`capital in $M`: '$200M' is 200 (held in $M), the oracle's capital of 200."""
    oracle = treasury_oracle(capital=200.0)
    given = parse_params(["capital=$200M"])
    for params in (given, {"capital": InBaseUnits(200e6)}, {"capital": 200}):
        compiled = compile_model(load(TREASURY), params=params)
        assert float(values(compiled, "capital")) == pytest.approx(200.0, rel=1e-12)
        result = compiled.solve()
        assert result.objective == pytest.approx(oracle["objective"], rel=1e-6)
        np.testing.assert_allclose(result.values["w"].to_numpy(), oracle["weights"],
                                   atol=2e-5)


def test_treasury_report_stays_in_millions():
    result = compile_model(load(TREASURY)).solve()
    assert result.objective == pytest.approx(treasury_oracle()["objective"], rel=1e-6)
    assert result.constraints["capital"].value == pytest.approx(250.0, rel=1e-6)


def test_python_values_obey_the_declared_dimension():
    body = "param cost in bp = 25\nparam cap in $M = 3\nvariable x >= 0 <= 1\n" \
        "maximize o: cost * x + cap * 0 * x\n"
    for name, given in (("cost", InBaseUnits(5.0, units=("$",))),
                        ("cap", InBaseUnits(0.01, units=("bp",)))):
        d = first_error(body, params={name: given})
        assert d.code == "E307" and d.span.line == (2 if name == "cost" else 3), d
    compiled = compile_text(body, params={"cost": InBaseUnits(0.004), "cap": 4})
    assert float(values(compiled, "cost")) == pytest.approx(0.004, rel=1e-15)
    assert float(values(compiled, "cap")) == 4.0


def test_money_held_in_millions_converts_and_checks_in_the_file():
    compiled = compile_text("param cap in $M = $250M\nparam dollars in $ = cap\n"
                            "param half in $M = cap / 2\nparam k in $k = cap\n"
                            "param bn in $M = $0.25bn\n" + SOLVE)
    for name, expected in (("cap", 250.0), ("dollars", 250e6), ("half", 125.0),
                           ("k", 250e3), ("bn", 250.0)):
        assert float(values(compiled, name)) == pytest.approx(expected, rel=1e-12), name
    for body in ("param cap in $M = 250\nparam y in $M = cap + $5M\n",     # $M next to $
                 "param cap in $M = 250\nlet r = cap / $1M\n",             # ratio off by 1e6
                 "variable n in $M >= 0 <= $5M\n"):                        # a bound in $
        assert first_error(body + SOLVE).code == "E307", body
    compile_text("param cap in $M = 250\nvariable n in $M >= 0 <= cap\nmaximize o: n\n"
                 "subject to\n    floor: n - cap >= $0\n")  # $0 fits money of any scale


def test_cli_lists_with_units_follow_the_file_rules(tmp_path):
    model = tmp_path / "m.saddle"
    model.write_text(HEADER + 'set s = ["a", "b"]\nparam c[s] in bp = [1, 2]\n'
                     "param m[s] in $M = [1, 2]\nvariable x >= 0 <= 1\n"
                     "maximize o: sum(c) * x + sum(m) * 0 * x\n")
    compiled = compile_model(load(model), params=parse_params(["c=[0, 25bp]"]))  # 0: no unit
    np.testing.assert_allclose(values(compiled, "c"), [0.0, 25e-4], rtol=1e-15)
    assert main(["check", str(model), "--param", "m=[$1, 2bp]"]) == 1  # two dimensions
    assert main(["check", str(model), "--param", "m=[$1M, $2.5M]"]) == 0
    compiled = compile_model(load(model), params=parse_params(["m=[$1M, $2.5M]"]))
    np.testing.assert_allclose(values(compiled, "m"), [1.0, 2.5], rtol=1e-15)


# ---- 2. number literals are finite ----


@pytest.mark.parametrize("literal", ["1e99999", "1e309", "1e400bp", "$1e309M", "9" * 400])
def test_a_literal_too_large_for_a_float_is_located(literal):
    with pytest.raises(SpecError) as info:
        parse(HEADER + f"param p = {literal}\n")
    d = info.value.diagnostics[0]
    assert d.code == "E100" and (d.span.line, d.span.column) == (2, 11)


def test_an_infinite_cli_value_is_a_usage_error(tmp_path):
    model = tmp_path / "m.saddle"
    model.write_text(HEADER + "param c = 1\n" + SOLVE)
    assert main(["check", str(model), "--param", "c=1e999"]) == 2


# ---- 3. unreadable paths ----


def test_a_symlink_loop_as_the_model_is_exit_3(tmp_path):
    (tmp_path / "a.saddle").symlink_to(tmp_path / "b.saddle")
    (tmp_path / "b.saddle").symlink_to(tmp_path / "a.saddle")
    done = run("check", str(tmp_path / "a.saddle"))
    assert done.returncode == 3 and "internal" not in done.stderr
    assert "Traceback" not in done.stderr and "a.saddle" in done.stderr
    with pytest.raises(OSError):
        load(tmp_path / "a.saddle")


def test_a_name_too_long_is_exit_3_with_a_short_message(tmp_path):
    long = str(tmp_path / ("x" * 5000 + ".saddle"))
    done = run("check", long)
    assert done.returncode == 3 and len(done.stderr) < 400 and "internal" not in done.stderr
    done = run("check", "models/treasury.saddle", "--data", str(tmp_path / ("d" * 5000)))
    assert done.returncode == 3 and len(done.stderr) < 400
    with pytest.raises(OSError):
        compile_model(load(TREASURY), data_dir=tmp_path / ("d" * 5000))


def test_a_nul_byte_in_a_path_is_exit_3(capsys):
    assert main(["check", "models/m\x00.saddle"]) == 3
    assert main(["check", str(TREASURY), "--data", "da\x00ta"]) == 3
    assert "internal" not in capsys.readouterr().err
    with pytest.raises(OSError):
        load("models/m\x00.saddle")


@pytest.mark.parametrize("name", ["loop", "nul", "long"])
def test_bad_csv_paths_are_e501(tmp_path, name):
    (tmp_path / "loop").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop")
    path = {"loop": "loop", "nul": "a\\0b", "long": "y" * 5000}[name]
    text = HEADER + f'set s = ["a"]\nparam p[s] = csv("{path}").x\n' + SOLVE
    if name == "nul":
        text = text.replace("\\0", "\x00")
    with pytest.raises(SpecError) as info:
        compile_model(loads(text), base_dir=tmp_path)
    assert info.value.codes == ["E501"]


# ---- 4. sizes are checked before anything is allocated ----


@pytest.mark.parametrize(("body", "limit"), [
    ("set r = 1..100000000\n", MAX_LABELS),                          # unused: 100 s before
    ("set r = 1..1e20\n", MAX_LABELS),                               # OverflowError before
    ('set s = ["a"]\nscenarios z[1e12, s] ~ normal(0, 1, seed = 1)\n', MAX_LABELS),
    ('set s = ["a"]\nscenarios z[1000000000000, s] ~ normal(0, 1, seed = 1)\n', MAX_LABELS),
    ("set a = 1..20000\nset b = 1..20000\nscenarios z[a, b] ~ normal(0, 1, seed = 1)\n",
     MAX_NUMBERS),
    ("set a = 1..20000\nset b = 1..20000\nparam p[a, b] = 0\n", MAX_NUMBERS),
    ("set a = 1..20000\nset b = 1..20000\nparam p[a] = 1\nparam q[b] = 1\n"
     "let z = outer(p, q)\n", MAX_NUMBERS),
    ("set a = 1..10000\nset b = 1..10000\nvariable y[a, b]\n", MAX_LABELS),
    ("param c = cs01(0.01, 0.01, 1e11)\n", MAX_NUMBERS),           # a 2.9 TiB schedule
])
def test_sizes_over_the_limit_are_e509_at_once(body, limit):
    """Refused before anything of that size is allocated (the test would run out of memory
    or time otherwise)."""
    d = first_error(body + SOLVE)
    assert d.code == "E509" and d.span.line >= 2, d
    assert f"{limit:,}" in d.message


def test_one_past_the_limit_is_refused_and_the_limit_itself_is_documented():
    assert first_error(f"set r = 1..{MAX_LABELS + 1}\n" + SOLVE).code == "E509"
    docs = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    assert f"{MAX_LABELS:,}" in docs and f"{MAX_NUMBERS:,}" in docs


# ---- 5. a std of -0 ----


def test_normal_with_std_minus_zero_is_the_mean():
    compiled = compile_text('set s = ["a", "b"]\nscenarios z[4, s] ~ normal(2, -0, seed = 1)\n'
                            "scenarios t[3, s] ~ student_t(3, 1, -0, seed = 1)\n" + SOLVE)
    np.testing.assert_array_equal(values(compiled, "z"), np.full((4, 2), 2.0))
    np.testing.assert_array_equal(values(compiled, "t"), np.full((3, 2), 1.0))


# ---- 6. deep models ----


def _let_chain(n: int) -> str:
    lets = "".join(f"let a{i} = a{i - 1} + 1\n" for i in range(1, n + 1))
    return f"variable x >= 0 <= 1\nlet a0 = x\n{lets}maximize o: a{n}\n"


def test_a_chain_of_160_lets_and_a_flat_sum_of_200_terms_solve(tmp_path):
    # max over x in [0, 1] of x + 160, and of 200 x
    assert compile_text(_let_chain(160)).solve().objective == pytest.approx(161, rel=1e-9)
    flat = "variable x >= 0 <= 1\nmaximize o: " + " + ".join(["x"] * 200) + "\n"
    assert compile_text(flat).solve().objective == pytest.approx(200, rel=1e-9)
    model = tmp_path / "m.saddle"
    model.write_text(HEADER + _let_chain(160))
    done = run("solve", str(model), "--format", "json")
    assert done.returncode == 0, done.stderr


def test_the_measured_depth_works_and_one_more_level_is_located():
    n = MAX_NESTING - 5  # the let chain's last value is n + 1 levels deep
    assert compile_text(_let_chain(n)).solve().objective == pytest.approx(n + 1, rel=1e-9)
    d = first_error(_let_chain(MAX_NESTING + 1))
    assert d.code == "E100" and d.span.line >= MAX_NESTING, d
    flat = "variable x >= 0 <= 1\nmaximize o: " + " + ".join(["x"] * (MAX_NESTING + 50)) + "\n"
    d = first_error(flat)
    assert d.code == "E100" and d.span.line == 3


# ---- 7. messages fixed on the way ----


def test_negative_numbers_are_set_labels():
    compiled = compile_text('set s = [-1, -2, 3]\nparam p[s] = [1, 2, 3]\n'
                            "variable x[s] >= 0 <= 1\n"
                            "maximize o: sum(p * x) - 10 * x[-2] + x[-1]\n")
    assert compiled.bindings.labels[compiled.model.symbols["s"]] == [-1, -2, 3]
    assert compiled.solve().objective == pytest.approx(1 + 3 + 1, rel=1e-9)  # x[-2] = 0


def test_fmt_check_accepts_a_canonical_file_with_a_byte_order_mark(tmp_path):
    canonical = format_model(parse(HEADER + SOLVE))
    model = tmp_path / "m.saddle"
    model.write_bytes(b"\xef\xbb\xbf" + canonical.encode("utf-8"))
    assert run("fmt", "--check", str(model)).returncode == 0
    model.write_bytes(b"\xef\xbb\xbf" + canonical.replace("x >= 0", "x>=0").encode("utf-8"))
    assert run("fmt", "--check", str(model)).returncode == 1


def test_a_model_file_larger_than_a_model_can_be_is_exit_3(tmp_path):
    big = tmp_path / "big.saddle"
    with big.open("wb") as file:
        file.truncate(17 * 2**20)  # sparse: no disk used
    assert main(["check", str(big)]) == 3
    assert os.path.getsize(big) > 16 * 2**20
