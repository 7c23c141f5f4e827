"""The scripts in benchmarks/ still name what exists (no timing here).

Each script imports; every project name it imports (lazily too), reads off a project module
(`module.name`, `getattr(module, "name", ...)`) or patches still exists; and every function
a benchmark times by wrapping it where it is looked up is still called there, so the wrapper
measures something. The compiler/ regrouping once left `from compiler import saddle` and a
timing list on the old `compiler.rolling` module behind, and a silent
`getattr(..., "_TABLES", None)` would have stopped clearing the CSV cache unnoticed.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
SCRIPTS = sorted(path.stem for path in BENCHMARKS.glob("*.py"))
# Import roots that are this project's (tests/ holds `fuzz` and `oracles`; benchmarks/ and
# scripts/ the helpers the scripts import by bare name).
PROJECT = {"compiler", "dsl", "fuzz", "oracles", "profiling", "treasury_baseline",
           "make_robust_mean_sample", "saddle_testing"}

Loader = Callable[[str], ModuleType]


@pytest.fixture(scope="module")
def load_benchmark() -> Loader:
    """Loads benchmarks/<stem>.py as `benchmark_<stem>` (benchmarks/fuzz.py must not shadow
    the tests' `fuzz` package); sys.path is put back after each import."""
    loaded: dict[str, ModuleType] = {}

    def load(stem: str) -> ModuleType:
        if stem not in loaded:
            saved = list(sys.path)
            sys.path.insert(0, str(BENCHMARKS))
            try:
                spec = importlib.util.spec_from_file_location(f"benchmark_{stem}",
                                                              BENCHMARKS / f"{stem}.py")
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            finally:
                sys.path[:] = saved
            loaded[stem] = module
        return loaded[stem]
    return load


def resolve(module: str, name: str | None) -> Any:
    """What `from module import name` (or `import module`) binds; raises if it is gone."""
    target = importlib.import_module(module)
    if name is None:
        return target
    if hasattr(target, name):
        return getattr(target, name)
    return importlib.import_module(f"{module}.{name}")


def project_imports(tree: ast.AST) -> Iterator[tuple[str, str | None, str, int]]:
    """(module, name or None, bound name, line) of every project import, at any depth."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] in PROJECT:
            for alias in node.names:
                yield node.module, alias.name, alias.asname or alias.name, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PROJECT and alias.asname:
                    yield alias.name, None, alias.asname, node.lineno


@pytest.mark.parametrize("stem", SCRIPTS)
def test_script_imports_and_names_exist(stem: str, load_benchmark: Loader) -> None:
    load_benchmark(stem)  # top-level imports (and `profiling`, ... now in sys.modules)
    tree = ast.parse((BENCHMARKS / f"{stem}.py").read_text(encoding="utf-8"))
    bound: dict[str, Any] = {}
    for module, name, as_name, line in project_imports(tree):
        try:
            bound[as_name] = resolve(module, name)
        except (ImportError, AttributeError) as exc:
            pytest.fail(f"benchmarks/{stem}.py:{line}: from {module} import {name}: {exc}")
    missing = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner, attr = bound.get(node.value.id), node.attr
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "getattr" and len(node.args) >= 2 \
                and isinstance(node.args[0], ast.Name) \
                and isinstance(node.args[1], ast.Constant):
            owner, attr = bound.get(node.args[0].id), node.args[1].value
        else:
            continue
        if isinstance(owner, (ModuleType, type)) and not hasattr(owner, attr):
            missing.append(f"line {node.lineno}: {node_name(owner)}.{attr}")
    assert not missing, f"benchmarks/{stem}.py names what no longer exists: {missing}"


def node_name(owner: Any) -> str:
    return getattr(owner, "__name__", repr(owner))


def called_in(owner: Any, name: str) -> bool:
    """Whether `owner`'s source calls `name` by the lookup a wrapper on owner replaces: a
    bare name in a module, `self.name(` / `cls.name(` in a class (definitions excluded)."""
    source = inspect.getsource(owner)
    prefix = r"(?:self\.|cls\.)?" if isinstance(owner, type) else ""
    return re.search(rf"(?<!def )(?<![\w.]){prefix}{re.escape(name)}\(", source) is not None


def timed_targets(load: Loader) -> list[tuple[str, Any, str]]:
    """(script, owner, name) of every function a benchmark wraps or swaps for a run."""
    cds, mean, sweep = load("bench_cds"), load("bench_robust_mean"), load("bench_sweep_dpp")
    return ([("bench_cds", owner, name) for owner, name, _ in cds.WINDOW_WORK]
            + [("bench_robust_mean", owner, name) for _, owner, name, _ in mean.BACKEND]
            + [("bench_sweep_dpp", sweep.sweeps_module, "compile_parametric")])


def test_timed_functions_exist_and_are_called_where_wrapped(load_benchmark: Loader) -> None:
    targets = timed_targets(load_benchmark)
    assert len(targets) >= 13  # the lists above were read, not empty
    stale = [f"{script}: {node_name(owner)}.{name}" for script, owner, name in targets
             if not callable(getattr(owner, name, None)) or not called_in(owner, name)]
    assert not stale, f"timed or patched by name but gone or no longer called there: {stale}"


def test_csv_cache_the_benchmarks_clear_is_the_sandboxs(load_benchmark: Loader) -> None:
    from compiler.data import sandbox

    assert isinstance(sandbox._TABLES, dict)
    assert re.search(r"_TABLES\[", inspect.getsource(sandbox))  # filled where CSVs are read
    for stem, alias in (("bench_treasury", "saddle_data"), ("bench_cds", "saddle_data"),
                        ("bench_robust_mean", "saddle_data"), ("bench_robust_bond", "data")):
        assert getattr(load_benchmark(stem), alias) is sandbox, stem


def test_robust_mean_what_if_patch_points_exist(load_benchmark: Loader) -> None:
    mean = load_benchmark("bench_robust_mean")
    from compiler.uncertainty.arguments import SetArguments

    assert isinstance(mean.Ellipsoid.__dict__["parse"], classmethod)
    for method in ("over_u", "scalar", "matrix"):
        assert callable(getattr(SetArguments, method, None)), method
    quad_form = mean.builtins.REGISTRY["quad_form"]
    assert callable(quad_form.lower) and callable(mean.builtins.REGISTRY.replace)
    assert all(callable(step) for step in mean.pipeline.FRONT) and mean.pipeline.FRONT


def test_whole_process_benchmark_finds_the_cli() -> None:
    # bench_cds_processes runs the `saddle` script that sits beside the interpreter
    assert Path(sys.executable).with_name("saddle").exists()
