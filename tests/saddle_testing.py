"""Small helpers shared by the compiler tests."""

import os
from pathlib import Path

import pytest

from compiler import compile_model, loads
from dsl import SpecError

HEADER = 'model m "test"\n'
# A MIP solver's integer values are integers to its feasibility tolerance, not bit for bit
# (HiGHS 1.16 returns -1.0000000000000486): compare with this.
INTEGRALITY = 1e-6
REPO = Path(__file__).resolve().parents[1]


def shared_folder() -> Path:
    """The shared folder beside the checkout (`../shared`), or `$SADDLE_SHARED`.

    Tests reach it through the `shared` fixture (tests/conftest.py); oracle modules that
    read the paper's data call this."""
    override = os.environ.get("SADDLE_SHARED")
    return Path(override) if override else REPO.parent / "shared"


def compile_text(body: str, **kwargs):
    """Compile a model body (the header is added)."""
    return compile_model(loads(HEADER + body, "m.saddle"), **kwargs)


def first_error(body: str, **kwargs):
    """The first diagnostic of a model body that must fail to compile."""
    with pytest.raises(SpecError) as info:
        compile_text(body, **kwargs)
    return info.value.diagnostics[0]


def updating_goldens(request) -> bool:
    """`pytest --update-goldens` (or SADDLE_UPDATE_GOLDENS=1): rewrite golden files."""
    if os.environ.get("SADDLE_UPDATE_GOLDENS") == "1":
        return True
    try:
        return bool(request.config.getoption("--update-goldens", default=False))
    except ValueError:  # the option is not registered (no tests/conftest.py)
        return False


def check_golden(request, golden: Path, rendered: str) -> None:
    """`rendered` must equal the golden file. A missing golden fails (it is written only by
    `--update-goldens`, so a run never passes on a file it wrote itself)."""
    if updating_goldens(request):
        golden.write_text(rendered, encoding="utf-8")
    elif not golden.exists():
        pytest.fail(f"golden {golden.name} is missing: write it with --update-goldens and "
                    "review it")
    assert rendered == golden.read_text(encoding="utf-8"), \
        f"{golden.name} changed: review, then --update-goldens"
