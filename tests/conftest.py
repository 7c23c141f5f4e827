"""Shared test configuration: Hypothesis profiles and the `--update-goldens` option.

Profiles: `dev` (the default, quick) and `ci` (more examples). `ci` is loaded when the CI
variable is set; HYPOTHESIS_PROFILE=name or `pytest --hypothesis-profile=name` choose one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from saddle_testing import shared_folder

settings.register_profile(
    "dev",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing with them",
    )


@pytest.fixture(scope="session")
def shared() -> Path:
    """The project's `../shared` (the seeds and the paper's data), or `$SADDLE_SHARED`.
    It is beside every checkout and CI run: missing, the tests that need it fail."""
    folder = shared_folder()
    if not folder.is_dir():
        pytest.fail(f"the shared folder is missing: {folder} (set SADDLE_SHARED)")
    return folder


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    """True when the run was started with --update-goldens."""
    return bool(request.config.getoption("--update-goldens"))
