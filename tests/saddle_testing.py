"""Small helpers shared by the compiler tests."""

import os
from pathlib import Path

import pytest

from compiler import compile_model, loads
from dsl import SpecError

HEADER = 'model m "test"\n'


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
    """`rendered` must equal the golden file; a missing golden is written and fails once."""
    if updating_goldens(request) or not golden.exists():
        golden.write_text(rendered, encoding="utf-8")
        if not updating_goldens(request):
            pytest.fail(f"wrote the missing golden {golden.name}; review it and rerun")
    assert rendered == golden.read_text(encoding="utf-8"), \
        f"{golden.name} changed: review, then --update-goldens"
