"""Units (compiler/passes/units.py, compiler/passes/unit_values.py): declared units convert
values once, and dimensions are checked (E307 units do not match, E308 unknown unit, E309 mixed).

Expected numbers are the conversions done by hand (25bp = 25 x 1e-4) and the LP optima
they imply; nothing is taken from Saddle's own output.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from oracles.treasury import solve_treasury, treasury_data
from saddle_testing import HEADER, compile_text, first_error

from compiler import InBaseUnits, compile_model, load, loads, sweep
from compiler.cli import main, parse_params
from compiler.passes.dimensions import money_in
from compiler.passes.resolve import resolve
from compiler.passes.shapes import check_shapes
from compiler.passes.units import MONEY, PURE, RATE, SHARE_OR_RATE, check_units
from dsl import SpecError, format_model, parse

ROOT = Path(__file__).resolve().parents[2]
SOLVE = "variable x >= 0 <= 1\nmaximize o: c * x\n"  # the optimum is c (a scalar c >= 0)


def values(compiled, name):
    return compiled.bindings.values[compiled.model.symbols[name]]


def dims(body: str) -> dict:
    model = resolve(loads(HEADER + body, "m.saddle"))
    check_shapes(model)
    return {s.name: d for s, d in check_units(model).symbols.items()}


# ---- conversion of declared units ----


def test_a_plain_list_in_bp_becomes_decimals():
    compiled = compile_text('set s = ["a", "b"]\nparam c[s] in bp = [25, 40]\n'
                            "variable x[s] >= 0 <= 1\nmaximize o: sum(c * x)\n")
    np.testing.assert_allclose(values(compiled, "c"), [25e-4, 40e-4], rtol=1e-15)


def test_a_value_with_its_own_unit_is_not_converted_twice():
    compiled = compile_text('set s = ["a", "b"]\nparam c[s] in bp = [25bp, 40bp]\n'
                            "param d[s] in bp = [25, 40] * 1bp\nparam e[s] in bp = c * 2\n"
                            "variable x[s] >= 0 <= 1\nmaximize o: sum((c + d + e) * x)\n")
    for name, expected in (("c", [25e-4, 40e-4]), ("d", [25e-4, 40e-4]), ("e", [5e-3, 8e-3])):
        np.testing.assert_allclose(values(compiled, name), expected, rtol=1e-15)


def test_csv_columns_percent_money_and_multipliers(tmp_path):
    (tmp_path / "r.csv").write_text("name,rate,size\na,4.25,3\nb,3.5,7\n")
    (tmp_path / "m.saddle").write_text(
        HEADER + 'set s = csv("r.csv").name\nparam r[s] in % = csv("r.csv").rate\n'
        'param n[s] in $M = csv("r.csv").size\nparam k in k = 50\nparam bn in $bn = 1.5\n'
        + SOLVE.replace("c * x", "sum(r) * x"))
    compiled = compile_model(load(tmp_path / "m.saddle"))
    np.testing.assert_allclose(values(compiled, "r"), [0.0425, 0.035], rtol=1e-15)
    # money declared in $M (or $bn) is held in that unit: the model counts money in $M
    np.testing.assert_allclose(values(compiled, "n"), [3, 7], rtol=1e-15)
    assert float(values(compiled, "k")) == 50e3 and float(values(compiled, "bn")) == 1.5


def test_python_overrides_are_in_the_declared_unit():
    body = 'set s = ["a", "b"]\nparam c[s] in bp = [25, 40]\nparam t in $M\n' \
        "variable x[s] >= 0 <= 1\nmaximize o: sum(c * x) + t * 0\n"
    series = pd.Series({"b": 10.0, "a": 30.0})  # by label, in any order
    for given, expected in ((series, [30e-4, 10e-4]), ([5, 6], [5e-4, 6e-4]),
                            (np.array([7.0, 8.0]), [7e-4, 8e-4]), (2, [2e-4, 2e-4]),
                            (InBaseUnits(series), [30.0, 10.0])):
        compiled = compile_text(body, params={"c": given, "t": 2.5})
        np.testing.assert_allclose(values(compiled, "c"), expected, rtol=1e-15)
        assert float(values(compiled, "t")) == 2.5  # held in $M, the declared unit


def test_a_dataframe_override_is_in_the_declared_unit():
    body = ('set a = ["x", "y"]\nset b = [1, 2]\nparam m[a, b] in % = [[1, 2], [3, 4]]\n'
            "variable v >= 0 <= 1\nmaximize o: sum(m) * v\n")
    frame = pd.DataFrame([[10, 20], [30, 40]], index=["x", "y"], columns=[1, 2])
    compiled = compile_text(body, params={"m": frame})
    np.testing.assert_allclose(values(compiled, "m"), [[0.1, 0.2], [0.3, 0.4]], rtol=1e-15)


def test_the_declared_unit_reaches_the_solution():
    result = compile_text("param c in bp = 25\n" + SOLVE).solve()
    assert result.objective == pytest.approx(25e-4, rel=1e-9)


def test_sweep_values_are_in_the_declared_unit():
    table = sweep(loads(HEADER + "param c in bp = 25\n" + SOLVE), "c", [10.0, 20.0]).table
    np.testing.assert_allclose(table["objective"].to_numpy(), [1e-3, 2e-3], rtol=1e-9)


def test_cli_params_with_and_without_units(tmp_path, capsys):
    model = tmp_path / "m.saddle"
    model.write_text(HEADER + "param c in bp = 25\n" + SOLVE)
    for given, expected in (("40", 40e-4), ("40bp", 40e-4), ("0.4%", 40e-4)):
        assert main(["solve", str(model), "--param", f"c={given}", "--format", "json"]) == 0
        objective = json.loads(capsys.readouterr().out)["objective"]
        assert objective == pytest.approx(expected, rel=1e-9), given
    assert parse_params(["c=[25bp, -5bp]"]) == {"c": InBaseUnits([25e-4, -5e-4])}
    assert parse_params(["c=[25, 5]"]) == {"c": [25, 5]}


def test_cli_list_with_and_without_units(tmp_path, capsys):
    model = tmp_path / "m.saddle"
    model.write_text(HEADER + 'set s = ["a", "b"]\nparam c[s] in bp = [1, 2]\n'
                     'param d[s] = [1, 2]\nvariable x >= 0 <= 1\nmaximize o: sum(c + d) * x\n')
    assert main(["solve", str(model), "--param", "c=[1, 2bp]"]) == 1  # is 1 in bp?
    assert "error[E309]" in capsys.readouterr().err
    assert main(["solve", str(model), "--param", "d=[1, 2bp]", "--format", "json"]) == 0
    objective = json.loads(capsys.readouterr().out)["objective"]
    assert objective == pytest.approx(1e-4 + 2e-4 + 1 + 2e-4, rel=1e-9)


def test_treasury_repo_from_pandas_in_percent_equals_the_oracle():
    """models/treasury.saddle declares `repo in %`: a Series from Python is in % too."""
    data = treasury_data(ROOT / "models" / "data" / "real_yields_2024.csv")
    percent = pd.Series({"30Y": 2.22, "20Y": 2.16, "10Y": 2.07, "7Y": 2.02, "5Y": 1.96})
    decimals = percent[["5Y", "7Y", "10Y", "20Y", "30Y"]].to_numpy() / 100
    oracle = solve_treasury({**data, "repo": decimals, "cvar_limit": 0.3}, haircut=True)
    result = compile_model(load(ROOT / "models" / "treasury.saddle"),
                           params={"repo": percent, "cvar_limit": 0.3}).solve()
    assert result.objective == pytest.approx(oracle["objective"], rel=1e-6)
    np.testing.assert_allclose(result.values["w"].to_numpy(), oracle["weights"], atol=1e-6)


def test_a_series_in_bp_is_converted_before_its_windows():
    """The CDS model declares its spreads in bp: each window sees decimals."""
    compiled = compile_model(load(ROOT / "models" / "cds_hedge.saddle"))
    spreads = pd.read_csv(ROOT / "models" / "data" / "cds" / "spreads.csv", index_col=0)
    np.testing.assert_allclose(values(compiled, "spread"), spreads.to_numpy() * 1e-4,
                               rtol=1e-15)


# ---- E308, E309 and data errors ----


def test_unknown_units_are_located():
    d = first_error("param c in pb = 25\n" + SOLVE)
    assert d.code == "E308" and (d.span.line, d.span.column) == (2, 12)
    assert "did you mean 'bp'" in d.help
    assert first_error('set s = ["a"]\nvariable n[s] in usd\nminimize o: sum(n)\n').code \
        == "E308"


@pytest.mark.parametrize("value", ["[25, 40bp]", "base + 5", "max(base, 5)",
                                   "[[1bp, 2bp], [3, 4]]"])
def test_numbers_with_and_without_a_unit_in_a_declared_value(value):
    index = "[s2, s]" if value.startswith("[[") else "[s]"
    d = first_error(f'set s = ["a", "b"]\nset s2 = [1, 2]\nparam base[s] in bp = [20, 30]\n'
                    f"param c{index} in bp = {value}\nvariable x >= 0\n"
                    f"maximize o: sum(c) * x\n")
    assert d.code == "E309" and d.span.line == 5, d


def test_zero_needs_no_unit_and_undeclared_params_mix_freely():
    compiled = compile_text('set s = ["a", "b"]\nparam c[s] in bp = [0, 25bp]\n'
                            "param d[s] = [25bp, 0.5]\nvariable x[s] >= 0 <= 1\n"
                            "maximize o: sum((c + d) * x)\n")
    np.testing.assert_allclose(values(compiled, "c"), [0, 25e-4], rtol=1e-15)
    np.testing.assert_allclose(values(compiled, "d"), [25e-4, 0.5], rtol=1e-15)


def test_a_declared_unit_and_a_value_of_another_dimension():
    d = first_error("param c in bp = $5M\n" + SOLVE)
    assert d.code == "E307" and "declared in bp" in d.message
    assert (d.span.line, d.span.column) == (2, 17)


def test_labels_cannot_have_a_unit(tmp_path):
    (tmp_path / "b.csv").write_text("bond,rating\nA,AAA\nB,BB\n")
    (tmp_path / "m.saddle").write_text(
        HEADER + 'set bond = csv("b.csv").bond\nparam rating[bond] in bp = csv("b.csv").rating\n'
        'param aaa[bond] = indicator(rating == "AAA")\nvariable x[bond] >= 0 <= 1\n'
        "maximize o: sum(aaa * x)\n")
    with pytest.raises(SpecError) as info:
        compile_model(load(tmp_path / "m.saddle"))
    assert info.value.codes == ["E505"]


# ---- dimensions: one rule per test ----


def test_dimensions_of_declarations_and_literals():
    found = dims('set s = ["a"]\nparam y[s] in % = [4]\nparam c in bp = 5\nparam m in $M = 1\n'
                 "param cap = 5%\nparam cash = $3k\nparam n = 7\nparam big in M = 2\n"
                 "variable w[s]\nvariable q[s] in $\nlet carry = q * y\nlet share = q / cash\n"
                 "let count = c / 1bp\nmaximize o: sum(w * y)\n")
    assert found["y"] == RATE and found["c"] == RATE and found["m"] == money_in("$M")
    assert found["cap"] == SHARE_OR_RATE and found["cash"] == MONEY
    assert found["n"] is None and found["big"] is None  # plain numbers are unknown
    assert found["w"] == PURE and found["q"] == MONEY
    assert found["carry"] == MONEY and found["count"] == PURE
    assert found["share"] == SHARE_OR_RATE  # money / money: a share, or a return (a rate)


@pytest.mark.parametrize(("line", "left", "right"), [
    ("sum(w) + y", "dimensionless", "a rate"),        # a weight plus a yield
    ("y - c / 1bp", "a rate", "dimensionless"),       # a count of bp from a yield
    ("m + y", "money", "a rate"),                     # a notional plus a yield
    ("max(m, sum(w))", "money", "dimensionless"),     # max of money and a weight
    ("min(y, m)", "a rate", "money"),
])
def test_adding_different_dimensions(line, left, right):
    d = first_error('set s = ["a", "b"]\nparam y in % = 4\nparam c in bp = 25\n'
                    f"param m in $M = 50\nvariable w[s] >= 0 <= 1\nlet bad = {line}\n"
                    "maximize o: sum(w)\n")
    assert d.code == "E307" and (d.span.line, d.span.column) == (7, 11), d
    assert d.message.index(left) < d.message.index(right), d.message


@pytest.mark.parametrize("condition", ["sum(w) <= m", "0 <= w <= m", "w == 0 or abs(w) >= m",
                                       "y >= sum(w)", "m * sum(w) <= y * m + 1bp"])
def test_comparing_different_dimensions(condition):
    d = first_error('set s = ["a", "b"]\nparam y in % = 4\nparam m in $M = 50\n'
                    "variable w[s] >= -1 <= 1\nmaximize o: sum(w * y)\n"
                    f"subject to\n    bad: {condition}\n")
    assert d.code == "E307" and d.span.line == 8, d


def test_products_and_quotients_combine_dimensions():
    compiled = compile_text(
        'set s = ["a", "b"]\nparam y[s] in % = [4, 5]\nparam m in $M = 50\n'
        "param cap in $M = 40\nvariable w[s] >= 0 <= 1\nlet carry = m * sum(w * y)\n"
        "maximize o: carry / m + sum(w * y)\nsubject to\n    size: m * w <= cap\n"
        "    budget: sum(w) <= m / m\n    cost: carry - m * 1bp >= $0\n")
    result = compiled.solve()
    # by hand: w = 0.8 on b (cap / m) and 0.2 on a, objective 2 x (0.8 x 5% + 0.2 x 4%)
    assert result.objective == pytest.approx(2 * (0.8 * 0.05 + 0.2 * 0.04), rel=1e-7)


def test_unknown_is_polymorphic():
    compile_text('set s = ["a", "b"]\nparam y in % = 4\nparam m in $M = 50\nparam k = 3\n'
                 "param raw[s] = [1, 2]\nvariable w[s] >= 0 <= 1\n"
                 "maximize o: sum(w) + 3 + k + y * raw[\"a\"] * 0\n"
                 "subject to\n    a: m * sum(w) <= k * m\n    b: y + raw <= y * sum(w) + 1\n"
                 "    c: sum(w) <= 2 * m\n")


def test_rate_times_rate_is_unknown_and_box_ends_share_a_dimension():
    compile_text("param mu in % = 6\nparam sigma in % = 20\nvariable x >= 0 <= 1\n"
                 "maximize o: (mu - sigma^2 / 2) * x\n")  # an Ito drift is not rejected
    d = first_error('set s = ["a"]\nuncertain u[s] in box(-25bp, $1M)\nvariable w[s] >= 0\n'
                    "maximize o: sum(w * u)\n")
    assert d.code == "E307" and d.span.line == 3


def test_a_percentage_literal_is_a_share_or_a_rate_never_money():
    compile_text('set s = ["a", "b"]\nparam y in bp = 400\nvariable w[s] >= 0 <= 1\n'
                 "maximize o: sum(w * (y + 0.5%))\nsubject to\n    cap: abs(w) <= 60%\n")
    assert first_error("param m in $M = 5\nvariable w >= 0 <= 1\nmaximize o: w\n"
                       "subject to\n    bad: m <= 5%\n").code == "E307"
    d = first_error("param cap in % = 60\nvariable w >= 0 <= 1\nmaximize o: w\n"
                    "subject to\n    bad: w <= cap\n")
    assert d.code == "E307" and "declared `in %` is a rate" in d.help


def test_a_variable_with_a_unit_and_its_bounds():
    compile_text('set s = ["a", "b"]\nparam y[s] in bp = [400, 450]\n'
                 "variable n[s] in $ >= 0 <= $5M\nmaximize o: sum(n * y)\n"
                 "subject to\n    book: sum(n) <= $8M\n")
    d = first_error('set s = ["a"]\nparam cap in $M = 5\nvariable w[s] >= 0 <= cap\n'
                    "maximize o: sum(w)\n")
    assert d.code == "E307" and (d.span.line, d.span.column) == (4, 23)


def test_lists_indicator_and_builtin_arguments_share_a_dimension():
    assert first_error('set s = ["a", "b"]\nparam p[s] = [25bp, $3M]\nvariable x >= 0 <= 1\n'
                       "maximize o: sum(p) * x\n").code == "E307"
    assert first_error('set s = ["a", "b"]\nparam y[s] in bp = [1, 2]\nparam m in $M = 1\n'
                       "param big[s] = indicator(y >= m)\nvariable x >= 0 <= 1\n"
                       "maximize o: sum(big) * x\n").code == "E307"
    d = first_error('set bond = ["A"]\nset period = 1..2\nparam cf[bond, period] = [[1, 101]]\n'
                    "param y[period] in % = [4, 4.5]\nparam s[bond] in bp = [90]\n"
                    "param p[bond] = bond_price(cf, y, spread = s / 1bp)\n"
                    "variable h[bond] >= 0 <= 1\nmaximize o: sum(p * h)\n")
    assert d.code == "E307" and d.span.line == 7


def test_every_mistake_is_reported_at_once():
    with pytest.raises(SpecError) as info:
        compile_text("param m in $M = 5\nparam y in bp = 1\nvariable w >= 0 <= 1\n"
                     "let a = m + w\nlet b = y + w\nmaximize o: w\n")
    assert info.value.codes == ["E307", "E307"]


def test_every_shipped_model_passes_the_units_pass():
    for path in sorted((ROOT / "models").glob("*.saddle")):
        model = resolve(load(path))
        check_shapes(model)
        check_units(model)  # raises on a false positive


def test_a_variable_unit_prints_and_parses_back():
    text = HEADER + 'set s = ["a"]\nvariable n[s] in $M >= 0 integer\nminimize o: sum(n)\n'
    model = parse(text)
    assert model.decls[2].unit == "$M"  # type: ignore[union-attr]
    assert "variable n[s] in $M >= 0 integer" in format_model(model)
    assert parse(format_model(model)) == model


def test_bare_number_next_to_a_param_held_in_the_same_scaled_money_unit() -> None:
    """A new user's trial: `cap in $M = base + 50` was E309 (give 50 a unit) and
    `base + $50M` E307 (write 50, not $50M). Next to params held in $M only, 50 is $50M."""
    body = '''set asset = ["a", "b"]
param base in $M = 100
param cap in $M = base + 50
variable w[asset] in $M >= 0
maximize v: sum(w)
subject to
    c: sum(w) <= cap
'''
    result = compile_text(body).solve()
    assert result.objective == pytest.approx(100 + 50, abs=1e-9)
    # still ambiguous: a param held in $k next to a bare number read in $M
    assert first_error(body.replace("base in $M", "base in $k")).code == "E309"
    # and rates: 'a' is held as a decimal, 5 would be read in bp
    assert first_error('''param a in bp = 10
param b in bp = a + 5
variable x
minimize o: x
subject to
    c: x >= b
''').code == "E309"
