"""The `saddle` command in-process: subcommands, formats and exit codes."""

import json
from pathlib import Path

import pytest

from compiler.cli import main, parse_params
from compiler.passes.unit_values import InBaseUnits

ROOT = Path(__file__).resolve().parents[2]
TREASURY = str(ROOT / "models" / "treasury.saddle")


def write(tmp_path: Path, text: str, name: str = "m.saddle") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_check_ok(capsys):
    assert main(["check", TREASURY]) == 0
    assert "ok — mixed-integer LP" in capsys.readouterr().out


def test_model_error_exit_1_with_location(tmp_path, capsys):
    path = write(tmp_path, 'model m "x"\nvariable w\nmaximize o: w + yeild\n')
    assert main(["check", path]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:3:17: error[E201]: undefined name 'yeild'")
    assert "Traceback" not in err


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["solve", TREASURY, "--format", "xml"]) == 2
    assert main(["solve", TREASURY, "--param", "capital"]) == 2
    assert main(["solve", TREASURY, "--param", "capital=max(1, 2)"]) == 2
    assert main(["solve", TREASURY, "--solver", "MOSEK_NOT_HERE"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_unreadable_input_exit_3(tmp_path, capsys):
    assert main(["check", str(tmp_path / "absent.saddle")]) == 3
    assert main(["check", TREASURY, "--data", str(tmp_path / "absent")]) == 3
    assert "cannot read model file" in capsys.readouterr().err


def test_not_optimal_exit_4_with_an_explanation(capsys):
    assert main(["solve", TREASURY, "--param", "capital=0"]) == 4
    out = capsys.readouterr().out
    assert "infeasible" in out and "'capital'" in out


def test_unbounded_is_explained(tmp_path, capsys):
    path = write(tmp_path, 'model m "x"\nvariable w\nmaximize carry: w\n')
    assert main(["solve", path, "--format", "json"]) == 4
    report = json.loads(capsys.readouterr().out)
    assert report["status"].startswith("unbounded") and report["objective"] is None
    assert "'carry' can be pushed up without limit" in report["notes"][-1]


def test_csv_format_and_output_file(tmp_path):
    out = tmp_path / "result.csv"
    assert main(["solve", TREASURY, "--format", "csv", "--output", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "name,value"
    assert lines[1].startswith("net_carry,0.2486")
    assert any(line.startswith("w[10Y],-1.6") for line in lines)


def test_units_in_params():
    # a value with a unit is already converted: a declared unit does not convert it again
    assert parse_params(["capital=$250M", "x=-25bp", "v=[1, 2.5%]", "n=3"]) == {
        "capital": InBaseUnits(250e6), "x": InBaseUnits(-0.0025),
        "v": InBaseUnits([1, 0.025], mixed=True), "n": 3}


def test_fmt_and_check(tmp_path, capsys):
    path = write(tmp_path, 'model m "x"\nvariable  w\nminimize o:   w\nsubject to\n  lo: w>=1\n')
    assert main(["fmt", "--check", path]) == 1
    assert main(["fmt", path]) == 0
    canonical = capsys.readouterr().out
    assert "minimize o:" in canonical
    Path(path).write_text(canonical)
    assert main(["fmt", "--check", path]) == 0


def test_compile_emits_stages(capsys):
    assert main(["compile", TREASURY, "--emit", "ast"]) == 0
    assert capsys.readouterr().out.startswith("Model\n  .decls\n    ModelDecl name='treasury'")
    assert main(["compile", TREASURY, "--emit", "ir"]) == 0
    ir_text = capsys.readouterr().out
    assert "variable   w [tenor]  (decision)" in ir_text
    assert "constraint liquidity [tenor]" in ir_text
    assert main(["compile", TREASURY, "--emit", "cvxpy"]) == 0
    assert "haircut: constraint 'haircut'" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["solve", TREASURY, "--solver", "clarabel",
                                   "--param", "min_weight=0"]])
def test_solver_choice_is_reported(argv, capsys):
    assert main(argv + ["--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["solver"] == "CLARABEL"
