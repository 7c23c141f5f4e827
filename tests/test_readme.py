"""CI proves what a new user runs: .ci/run executes the README's two commands verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    blocks = re.findall(r"```\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    return [b.strip() for b in blocks if b.strip().startswith((". .venv", "python3 -m venv"))]


def test_ci_runs_the_readme_commands():
    install, test = _readme_commands()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert install in ci
    assert any(line.startswith(test) for line in ci)
    assert "saddle solve models/" in install and "pytest" in test
