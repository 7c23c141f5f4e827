"""Environment variables that change how Saddle solves, checked before a subcommand runs:
a value Saddle would ignore is a usage error (exit 2), not a silent default."""

from __future__ import annotations

import os

from compiler.cli.common import UsageError

PREFIX = "SADDLE_CVAR_"  # compiler/scale/cvar_terms.py reads these
METHODS = ("auto", "lp", "cuts", "generation")


def check_environment() -> None:
    """Raises UsageError for a scenario-CVaR setting compiler/scale/cvar_terms.py would
    ignore (it falls back to its default there)."""
    if not any(name.startswith(PREFIX) for name in os.environ):
        return  # nothing set: no import of cvxpy for `saddle fmt` and the like
    from compiler.scale import cvar_terms

    method = os.environ.get(cvar_terms.METHOD_VARIABLE)
    if method is not None and method.strip() and (
            method.strip().lower() not in METHODS or
            cvar_terms.requested_method() != method.strip().lower()):
        raise UsageError(f"{cvar_terms.METHOD_VARIABLE}={method!r} is not a scenario CVaR "
                         f"method: use one of {', '.join(METHODS)} (or unset it)")
    count = os.environ.get(cvar_terms.THRESHOLD_VARIABLE)
    if count is not None and count.strip() and not count.strip().isdigit():
        raise UsageError(f"{cvar_terms.THRESHOLD_VARIABLE}={count!r} is not a whole number "
                         "of scenarios: give the scenario count from which a CVaR term is "
                         "solved by cutting planes (e.g. 2500), or unset it")
