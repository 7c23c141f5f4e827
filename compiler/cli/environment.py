"""Environment variables that change how Saddle solves, checked before a subcommand runs:
a value Saddle would ignore is a usage error (exit 2), not a silent default."""

from __future__ import annotations

import os

from compiler.cli.common import UsageError

PREFIX = "SADDLE_CVAR_"  # compiler/scale/cvar_terms.py reads these


def check_environment() -> None:
    """Raises UsageError for a scenario-CVaR setting compiler/scale/cvar_terms.py refuses
    (the Python API raises its ValueError when it solves)."""
    if not any(name.startswith(PREFIX) for name in os.environ):
        return  # nothing set: no import of cvxpy for `saddle fmt` and the like
    from compiler.scale import cvar_terms

    try:
        cvar_terms.requested_method()
        cvar_terms.threshold()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
