"""The compiler's structure, checked: no import cycle (imports inside functions count), one
interface for every compiled model, and `--emit PASS` for every pass of the real loop."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from test_cli_process import run

from compiler import compile_model, load
from compiler.compiled import BACKENDS, Compiled
from compiler.pipeline import PASSES
from compiler.report.stages import DESCRIBE, pass_names

ROOT = Path(__file__).resolve().parents[1]


def _import_graph():
    spec = importlib.util.spec_from_file_location("import_graph",
                                                  ROOT / "scripts" / "import_graph.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_graph"] = module
    spec.loader.exec_module(module)
    return module


def test_no_import_cycle_counting_imports_inside_functions():
    graph = _import_graph()
    edges = graph.graph()
    assert "compiler.pipeline" in edges and len(edges) > 50  # the graph saw the package
    assert graph.cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = _import_graph()
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert graph.cycles(edges) == [["a", "b", "c"]]


@pytest.mark.parametrize(("model", "backend"), [
    ("treasury", "plain"), ("robust_mean", "counterpart"), ("cds_hedge", "rolling"),
    ("robust_bond_analysis", "analysis")])
def test_every_compiled_model_has_the_one_interface(model, backend):
    compiled = compile_model(load(ROOT / "models" / f"{model}.saddle"))
    assert isinstance(compiled, Compiled)
    assert compiled.backend == backend and backend in BACKENDS
    assert compiled.summary() and compiled.model.name in compiled.emit()


def test_the_dsp_backend_has_the_interface_too():
    compiled = compile_model(load(ROOT / "models" / "robust_mean.saddle"), backend="dsp")
    assert isinstance(compiled, Compiled) and compiled.backend == "dsp"
    assert "dsp backend" in compiled.emit()


def test_every_pass_is_described():
    assert tuple(DESCRIBE) == pass_names() == tuple(p.__name__ for p in PASSES)


@pytest.mark.parametrize("name", [p.__name__ for p in PASSES])
def test_emit_each_pass_of_a_plain_model(name):
    done = run("compile", "models/treasury.saddle", "--emit", name)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() and done.stderr == ""


def test_emit_a_pass_after_a_robust_model_is_routed_shows_its_backend():
    done = run("compile", "models/robust_mean.saddle", "--emit", "lower_problem")
    assert done.returncode == 0, done.stderr
    assert "counterpart backend's problem" in done.stdout


def test_emit_names_the_passes_when_asked_and_refuses_an_unknown_one():
    listed = run("compile", "models/treasury.saddle", "--emit", "list")
    assert listed.returncode == 0 and "resolve_names" in listed.stdout
    wrong = run("compile", "models/treasury.saddle", "--emit", "optimize")
    assert wrong.returncode == 2 and "bind_data" in wrong.stderr
