"""The `saddle` command as a user runs it: a real process whose stdout is parsed strictly.

Native solver code writes to file descriptors that pytest's `capsys` cannot see (HiGHS 1.16
prints a banner to descriptor 1 when it starts), so these tests start `saddle` as a process:
every shipped model in each output format, a rolling model, a sweep on two worker
processes, a robust model, and each exit code. JSON must be exactly one document
(`json.loads` of the whole stdout), CSV exactly one table, and a successful run says
nothing on stderr.

The command is the installed console script beside this interpreter (`pip install .` puts
it there); from a checkout that was never installed, `python -m compiler` stands in.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = sorted((ROOT / "models").glob("*.saddle"))
FORMATS = ("table", "json", "csv")
ROLLING = {"cds_hedge", "cds_hedge_cs01"}  # one row per window
TIMEOUT = 300


def saddle_command() -> list[str]:
    script = Path(sys.executable).with_name("saddle")
    return [str(script)] if script.exists() else [sys.executable, "-m", "compiler"]


def run(*args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    """`saddle ARGS` from the repository root, stdin closed, output captured as text."""
    return subprocess.run([*saddle_command(), *args], cwd=ROOT, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=timeout,
                          env={**os.environ, "PYTHONWARNINGS": ""})


@pytest.fixture(scope="module")
def solved() -> dict[tuple[str, str], subprocess.CompletedProcess[str]]:
    """Every shipped model in every format, run as processes (as many at once as cores)."""
    cases = [(path.stem, fmt) for path in MODELS for fmt in FORMATS]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        done = pool.map(lambda case: run("solve", f"models/{case[0]}.saddle",
                                         "--format", case[1]), cases)
        return dict(zip(cases, done, strict=True))


def _parsed_json(stdout: str) -> dict:
    document = json.loads(stdout)  # the whole of stdout: one JSON document, nothing else
    assert isinstance(document, dict)
    return document


def _parsed_csv(stdout: str) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(stdout))
    assert not frame.empty
    # nothing but the table: every line has as many fields as the header
    widths = {line.count(",") for line in stdout.strip().splitlines() if '"' not in line}
    assert len(widths) <= 1, widths
    return frame


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", [path.stem for path in MODELS])
def test_every_shipped_model_prints_parseable_output(solved, name, fmt):
    done = solved[(name, fmt)]
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    if fmt == "json":
        document = _parsed_json(done.stdout)
        statuses = ([row["status"] for row in document["rows"]] if "rows" in document
                    else [document["status"]])
        assert set(statuses) == {"optimal"}
    elif fmt == "csv":
        frame = _parsed_csv(done.stdout)
        if name in ROLLING:
            assert frame.columns[0] == "period" and set(frame["status"]) == {"optimal"}
        else:
            assert list(frame.columns) == ["name", "value"]
            assert pd.to_numeric(frame["value"], errors="coerce").notna().all()
    else:
        first = done.stdout.splitlines()[0]
        assert first.startswith(("model ", "period")) or "windows" in first, first


def test_the_readme_csv_example_reads_into_pandas():
    done = run("solve", "models/cds_hedge.saddle", "--every", "quarter", "--format", "csv")
    assert done.returncode == 0 and done.stderr == ""
    frame = _parsed_csv(done.stdout)
    assert frame.columns[0] == "period" and len(frame) == 17  # Q1 2021 .. Q1 2025
    assert set(frame["status"]) == {"optimal"}


def test_treasury_json_is_one_document_with_the_answer():
    done = run("solve", "models/treasury.saddle", "--format", "json")
    document = _parsed_json(done.stdout)
    assert document["status"] == "optimal" and document["solver"] == "HIGHS"
    assert document["objective"] == pytest.approx(0.2487, abs=1e-4)


@pytest.mark.parametrize("fmt", ("json", "csv"))
def test_a_sweep_on_two_worker_processes_prints_clean_output(fmt):
    done = run("solve", "models/treasury.saddle", "--param", "min_weight=0",
               "--sweep", "cvar_limit=0.2:1.0:4", "--workers", "2", "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    if fmt == "json":
        rows = _parsed_json(done.stdout)["rows"]
    else:
        rows = _parsed_csv(done.stdout).to_dict("records")
    assert len(rows) == 4 and {row["status"] for row in rows} == {"optimal"}


def test_verbose_keeps_stdout_clean():
    """--verbose sends what the solver printed to stderr; stdout is still one document."""
    done = run("solve", "models/treasury.saddle", "--format", "json", "--verbose")
    assert done.returncode == 0
    assert _parsed_json(done.stdout)["status"] == "optimal"


def test_a_closed_pipe_ends_quietly():
    """`saddle solve ... | head -1`: the reader is gone before the result is written."""
    process = subprocess.Popen([*saddle_command(), "solve", "models/treasury.saddle"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader leaves at once
    with process.stderr:
        stderr = process.stderr.read().decode()
    assert process.wait(timeout=TIMEOUT) == 0
    assert stderr == ""


def test_head_in_a_shell_pipeline():
    command = " ".join([*saddle_command(), "solve", "models/treasury.saddle"])
    done = subprocess.run(["bash", "-o", "pipefail", "-c", f"{command} | head -1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == "model treasury\n"


def test_check_names_the_solver_and_verifies_a_robust_integer_model():
    done = run("check", "models/robust_lots.saddle", "--verify")
    assert done.returncode == 0, done.stderr
    assert "mixed-integer SOCP" in done.stdout and "solver SCIP" in done.stdout
    assert "only the counterpart path applies" in done.stdout


def test_version_names_the_distribution():
    done = run("--version")
    assert done.returncode == 0
    name, version = done.stdout.split()
    assert name == "saddle-lang" and version[0].isdigit()


def test_exit_codes(tmp_path):
    broken = tmp_path / "broken.saddle"
    broken.write_text('model m "x"\nvariable x >= 0\nminimize o: x + y\n')
    infeasible = tmp_path / "infeasible.saddle"
    infeasible.write_text('model m "x"\nvariable x >= 1 <= 0\nminimize o: x\n')
    model_error = run("check", str(broken))
    assert model_error.returncode == 1
    assert f"{broken}:3:" in model_error.stderr and "error[E201]" in model_error.stderr
    assert run("solve", "models/treasury.saddle", "--format", "yaml").returncode == 2
    assert run("solve", str(tmp_path / "missing.saddle")).returncode == 3
    not_optimal = run("solve", str(infeasible), "--format", "json")
    assert not_optimal.returncode == 4
    assert _parsed_json(not_optimal.stdout)["status"].startswith("infeasible")


def test_compile_emits_the_cvxpy_problem_of_every_shipped_model():
    """Robust, rolling and no-decision models too (it used to crash on 9 of 14)."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        done = dict(zip(MODELS, pool.map(
            lambda path: run("compile", f"models/{path.name}", "--emit", "cvxpy"), MODELS),
            strict=True))
    for path, result in done.items():
        assert result.returncode == 0, (path.name, result.stderr)
        assert result.stdout.strip() and result.stderr == "", path.name
        assert path.stem in result.stdout.splitlines()[0], path.name


def test_show_summarizes_every_shipped_model():
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        done = dict(zip(MODELS, pool.map(
            lambda path: run("show", f"models/{path.name}"), MODELS), strict=True))
    for path, result in done.items():
        assert result.returncode == 0 and result.stderr == "", (path.name, result.stderr)
        assert result.stdout.startswith(f"model {path.stem}"), path.name
        assert "objective:" in result.stdout and "compiled:" in result.stdout, path.name
    treasury = done[ROOT / "models" / "treasury.saddle"].stdout
    assert "tenor                   5 labels" in treasury
    assert "shock            [shock_draw 1000 x tenor 5]" in treasury
    assert "mixed-integer LP" in treasury and "solver HIGHS" in treasury
    lots = done[ROOT / "models" / "robust_lots.saddle"].stdout
    assert "in ellipsoid(mu, covariance = cov, radius = kappa)" in lots
    assert "solver SCIP" in lots and "robust backend counterpart" in lots


def test_verbose_shows_the_solvers_log_on_stderr():
    done = run("solve", "models/robust_mean.saddle", "--format", "json", "--verbose")
    assert done.returncode == 0
    assert _parsed_json(done.stdout)["status"] == "optimal"
    assert len(done.stderr.splitlines()) > 10  # cvxpy's and Clarabel's own log lines


@pytest.mark.parametrize("args", [
    ("solve", "models/treasury.saddle", "--param", "tenor=1"),
    ("solve", "models/treasury.saddle", "--sweep", "tenor=1:2:3"),
    ("plot", "models/treasury.saddle", "--kind", "frontier", "--sweep", "tenor=0.2:1:3",
     "-o", "never.png")])
def test_a_number_for_a_set_is_a_located_error(args):
    """A set given a number (by --param or a sweep) was exit 70 (a new user's finding)."""
    done = run(*args)
    assert done.returncode == 1, done.stderr
    assert "error[E507]: 'tenor' is a set" in done.stderr and "internal error" not in done.stderr
    assert "models/treasury.saddle:7:5" in done.stderr
