"""Jupyter: examples/notebook.ipynb executed by nbclient on a real kernel, and the
`%%saddle` magic's options (compiler/notebook.py).

The kernel is this interpreter: a kernel spec written to a temporary JUPYTER_PATH names
`sys.executable`, so the notebook runs in the environment under test (a fresh
`pip install ".[test]"` venv in CI), never a `python3` found elsewhere.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

from compiler.notebook import SaddleCellError, run_cell

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "notebook.ipynb"
KERNEL = "saddle-test-python"

# the notebook's robust model, solved here by hand: the adversary's minimum over the
# ellipsoid {mu + L z : ||z|| <= radius}, L L' = cov, is w'mu - radius ||L'w||
MU = np.array([0.07, 0.03, 0.04])
COV = np.array([[0.04, 0.006, 0], [0.006, 0.01, 0], [0, 0, 0.03]])
RADIUS, GAMMA = 0.05, 3.0  # gamma = 3 in the notebook's namespace overrides the file's 2


def robust_by_hand(radius: float = RADIUS) -> tuple[float, np.ndarray]:
    w = cp.Variable(3, nonneg=True)
    root = np.linalg.cholesky(COV)
    utility = MU @ w - radius * cp.norm(root.T @ w, 2) - GAMMA * cp.quad_form(w, COV)
    problem = cp.Problem(cp.Maximize(utility), [cp.sum(w) == 1])
    problem.solve(solver=cp.CLARABEL)
    return float(problem.value), np.asarray(w.value)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import nbformat
    from nbclient import NotebookClient

    kernels = tmp_path_factory.mktemp("jupyter") / "kernels" / KERNEL
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Saddle tests", "language": "python"}))
    patch = pytest.MonkeyPatch()
    patch.setenv("JUPYTER_PATH", str(kernels.parent.parent))
    patch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's migration warning
    patch.setenv("PYTHONWARNINGS", "ignore")  # the kernel's own, not the model's
    try:
        notebook = nbformat.read(NOTEBOOK, as_version=4)
        client = NotebookClient(notebook, timeout=300, kernel_name=KERNEL,
                                resources={"metadata": {"path": str(NOTEBOOK.parent)}})
        client.execute()
    finally:
        patch.undo()
    return notebook


def outputs(notebook: Any, starts: str) -> list[Any]:
    (cell,) = [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith(starts)]
    return list(cell.outputs)


def data(notebook: Any, starts: str, kind: str) -> str:
    found = [o["data"][kind] for o in outputs(notebook, starts) if kind in o.get("data", {})]
    assert found, f"no {kind} output from the cell starting {starts!r}"
    return str(found[0])


def test_the_notebook_runs_and_shows_results_as_tables(executed: Any) -> None:
    for cell in executed.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o["output_type"] == "error"], cell.source
    html = data(executed, "%%saddle --solve --data ../models", "text/html")
    assert "model treasury" in html and "optimal" in html and "<table>" in html
    assert re.search(r"constraints \(binding: [^)]*capital", html)  # capital = 300 binds
    # gross notional 50 * sum|w| equals the notebook's capital of $300M, not the file's 250
    weights = ast.literal_eval(data(executed, "carry.binding()", "text/plain"))[1]
    assert 50 * sum(abs(v) for v in weights.values()) == pytest.approx(300, rel=1e-3)


def test_the_notebook_robust_cell_matches_a_hand_formulation(executed: Any) -> None:
    best, w = robust_by_hand()
    html = data(executed, "%%saddle --solve --from-namespace", "text/html")
    assert "worst case (the adversary's choice)" in html
    printed = "".join(o.get("text", "") for o in outputs(executed, "print(f\"worst-case"))
    assert float(printed.split()[-1]) == pytest.approx(best, abs=1e-5)
    worst = MU - RADIUS * COV @ w / np.sqrt(w @ COV @ w)  # the adversary's minimizer
    shown = data(executed, "print(f\"worst-case", "text/plain")
    values = [float(line.split()[-1]) for line in shown.splitlines()[:3]]
    assert values == pytest.approx(list(worst), abs=1e-4)


def test_the_notebook_sweep_is_a_table(executed: Any) -> None:
    html = data(executed, "%%saddle --sweep", "text/html")
    assert html.count("<tr>") == 1 + 5 and "radius" in html
    assert data(executed, "frontier.table", "text/plain") == "True"
    for radius in (0.0, 0.2):  # the first and last rows, by hand
        best, _ = robust_by_hand(radius)
        assert f"<td>{best:.6g}</td>" in html


MODEL = """model m "test"
set asset = ["a", "b"]
param r[asset] = [1, 2]
param cap = 1
variable w[asset] >= 0
maximize ret: sum(w * r)
subject to
    budget: sum(w) <= cap
"""


def test_param_from_a_notebook_variable_and_a_literal() -> None:
    namespace: dict[str, Any] = {"cap": 3, "r": pd.Series({"a": 5.0, "b": 4.0})}
    result = run_cell("--solve --param cap --param r", MODEL, namespace)
    assert result.objective == pytest.approx(15)  # all of cap 3 in a at 5
    result = run_cell("--solve --param cap=2 --as answer", MODEL, namespace)
    assert result.objective == pytest.approx(4) and namespace["answer"] is result
    result = run_cell("--solve --from-namespace --param cap=1", MODEL, namespace)
    assert result.objective == pytest.approx(5)  # r from the notebook, cap from --param


def test_check_only_says_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cell("", MODEL, {}) is None
    assert capsys.readouterr().out.startswith("m: ok")


@pytest.mark.parametrize(("line", "cell", "says"), [
    ("--solve --param missing", MODEL, "no notebook variable 'missing'"),
    ("--solve", MODEL.replace("sum(w * r)", "sum(w * rr)"), "error[E201]: undefined name"),
    ("--solve --bogus", MODEL, "unrecognized arguments: --bogus"),
    ("--solve --param cap=abc", MODEL, "--param value 'abc' must be a number"),
    ("--solve --as 1x", MODEL, "not a variable name"),
])
def test_mistakes_are_shown_without_a_traceback(line: str, cell: str, says: str) -> None:
    with pytest.raises(SaddleCellError) as caught:
        run_cell(line, cell, {})
    shown = "\n".join(caught.value._render_traceback_())
    assert says in shown and "Traceback" not in shown


def test_the_diagnostic_points_into_the_cell() -> None:
    with pytest.raises(SaddleCellError) as caught:
        run_cell("--solve", MODEL.replace("sum(w * r)", "sum(w * rr)"), {})
    assert "<cell>:6:" in str(caught.value)  # line 6 of the cell
