"""The one interface of every compiled model, whichever backend built it.

    backend    what built it: "plain" (one cvxpy problem), "counterpart" or "dsp" (a robust
               model), "rolling" (one problem per window), "analysis" (no decisions: the
               adversary's problems)
    summary()  one line for `saddle check`
    emit()     the backend's problem(s) for `saddle compile --emit cvxpy`
    solve()    a `Result` (a `TableResult` for a rolling model)

`compile_model` returns a `Compiled`; the CLI, sweeps and plots use nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from compiler.passes import ir
    from compiler.report.result import Result, TableResult

BACKENDS = ("plain", "counterpart", "dsp", "rolling", "analysis")


@runtime_checkable
class Compiled(Protocol):
    backend: str
    model: ir.Model

    def summary(self) -> str: ...

    def emit(self) -> str: ...

    def solve(self, solver: str | None = None, **options: Any) -> Result | TableResult: ...
