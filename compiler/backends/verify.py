"""`saddle check --verify`: a robust model solved by both backends (the closed-form
counterpart and the saddle-point form) where both apply, and how far apart they are."""

from __future__ import annotations

import time
from typing import Any


def both_backends(robust: Any, solver: str | None = None) -> dict[str, Any]:
    """Solve with both paths (where both exist) and report the difference."""
    other = "dsp" if robust.backend == "counterpart" else "counterpart"
    if not robust.counterpart_available:
        return {"checked": False, "reason": "only the saddle-point path applies"}
    if robust.compiled.is_mixed_integer:
        return {"checked": False, "reason": "only the counterpart path applies: the "
                "saddle-point form (dsp-cvxpy) takes continuous decisions only"}
    # the same model on the other backend (`type(robust)`: RobustModel, without an import
    # cycle back to compiler/backends/dsp.py)
    twin = type(robust)(robust.model, robust.shapes, robust.bindings, robust.sets,
                        robust.robust, robust.exact, other, [])
    started = time.perf_counter()
    mine, theirs = robust.solve(solver=solver), twin.solve(solver=solver)
    return {"checked": True, robust.backend: mine.objective, other: theirs.objective,
            "difference": (abs(mine.objective - theirs.objective)
                           if mine.objective is not None and theirs.objective is not None
                           else None),
            "statuses": {robust.backend: mine.status, other: theirs.status},
            # each answer's own certificate: its objective's measured saddle gap
            "gaps": {robust.backend: mine.gap, other: theirs.gap},
            "seconds": time.perf_counter() - started}
