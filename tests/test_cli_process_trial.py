"""A new user's trial findings, as the `saddle` command shows them (real processes, see
tests/test_cli_process.py): several files for `check` and `fmt --check`, scenario-CVaR
settings that are not understood, a param's declared unit in `show`, and where a large
scenario CVaR of a robust or rolling model is solved."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
from saddle_testing import robust_tail_book
from test_cli_process import ROOT, TIMEOUT, run, saddle_command

UGLY = 'model ugly "not canonical"\nvariable w\nminimize  o: w\nsubject to\n    c: w >= 1\n'
BROKEN = 'model broken "a parse error"\nvariable w\nminimize o: w +\n'


def run_env(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*saddle_command(), *args], cwd=ROOT, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT,
                          env={**os.environ, "PYTHONWARNINGS": "", **env})


def test_check_takes_several_files_and_exits_with_the_worst(tmp_path):
    broken = tmp_path / "broken.saddle"
    broken.write_text(BROKEN)
    done = run("check", "models/treasury.saddle", str(broken), "models/basis_trade.saddle")
    assert done.returncode == 1
    assert "models/treasury.saddle: ok" in done.stdout
    assert "models/basis_trade.saddle: ok" in done.stdout  # checked after the broken one
    assert f"{broken}:3:16: error[E100]" in done.stderr and "Traceback" not in done.stderr
    missing = run("check", "models/treasury.saddle", str(tmp_path / "none.saddle"),
                  str(broken))
    assert missing.returncode == 3  # unreadable is worse than a model error
    assert "cannot read model file" in missing.stderr and "error[E100]" in missing.stderr


def test_check_of_every_shipped_model_at_once():
    models = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "models").glob("*.saddle"))
    done = run("check", *models)
    assert done.returncode == 0 and done.stderr == ""
    assert [line.split(":")[0] for line in done.stdout.splitlines()
            if not line.startswith(" ")] == models


def test_fmt_check_takes_several_files(tmp_path):
    ugly, broken = tmp_path / "ugly.saddle", tmp_path / "broken.saddle"
    ugly.write_text(UGLY)
    broken.write_text(BROKEN)
    clean = run("fmt", "--check", "models/treasury.saddle", "models/basis_trade.saddle")
    assert clean.returncode == 0 and clean.stdout == "" and clean.stderr == ""
    done = run("fmt", "--check", str(ugly), "models/treasury.saddle", str(broken))
    assert done.returncode == 1 and done.stdout == ""
    assert f"{ugly}: not in canonical form" in done.stderr
    assert "error[E100]" in done.stderr and "treasury" not in done.stderr
    alone = run("fmt", "--check", str(ugly))  # one file: silent, as before
    assert alone.returncode == 1 and alone.stdout == "" and alone.stderr == ""
    printing = run("fmt", str(ugly), "models/treasury.saddle")
    assert printing.returncode == 2 and "add --check" in printing.stderr


def test_unknown_cvar_settings_are_usage_errors():
    bogus = run_env({"SADDLE_CVAR_METHOD": "bogus"}, "solve", "models/treasury.saddle")
    assert bogus.returncode == 2 and bogus.stdout == ""
    assert "SADDLE_CVAR_METHOD='bogus' is not a scenario CVaR method" in bogus.stderr
    assert "auto, lp, cuts, generation" in bogus.stderr and "Traceback" not in bogus.stderr
    count = run_env({"SADDLE_CVAR_CUTS_FROM": "2.5k"}, "check", "models/treasury.saddle")
    assert count.returncode == 2 and "SADDLE_CVAR_CUTS_FROM='2.5k'" in count.stderr
    fine = run_env({"SADDLE_CVAR_METHOD": "Cuts", "SADDLE_CVAR_CUTS_FROM": " 100 "},
                   "check", "models/treasury.saddle")
    assert fine.returncode == 0 and "cutting planes" in fine.stdout


def test_show_gives_a_declared_unit_and_the_value_held(tmp_path):
    model = tmp_path / "units.saddle"
    model.write_text('model units "units"\nset tenor = ["5Y", "10Y"]\n'
                     'param cost[tenor] in bp = [10, 15]\nparam rate in % = 1.5\n'
                     'param cap in $M = 250\nvariable w[tenor]\nminimize o: sum(cost * w)\n'
                     'subject to\n    floor: w >= 0\n')
    done = run("show", str(model))
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines()
             if line.startswith("  ")}
    assert lines["cost"].endswith("in bp = [10, 15] (held as decimals [0.001, 0.0015])")
    assert lines["rate"].endswith("in % = 1.5 (held as decimals 0.015)")
    assert lines["cap"].endswith("in $M = 250")  # money is held in its declared scale


ROBUST = 'model robust_tail "a robust book with a scenario CVaR limit"\n' + \
    robust_tail_book("box(mu - 0.0002, mu + 0.0002)")


def test_check_and_solve_say_where_a_robust_cvar_is_solved_and_how(tmp_path):
    model = tmp_path / "robust_tail.saddle"
    model.write_text(ROBUST)
    counterpart = run("check", str(model))
    assert counterpart.returncode == 0, counterpart.stderr
    assert "CVaR of constraint 'tail' over 3,000 scenarios: aggregated cutting planes" in \
        counterpart.stdout
    check = run("check", str(model), "--backend", "dsp")
    line = next(x.strip() for x in check.stdout.splitlines() if "CVaR" in x)
    assert line.startswith("CVaR of constraint 'tail' over 3,000 scenarios solved as the "
                           "Rockafellar-Uryasev LP: the saddle-point form")
    solved = run("solve", str(model), "--backend", "dsp")
    assert solved.returncode == 0, solved.stderr
    assert f"  - {line}" in solved.stdout  # the same line in the solve's notes


def test_check_says_why_a_rolling_cvar_stays_on_the_ru_lp(tmp_path):
    rng = np.random.default_rng(7)
    days = pd.bdate_range("2023-01-02", periods=60).strftime("%Y-%m-%d")
    frame = pd.DataFrame(rng.normal(0.0005, 0.01, (60, 3)), index=days,
                         columns=["A0", "A1", "A2"])
    frame.index.name = "date"
    frame.to_csv(tmp_path / "returns.csv")
    pd.DataFrame({"asset": list(frame.columns)}).to_csv(tmp_path / "assets.csv", index=False)
    model = Path(tmp_path / "roll.saddle")
    model.write_text('model roll "rolling"\nset day = csv("returns.csv").date\n'
                     'set asset = csv("assets.csv").asset\n'
                     'series r[day, asset] = csv("returns.csv")\n'
                     'scenarios shock[3000, asset] ~ normal(0, 1, seed = 7)\n'
                     'variable w[asset] >= 0 <= 0.6\nrebalance every month on day\n'
                     'maximize ret: mean(r @ w)\nsubject to\n    budget: sum(w) == 1\n'
                     '    tail: cvar(0.95, -(shock @ (0.01 * w))) <= 0.02\n')
    done = run("check", str(model))
    assert done.returncode == 0, done.stderr
    assert "CVaR of constraint 'tail' over 3,000 scenarios solved as the " \
        "Rockafellar-Uryasev LP: a rolling run or backtest" in done.stdout


def test_a_negative_param_from_the_command_line_is_named_in_the_curvature_error(tmp_path):
    """E401 used to blame the file's objective text alone, which looks right: the sign came
    from `--param cost=-0.5`."""
    model = tmp_path / "cost.saddle"
    model.write_text('model m "cost"\nset asset = ["a", "b"]\nparam cost = 0.01\n'
                     'variable w[asset]\nminimize c: cost * sum(abs(w)) - sum(w)\n'
                     'subject to\n    budget: sum(w) == 1\n')
    assert run("check", str(model)).returncode == 0
    done = run("check", str(model), "--param", "cost=-0.5")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{model}:5:13: error[E401]" in done.stderr
    assert "'cost' holds a negative value" in done.stderr
