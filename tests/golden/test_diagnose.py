"""Golden diagnoses: `saddle solve` on each `diagnose/<name>.saddle` (infeasible or
unbounded) exits 4 and prints `diagnose/<name>.out`, the report with its diagnosis paragraph
(solve times masked). Its JSON has a `"diagnosis"` object of the kind the name starts with.

Regenerate the `.out` files with `pytest tests/golden --update-goldens` (or with
SADDLE_UPDATE_GOLDENS=1) and review the diff. The diagnoses' content is checked against
independent formulations in tests/compiler/test_diagnose.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from saddle_testing import check_golden

from compiler.cli import main

REPO = Path(__file__).resolve().parents[2]
FOLDER = Path(__file__).resolve().parent / "diagnose"
MODELS = sorted(FOLDER.glob("*.saddle"))
SOLVE_TIME = re.compile(r"\((\w+), \d+\.\d+ s\)")


def _run(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["solve", path.relative_to(REPO).as_posix(), *args])
    out, err = capsys.readouterr()
    assert err == ""
    return code, out


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_diagnosis_report(path: Path, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch,
                          request: pytest.FixtureRequest) -> None:
    monkeypatch.chdir(REPO)
    code, out = _run(path, capsys)
    assert code == 4
    rendered = SOLVE_TIME.sub(r"(\1, <time> s)", out)
    check_golden(request, path.with_suffix(".out"), rendered)


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_diagnosis_json(path: Path, capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out = _run(path, capsys, "--format", "json")
    assert code == 4
    diagnosis = json.loads(out)["diagnosis"]
    kind = path.stem.split("_")[0]
    assert diagnosis["kind"] == kind
    if kind == "infeasible":
        assert diagnosis["irreducible"] is True
        assert diagnosis["conflict"] and diagnosis["violations"]
        relative = path.relative_to(REPO).as_posix()
        assert all(item["where"].startswith(f"{relative}:") for item in diagnosis["conflict"])
    else:
        assert diagnosis["direction"] and diagnosis["gain"] > 0


def test_every_golden_report_has_a_model() -> None:
    assert not [p.name for p in FOLDER.glob("*.out") if not p.with_suffix(".saddle").exists()]
