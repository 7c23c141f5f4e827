"""Solve a compiled model whose scenario CVaR terms are large by cutting planes.

The master is the model itself with every qualifying `sum_largest(losses, k)` replaced by a
scalar epigraph variable and every piece's small inner vector u_i(x) by a free vector z_i
(`z_i == u_i(x)`), so cvxpy builds it (`get_problem_data`) without the m x n scenarios.
HiGHS then runs compiler/scale/cvar_cuts.py; the answer goes back through cvxpy's own
inversion (values, duals) and into the user's problem. Anything the master cannot take falls
back to the RU LP with a note that says why.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import cvxpy as cp
import numpy as np
from cvxpy.reductions.solution import Solution

from compiler.backends.solver_choice import is_linear
from compiler.backends.solver_output import captured_output
from compiler.scale import cvar_terms
from compiler.scale.cvar_terms import Plan
from dsl.depth import deep_stack


def _replaced(node: Any, mapping: dict[int, Any], memo: dict[int, Any]) -> Any:
    """A copy of a cvxpy tree with the nodes in `mapping` (by id) swapped; shared subtrees
    are copied once, untouched ones are not copied."""
    key = id(node)
    if key in mapping:
        return mapping[key]
    if key in memo:
        return memo[key]
    args = getattr(node, "args", None)
    if not args:
        return node
    new = [_replaced(arg, mapping, memo) for arg in args]
    copy = node if all(a is b for a, b in zip(new, args, strict=True)) else node.copy(new)
    memo[key] = copy
    return copy


def describe(compiled: Any, solver: str | None = None) -> str | None:
    """One line for `saddle check`: how the model's scenario CVaR is solved, or None."""
    if not isinstance(getattr(compiled, "problem", None), cp.Problem) or \
            not hasattr(compiled, "lowered"):
        return None  # robust, rolling and analysis models keep their own solve
    plan = cvar_terms.plan(compiled.problem, solver)
    if not plan.largest:
        return None
    if plan.method != "lp":
        extra = " with scenario generation" if plan.method == "generation" else ""
        return (f"CVaR over {plan.largest:,} scenarios: aggregated cutting planes{extra} on a "
                f"HiGHS master (from {cvar_terms.threshold():,} scenarios)")
    why = f" ({plan.reason})" if plan.reason else \
        f" (below {cvar_terms.threshold():,} scenarios)"
    return f"CVaR over {plan.largest:,} scenarios: the Rockafellar-Uryasev LP{why}"


@deep_stack  # cvxpy trees recurse per level
def solve(compiled: Any, solver: str | None, options: dict[str, Any],
          notes: list[str]) -> tuple[str, str] | None:
    """(status, solver output) when the cutting planes solved `compiled.problem` (its
    variables and duals are set); None when the caller should solve the RU LP."""
    problem: cp.Problem = compiled.problem
    plan = cvar_terms.plan(problem, solver)
    if plan.method == "lp":
        if plan.reason:
            notes.append(f"CVaR over {plan.largest:,} scenarios solved as the "
                         f"Rockafellar-Uryasev LP: {plan.reason}")
        return None
    # the cutting planes' modules: only a model that uses them loads them
    from compiler.scale import cvar_cuts
    from compiler.scale.cvar_band import BandCuts
    from compiler.scale.scenario_generation import TailRows

    master, pairs, epigraphs, inners = _master(problem, plan)
    if not is_linear(master):
        notes.append(f"CVaR over {plan.largest:,} scenarios solved as the Rockafellar-Uryasev "
                     "LP: the rest of the model is not an LP or MILP (the cutting-plane master "
                     "is solved by HiGHS)")
        return None
    with captured_output() as captured:
        data, chain, inverse = master.get_problem_data(cp.HIGHS)
        # the matrix stuffing's offsets (the last): the solver's columns, aux ones included
        offsets = [i.var_offsets for i in inverse if hasattr(i, "var_offsets")][-1]
        columns = [cvar_cuts.TermColumns(term, offsets[s.id],
                                         [offsets[z.id] + np.arange(z.size) for z in zs])
                   for term, s, zs in zip(plan.terms, epigraphs, inners, strict=True)]
        highs, rows = cvar_cuts.make_master(data, options)
        tails = [TailRows(highs, c) for c in columns] if plan.method == "generation" \
            else None
        band = BandCuts() if plan.band and not tails else None
        outcome = cvar_cuts.kelley(highs, rows, columns, tails, plan.stabilize,
                                   band=band,  # a MILP master has no duals to judge by
                                   purge=None if master.is_mixed_integer() else
                                   cvar_cuts.PURGE)
    status = cvar_cuts.STATUS.get(outcome.model_status, "solver_error")
    if outcome.col_value is not None and outcome.gap > cvar_cuts.ACCEPTABLE_GAP:
        status = "optimal_inaccurate"
    results = {"solution": SimpleNamespace(col_value=outcome.col_value,
                                           row_dual=outcome.row_dual),
               "info": outcome.info, "model_status": outcome.model_status,
               "run_time": outcome.run_time}
    kind = "MILP" if master.is_mixed_integer() else "LP"
    places = cvar_terms.places(compiled.lowered, compiled.model.objective.name,
                               [t.atom for t in plan.terms])
    rows_added = (f" and scenario generation on the RU LP ({outcome.scenario_rows:,} of the "
                  f"scenarios' rows)") if tails else ""
    bands = f" ({_count(band.added, 'band cut')} near the answer)" if band and band.added \
        else ""
    notes.append(f"CVaR of {places} over {plan.largest:,} scenarios: aggregated cutting "
                 f"planes (Künzi-Bay & Mayer){rows_added} on a HiGHS {kind} master: "
                 f"{_count(outcome.iterations, 'iteration')}, {_count(outcome.cuts, 'cut')}"
                 f"{bands}, final relative gap "
                 f"{outcome.gap:.1e} (true tail mean at the answer against the master's bound)")
    if outcome.col_value is None:
        if status in ("infeasible", "unbounded", "infeasible_or_unbounded"):
            problem.unpack(Solution(status, np.inf if status == "infeasible" else -np.inf,
                                    {}, {}, {}))
        else:
            notes.append(f"the cutting planes stopped with HiGHS status "
                         f"{outcome.model_status} after {outcome.iterations} iterations")
        return status, captured.text
    master.unpack_results(results, chain, inverse)
    duals = {} if master.is_mixed_integer() else \
        {c.id: m.dual_value for c, m in pairs if m.dual_value is not None}
    problem.unpack(Solution(status, None, {v.id: v.value for v in problem.variables()},
                            duals, {}))
    return status, captured.text


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _master(problem: cp.Problem, plan: Plan
            ) -> tuple[cp.Problem, list[Any], list[Any], list[Any]]:
    """The model with each term's atom as an epigraph variable and its pieces' inner
    vectors as free variables tied by equality rows; the (user's, master's) constraints."""
    mapping: dict[int, Any] = {}
    extra: list[Any] = []
    epigraphs, inners = [], []
    for term in plan.terms:
        epigraph = cp.Variable(name="cvar_epigraph")
        mapping[id(term.atom)] = epigraph
        zs = [cp.Variable(piece.inner.size, name="cvar_factor") for piece in term.pieces]
        extra += [z == piece.inner for z, piece in zip(zs, term.pieces, strict=True)]
        epigraphs.append(epigraph)
        inners.append(zs)
    memo: dict[int, Any] = {}
    objective = _replaced(problem.objective, mapping, memo)
    constraints = [_replaced(c, mapping, memo) for c in problem.constraints]
    master = cp.Problem(objective, constraints + extra)
    return master, list(zip(problem.constraints, constraints, strict=True)), epigraphs, inners
