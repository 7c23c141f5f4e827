"""`saddle solve --risk`: the position's DV01, key-rate ladder and CS01 ladder, by name.

A model says what its risk measures are by computing them: every param whose value calls
`dv01`, `key_rate_durations` or `cs01` is a measure, and every decision indexed by the
measure's first set holds a position in it. For each such pair the report gives

* dv01, cs01 [S]: each label's contribution x_s * measure_s and their total (the units of
  the param times the decision's: $M per bp for the treasury's `dv01` param and weights);
* key_rate_durations [S, key]: the key-rate DV01 ladder, sum_s x_s * P_s * KRD_s,key * 1bp,
  with P the price the same call's cash flows, curve and spread give (money per bp per
  unit of x), and its total (which is the position's DV01).

Rolling runs (one solve per window) are not covered: their measures change per window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compiler.builtins import bond_math as fixed_income
from compiler.builtins.fixed_income import bond_data
from compiler.lowering.evaluate import Evaluator
from compiler.passes import ir
from compiler.passes.symbols import Symbol

if TYPE_CHECKING:
    from compiler.report.result import Result

MEASURES = ("dv01", "key_rate_durations", "cs01")


def measure_call(node: ir.Expr) -> ir.Call | None:
    """The first risk builtin call inside a param's value (through arithmetic), if any."""
    stack: list[Any] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ir.Call) and item.func in MEASURES:
            return item
        if isinstance(item, ir.BinOp):
            stack += [item.right, item.left]
        elif isinstance(item, ir.Neg):
            stack.append(item.operand)
    return None


def risk_report(compiled: Any, result: Result) -> dict[str, Any]:
    """The risk of the solution's positions, keyed `param · decision` (see the module doc).

    Args:
        compiled: the compiled model (`CompiledModel`, `RobustModel` or a worst-case analysis).
        result: its solution.
    """
    model, bindings, shapes = compiled.model, compiled.bindings, compiled.shapes
    report: dict[str, Any] = {}
    for param in model.params:
        call = measure_call(param.value) if param.value is not None else None
        index = param.symbol.index
        if call is None or not index:
            continue
        measure = np.asarray(bindings.values[param.symbol], dtype=float)
        for variable in model.variables:
            position = result.values.get(variable.symbol.name)
            if not _holds(variable.symbol, index[0]) or not isinstance(position, pd.Series):
                continue
            x = position.to_numpy(dtype=float)
            name = f"{param.symbol.name} · {variable.symbol.name}"
            if len(index) == 1:
                by = pd.Series(x * measure, index=position.index)
                report[name] = {"measure": call.func, "total": float(by.sum()), "by": by}
            elif len(index) == 2 and call.func == "key_rate_durations":
                bond = bond_data(Evaluator(shapes, bindings), call)
                price = fixed_income.bond_price(bond.cashflow, bond.times, bond.rates,
                                                bond.compounding)
                ladder = (x * price) @ measure * fixed_income.BASIS_POINT
                keys = pd.Index(bindings.labels_of(index[1]), name=index[1].name)
                flows = call.args[0] if call.args else None
                holding = f"'{flows.symbol.name}'" if isinstance(flows, ir.Ref) else \
                    "the call's cash flows"
                # the ladder prices the call's own cash flows: a model that scales its
                # prices or DV01 (per 100 face, in $M) is not seen here, so it says so
                report[name] = {"measure": f"key-rate DV01 per bp, one unit of "
                                           f"{variable.symbol.name} holding {holding}",
                                "total": float(ladder.sum()),
                                "by": pd.Series(ladder, index=keys)}
    return report


def _holds(decision: Symbol, position_set: Symbol) -> bool:
    """A decision indexed by exactly the measure's first set (or an alias of it)."""
    return len(decision.index) == 1 and decision.index[0].root is position_set.root


def format_risk(report: dict[str, Any]) -> str:
    """The table form: one block per measure, the total first."""
    if not report:
        return ("risk: no risk measures (params computed by dv01, key_rate_durations or cs01 "
                "with a decision indexed by their first set)")
    lines = ["risk:"]
    for name, entry in report.items():
        lines.append(f"  {name} ({entry['measure']}): total {entry['total']:.6g}")
        for label, value in entry["by"].items():
            lines.append(f"    {label!s:<12} {value:.6g}")
    return "\n".join(lines)
