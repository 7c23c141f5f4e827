"""Every example script runs and prints what it promises (dsp tests/test_snippets.py style)."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


def test_there_are_examples():
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, capsys):
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert out.strip(), f"{path.name} printed nothing"


def test_treasury_embedding_overrides_by_label(capsys):
    module = runpy.run_path(str(EXAMPLES[0].parent / "treasury_embed.py"))
    table = module["main"]()
    assert list(table.index) == ["5Y", "7Y", "10Y", "20Y", "30Y"]
    assert (table["exact (MIP)"].abs() >= 0.02 - 1e-9).all()
    assert "price of the haircut" in capsys.readouterr().out


def test_rolling_cds_example_gives_a_row_per_quarter():
    module = runpy.run_path(str(EXAMPLES[0].parent / "cds_rolling.py"))
    table = module["main"]()
    assert len(table) == 17 and set(table["status"]) == {"optimal"}
    assert list(table.index[:2]) == ["2021-03-31", "2021-06-30"]


def test_arbitrage_example_compares_nominal_and_robust():
    module = runpy.run_path(str(EXAMPLES[0].parent / "arbitrage_robustness.py"))
    table = module["main"]()
    assert list(table.columns) == ["nominal", "robust"]
    assert (table["robust"] - table["nominal"]).abs().max() > 0.05  # robustness moves it
    for column in table:
        assert table[column].min() >= -1e-9


def test_robust_bond_sweep_trades_turnover_for_worst_case():
    module = runpy.run_path(str(EXAMPLES[0].parent / "robust_bond_sweep.py"))
    table = module["main"]()
    assert set(table["status"]) == {"optimal"}
    # more weight on the worst case never lowers it, and never lowers turnover
    assert (table["worst-case log return"].diff().dropna() >= -1e-6).all()
    assert (table["turnover phi"].diff().dropna() >= -1e-6).all()
    assert table["turnover phi"].iloc[0] == pytest.approx(0, abs=1e-6)  # lambda = 1: benchmark
