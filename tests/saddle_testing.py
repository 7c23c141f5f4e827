"""Small helpers shared by the compiler tests."""

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
