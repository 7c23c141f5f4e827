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
