"""Importing and using `dsl` loads nothing numeric and nothing from `compiler`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ["numpy", "pandas", "cvxpy", "dsp", "scipy", "compiler"]

SCRIPT = """
import json, sys
import dsl
model = dsl.parse('model m\\nparam p = 1.5%\\nvariable x >= 0\\nminimize o: x * p\\n')
import dsl.printer
text = dsl.printer.format_model(model)
assert dsl.parse(text) == model
try:
    dsl.parse('param p = (1 +\\n')
except dsl.SpecError as exc:
    str(exc)
loaded = sorted({name.split('.')[0] for name in sys.modules})
print(json.dumps(loaded))
"""


def test_dsl_imports_nothing_numeric() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "dsl" in loaded and "lark" in loaded
    assert loaded.isdisjoint(FORBIDDEN), sorted(loaded & set(FORBIDDEN))
