"""Single-character mutations of the shipped models through the whole check (parse, resolve,
shapes, data, exact forms, lowering, discipline): nothing but SpecError may escape."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import compile_model, loads
from dsl import SpecError

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "models").glob("*.saddle"))
ALPHABET = st.sampled_from(list("abcxyzw_0123456789 ()[],.:=<>+-*/@^\"#\n") + ["    ", "bp"])


def _check(text: str, path: Path) -> None:
    try:
        compile_model(loads(text, str(path)), base_dir=path.parent)
    except SpecError as exc:
        for diagnostic in exc.diagnostics:
            assert 0 <= diagnostic.span.start <= max(len(text), 1)
            assert diagnostic.help


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.data())
def test_mutated_models_only_raise_spec_errors(data):
    path = data.draw(st.sampled_from(MODELS))
    text = path.read_text()
    position = data.draw(st.integers(0, len(text)))
    kind = data.draw(st.sampled_from(["delete", "insert", "replace"]))
    if kind == "delete":
        mutated = text[:position] + text[position + 1:]
    else:
        insert = data.draw(ALPHABET)
        skip = 1 if kind == "replace" else 0
        mutated = text[:position] + insert + text[position + skip:]
    _check(mutated, path)


def test_there_are_models_to_mutate():
    assert MODELS, "models/*.saddle is empty"
