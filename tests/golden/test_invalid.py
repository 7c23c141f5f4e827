"""Golden invalid models: at least one small model per error code, with its full message.

Each `invalid/<CODE>_<name>.saddle` must fail the full check (no solve) with `<CODE>` as its
first diagnostic, and `str(SpecError)` must equal `invalid/<CODE>_<name>.err`. Codes that no
model can reach are listed, with the reason, in `invalid/UNREACHABLE.md`.

A model that needs command-line values says so in a comment line such as
`# check with: --param capitol=300`; the same arguments go to `compile_model` (as `params=`)
and to the CLI.

Regenerate the `.err` files with `pytest tests/golden --update-goldens` (or with
SADDLE_UPDATE_GOLDENS=1) and review the diff. Paths in messages are relative to the repository
root, and absolute paths (E501, E502) are written as `<repo>/...`, so goldens do not depend on
the machine.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from saddle_testing import check_golden

from compiler.cli import main, parse_params
from compiler.pipeline import compile_model
from dsl import parse
from dsl.errors import CODES, SpecError

REPO = Path(__file__).resolve().parents[2]
INVALID = Path(__file__).resolve().parent / "invalid"
MODELS = sorted(INVALID.glob("*.saddle"))
UNREACHABLE = INVALID / "UNREACHABLE.md"
ARGS_LINE = re.compile(r"^#\s*check with:(.*)$", re.MULTILINE)


def _relative(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _cli_args(text: str) -> list[str]:
    """The `# check with: ...` arguments of a model (none for most)."""
    return [arg for found in ARGS_LINE.findall(text) for arg in shlex.split(found)]


def _params(args: list[str]) -> dict[str, Any]:
    pairs = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--param"]
    return parse_params(pairs)


def _machine_independent(text: str) -> str:
    return text.replace(str(REPO) + os.sep, "<repo>/").replace(str(REPO), "<repo>")


def _code(path: Path) -> str:
    return path.stem.split("_", 1)[0]


def _check(path: Path) -> SpecError:
    """The error of the full check of a golden model: parse, resolve ... discipline."""
    text = path.read_text(encoding="utf-8")
    with pytest.raises(SpecError) as info:
        model = parse(text, name=_relative(path))
        compile_model(model, params=_params(_cli_args(text)), base_dir=path.parent)
    return info.value


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_invalid_model(path: Path, request: pytest.FixtureRequest) -> None:
    error = _check(path)
    assert error.codes[0] == _code(path), str(error)
    rendered = _machine_independent(str(error)) + "\n"
    check_golden(request, path.with_suffix(".err"), rendered)


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_cli_check_reports_the_error(path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    relative = _relative(path)
    args = _cli_args(path.read_text(encoding="utf-8"))
    assert main(["check", relative, *args]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert re.match(rf"{re.escape(relative)}:\d+:\d+: error\[{_code(path)}\]", err), err
    golden = path.with_suffix(".err")
    if golden.exists():  # the same message as compile_model's, with the same relative path
        assert _machine_independent(err) == golden.read_text(encoding="utf-8")


def test_every_code_has_a_golden_model_or_a_reason() -> None:
    covered = {_code(p) for p in MODELS}
    unreachable = set(re.findall(r"^\s*-\s*`?(E\d{3})`?\s*:", UNREACHABLE.read_text("utf-8"),
                                 re.MULTILINE))
    assert covered <= set(CODES), f"unknown codes in file names: {covered - set(CODES)}"
    assert unreachable <= set(CODES), f"unknown codes listed: {unreachable - set(CODES)}"
    assert not covered & unreachable, f"listed as unreachable but covered: {covered & unreachable}"
    missing = set(CODES) - covered - unreachable
    assert not missing, f"codes with no golden model and no reason: {sorted(missing)}"


def test_every_golden_message_has_a_model() -> None:
    orphans = [e.name for e in INVALID.glob("*.err") if not e.with_suffix(".saddle").exists()]
    assert not orphans
