"""`mypy` (strict, as configured in pyproject.toml) finds no error in compiler/ and dsl/.

The untyped numeric libraries are fenced there as `Any` at their import, so this holds
Saddle's own code to strict typing, not cvxpy's dynamic surface."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_strict_is_clean():
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout
