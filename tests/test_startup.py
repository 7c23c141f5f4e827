"""Start-up cost (issue 12): what `saddle --help` and `saddle fmt` import, and the parser's
disk cache. Each check runs in a fresh interpreter (a process's sys.modules is the only
honest answer); nothing here is timed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("cvxpy", "pandas", "scipy")


def _python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=120,
                          env={**os.environ, **(env or {})})


def _imported_after(argv: list[str]) -> set[str]:
    """The top-level packages in sys.modules after `saddle ARGV` ran in a fresh process."""
    code = (
        "import contextlib, io, json, sys\n"
        "from compiler.cli.main import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    try: main({argv!r})\n"
        "    except SystemExit: pass\n"
        "sys.stderr.write(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = _python(code)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"],
                                  ["fmt", "models/treasury.saddle"]])
def test_help_and_fmt_import_no_numerics(argv: list[str]) -> None:
    imported = _imported_after(argv)
    assert "compiler" in imported and not imported & set(HEAVY), sorted(imported & set(HEAVY))


MODEL = 'model m "t"\nvariable x\nminimize cost:\n    x\nsubject to\n    x >= 1\n'


def _modules_after(argv: list[str]) -> set[str]:
    """Every module in sys.modules after `saddle ARGV` ran in a fresh process."""
    code = (
        "import contextlib, io, json, sys\n"
        "from compiler.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main({argv!r})\n"
        "sys.stderr.write(json.dumps([code, sorted(sys.modules)]))\n"
    )
    done = _python(code)
    assert done.returncode == 0, done.stderr
    code, modules = json.loads(done.stderr.strip().splitlines()[-1])
    assert code == 0
    return set(modules)


# what a plain model's check does not use: the robust and rolling backends (and the process
# pool the rolling one imports), the cutting planes, the HTML tables, the DRO lowering
NOT_FOR_A_PLAIN_MODEL = ("compiler.backends.robust", "compiler.backends.counterpart",
                         "compiler.rolling.engines", "compiler.rolling.rolling_model",
                         "compiler.rolling.windows", "compiler.scale.cvar_cuts",
                         "compiler.scale.cvar_band", "compiler.report.html",
                         "compiler.uncertainty.ambiguity", "concurrent.futures.process")


def test_check_of_a_plain_model_loads_no_backend_it_does_not_use(tmp_path: Path) -> None:
    model = tmp_path / "plain.saddle"
    model.write_text('model m "t"\nset asset = ["a", "b"]\nvariable x[asset]\n'
                     "scenarios r[100, asset] ~ normal(0, 1, seed = 1)\n"
                     "minimize cost:\n    sum(x)\nsubject to\n    floor: x >= 1\n"
                     "    tail: cvar(0.9, -(r @ x)) <= 10\n", encoding="utf-8")
    modules = _modules_after(["check", str(model)])
    assert "compiler.pipeline" in modules and "cvxpy" in modules
    assert not modules & set(NOT_FOR_A_PLAIN_MODEL), sorted(modules & set(NOT_FOR_A_PLAIN_MODEL))


def test_check_of_a_rolling_model_still_loads_the_rolling_backend() -> None:
    """The deferred imports happen where they are needed (the same process, no error)."""
    modules = _modules_after(["check", "models/cds_hedge.saddle"])
    assert {"compiler.rolling.rolling_model", "compiler.rolling.engines"} <= modules


FREEZE = ("import atexit, contextlib, gc, io, sys\n"
          "from compiler.cli.main import main\n"
          "sys.argv = ['saddle', 'check', MODEL_FILE]\n"
          "with contextlib.redirect_stdout(io.StringIO()):\n"
          "    code = main(ARGV)\n"
          "loaded = gc.get_freeze_count()\n"
          "atexit._run_exitfuncs()\n"
          "print(code, gc.isenabled(), loaded, gc.get_freeze_count())\n")


def test_the_command_line_process_freezes_its_heap_and_callers_keep_their_collector(
        tmp_path: Path) -> None:
    """`saddle` (argv from the command line) freezes what loading cvxpy and pandas made, and
    the heap as it exits, so no collection walks those objects again; a caller that passes
    argv (tests, notebooks) keeps its collector as it was: enabled, nothing frozen."""
    model = tmp_path / "m.saddle"
    model.write_text('model m "t"\nvariable x\nminimize cost:\n    x\nsubject to\n'
                     "    floor: x >= 1\n", encoding="utf-8")
    script = _python(FREEZE.replace("MODEL_FILE", repr(str(model))).replace("ARGV", ""))
    caller = _python(FREEZE.replace("MODEL_FILE", repr(str(model)))
                     .replace("ARGV", f"['check', {str(model)!r}]"))
    assert script.returncode == caller.returncode == 0, script.stderr + caller.stderr
    code, enabled, loaded, at_exit = script.stdout.split()
    assert (code, enabled) == ("0", "True") and 100_000 < int(loaded) <= int(at_exit)
    assert caller.stdout.split() == ["0", "True", "0", "0"]


PARSE = ("import dsl.parser as p, json, sys\n"
         f"m = p.parse({MODEL!r})\n"
         "sys.stdout.write(json.dumps([repr(m), hasattr(p.get_parser('start'), 'grammar')]))\n")


def test_parser_tables_are_cached_on_disk(tmp_path: Path) -> None:
    """The first process builds and saves the tables; the second loads them (a parser loaded
    from Lark's cache has no `.grammar`) and parses the same tree, spans included."""
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    first = _python(PARSE, env)
    assert first.returncode == 0, first.stderr
    saved = list((tmp_path / "saddle").glob("parser-start-*.lark"))
    assert len(saved) == 1 and saved[0].stat().st_size > 0
    second = _python(PARSE, env)
    assert second.returncode == 0, second.stderr
    tree_first, built = json.loads(first.stdout)
    tree_second, has_grammar = json.loads(second.stdout)
    assert built and not has_grammar
    assert tree_first == tree_second
    assert first.stderr == second.stderr == ""


def test_unwritable_cache_directory_falls_back_silently(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would be\n")
    done = _python(PARSE, {"XDG_CACHE_HOME": str(blocker)})
    assert done.returncode == 0 and done.stderr == ""
    tree, built = json.loads(done.stdout)
    assert built and "ModelDecl(name='m'" in tree


def test_spans_end_at_the_last_real_token() -> None:
    """The position filter the cache had to keep: a declaration's span stops before the
    newline (and the comment lines it swallows), whether the tables came from disk or not."""
    from dsl import parse

    text = 'model m "t"\nvariable x   # a comment\n\n# another\nminimize cost:\n    x\n'
    variable = parse(text).decls[1]
    assert text[variable.span.start:variable.span.end] == "variable x"


def test_a_corrupt_cache_file_is_rebuilt_silently(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    assert _python(PARSE, env).returncode == 0
    (saved,) = (tmp_path / "saddle").glob("parser-start-*.lark")
    saved.write_bytes(b"half a file")  # what a process killed while writing leaves
    done = _python(PARSE, env)
    assert done.returncode == 0 and done.stderr == ""
    tree, rebuilt = json.loads(done.stdout)
    assert rebuilt and "ModelDecl(name='m'" in tree
    assert saved.stat().st_size > 1000  # written again, whole
