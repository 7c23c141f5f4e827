"""Robust and saddle-point models: the adversary works against the objective, and a
constraint that mentions an uncertain quantity holds for every value in its set.

Two lowering paths, chosen automatically and stated in the result, or forced:

* counterpart (`counterpart.py`): terms affine in the uncertain quantities over the
  standard sets, dualized in closed form into one ordinary cvxpy problem. Preferred: it is
  faster, exact, and takes integer decisions.
* dsp (`dsp.py`): anything convex-concave, as a `dsp.SaddlePointProblem`, with a fresh
  local variable (its own worst case) for every element of every robust constraint.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compiler.backends.affine import Lin, NotAffine
from compiler.backends.counterpart import Extractor
from compiler.backends.robust_errors import Context, refuse_intractable
from compiler.backends.robust_forms import blamed_term, coefficient_blocker, pieces
from compiler.data.bindings import Bindings
from compiler.lowering.evaluate import Evaluator
from compiler.lowering.factors import FactorProducts
from compiler.lowering.instances import check_convex_lines
from compiler.lowering.lower import make_variable
from compiler.passes import ir
from compiler.passes.exact import find_exact_forms
from compiler.passes.shapes import Shapes
from compiler.passes.symbols import Symbol, SymbolKind
from compiler.uncertainty.base import SetContext, UncertaintySet
from compiler.uncertainty.build import build_sets, check_bounded, refine_sets
from dsl.errors import Diagnostics, error

BACKENDS = ("auto", "counterpart", "dsp")


def refuse_rolling(model: ir.Model) -> None:
    """A rolling model is lowered once per window by compiler/rolling/rolling_model.py, which has no
    adversary: its uncertain quantities would reach the lowering without a variable."""
    if model.uncertains:
        u = model.uncertains[0].symbol
        raise error("E901", f"a rolling model with uncertain quantities ('{u.name}') is not "
                    "compiled yet", u.span,
                    "solve the robust model without `rebalance` (and without --every), one "
                    "window's data at a time, or drop the uncertain declaration")


def robust_constraints(model: ir.Model, extractor: Extractor) -> dict[str, set[Symbol]]:
    """Each constraint that mentions uncertain quantities, with them (E411 for equalities)."""
    diags = Diagnostics()
    found: dict[str, set[Symbol]] = {}
    for con in model.constraints:
        condition = con.condition
        terms = condition.terms if isinstance(condition, ir.Comparison) else ()
        symbols = set().union(*(extractor.uncertain_in(t) for t in terms)) if terms else set()
        if isinstance(condition, ir.Disjunction) and any(
                extractor.uncertain_in(t) for o in condition.options for t in o.terms):
            diags.add("E411", f"constraint '{con.name}' mixes 'or' with an uncertain "
                      "quantity", con.span, "write the robust condition without 'or'")
            continue
        if not symbols:
            continue
        if isinstance(condition, ir.Comparison) and ir.Relation.EQ in condition.ops:
            u = sorted(symbols, key=lambda s: s.name)[0]
            diags.add("E411", f"constraint '{con.name}' is an equality with the uncertain "
                      f"quantity '{u.name}'", con.span,
                      f"an equality cannot hold for every value of '{u.name}'; use '<=' or "
                      f"'>=' (a robust inequality), or move '{u.name}' out of it")
            continue
        found[con.name] = symbols
    diags.raise_if_any()
    return found


def counterpart_blocker(model: ir.Model, extractor: Extractor, robust: dict[str, set[Symbol]],
                        sets: dict[Symbol, UncertaintySet]) -> NotAffine | None:
    """Why the counterpart path cannot take this model (None if it can)."""
    for symbol, uset in sets.items():
        reason = uset.counterpart_blocker()
        if reason is not None:
            definition = uset.definition
            node = definition.set_expr if definition and definition.set_expr else ir.Ref(
                symbol=symbol, span=symbol.span)
            return NotAffine(node, reason)
    context = Context(model, extractor.ev.shapes, extractor.ev.bindings, sets)
    try:
        for node, lin, sign in _forms(model, extractor, robust, context):
            reason = coefficient_blocker(lin, sign, sets)
            if reason is not None:
                return NotAffine(blamed_term(extractor, node, sign, sets), reason)
            mixed = [t for t in extractor.entropy if t.u in lin.coef]
            if mixed:  # u also enters outside the log-sum-exp: the worst cases interact
                return NotAffine(mixed[0].node, f"'{mixed[0].u.name}' enters this expression "
                                 "both inside a log-sum-exp and outside it")
    except NotAffine as exc:
        return exc
    return None


def _forms(model: ir.Model, extractor: Extractor, robust: dict[str, set[Symbol]],
           context: Context) -> Iterator[tuple[ir.Expr, Lin, float]]:
    """The affine forms the counterpart would dualize: the objective's (with the sign the
    adversary maximizes it with) and each robust part's pieces (robust_forms.pieces), each
    with the node to blame. Raises NotAffine, or E412 where no backend has a form."""
    objective = model.objective
    try:
        lin = extractor.extract(objective.expr)
    except NotAffine:
        refuse_intractable(context, None, objective.name, objective.expr, None)
        raise
    yield objective.expr, lin, 1.0 if objective.sense is ir.Sense.MINIMIZE else -1.0
    for con in model.constraints:
        condition = con.condition
        if con.name not in robust or not isinstance(condition, ir.Comparison):
            continue
        index = extractor.ev.shapes.constraints[con.name]
        for k, op in enumerate(condition.ops):
            lhs, rhs = condition.terms[k], condition.terms[k + 1]
            high, low = (lhs, rhs) if op is ir.Relation.LE else (rhs, lhs)
            try:
                split = pieces(extractor, high, low, index)
            except NotAffine:
                label = con.name if len(condition.ops) == 1 else f"{con.name} (part {k + 1})"
                refuse_intractable(context, con, label, high, low)
                raise
            for piece in split:
                yield (high if extractor.uncertain_in(high) else low), piece.lin, 1.0


def choose_backend(model: ir.Model, requested: str, blocker: NotAffine | None) -> str:
    integer = [v.symbol for v in model.variables if {"integer", "binary"} & v.flags]
    if requested == "counterpart" and blocker is not None:
        raise error("E413", f"no robust counterpart: {blocker.reason}", blocker.node.span,
                    "use --backend dsp (the saddle-point form), or write the term affine in "
                    "the uncertain quantity over a standard set")
    if requested == "dsp" and integer:
        raise error("E412", f"'{integer[0].name}' is integer, and the saddle-point backend "
                    "takes continuous decisions only", integer[0].span,
                    "use --backend counterpart (it takes integer decisions)")
    if requested != "auto":
        return requested
    if blocker is None:
        return "counterpart"
    if integer:
        raise error("E413", f"a robust model with integer decisions needs the counterpart "
                    f"path, but {blocker.reason}", blocker.node.span,
                    "make the term affine in the uncertain quantity over a standard set, or "
                    f"relax '{integer[0].name}' to a continuous variable")
    return "dsp"


def compile_robust(model: ir.Model, shapes: Shapes, bindings: Bindings,
                   backend: str = "auto") -> Any:
    """Check and lower a model with uncertain quantities; returns a `RobustModel`."""
    from compiler.backends.dsp import RobustModel

    if backend not in BACKENDS:
        raise ValueError(f"unknown backend '{backend}': use {', '.join(BACKENDS)}")
    # Throwaway decision variables: the affine-ness check lowers the terms once.
    probe = {d.symbol: make_variable(d, bindings) for d in model.variables}
    evaluate = Evaluator(shapes, bindings, probe, lets={d.symbol: d for d in model.lets})
    evaluate.factors = FactorProducts()  # the counterpart shares y = L'x (lowering/factors.py)
    extractor = Extractor(evaluate, model)
    robust = robust_constraints(model, extractor)
    sets = build_sets(model, evaluate)
    check_convex_lines(model, shapes, bindings, sets)
    sets = refine_sets(sets, model, evaluate)
    check_bounded(SetContext(model, shapes, bindings, sets))  # E410 with the direction
    if not model.variables:  # nothing to choose: a worst-case analysis, no game
        from compiler.backends.analysis import WorstCaseAnalysis

        return WorstCaseAnalysis(model, shapes, bindings, sets, [])
    blocker = counterpart_blocker(model, extractor, robust, sets)
    chosen = choose_backend(model, backend, blocker)
    exact = find_exact_forms(model, shapes, Evaluator(shapes, bindings))
    note = (f"robust backend: {chosen}" + (" (chosen automatically)" if backend == "auto"
                                          else " (requested)"))
    if chosen == "dsp" and blocker is not None and backend == "auto":
        note += f"; no closed-form counterpart because {blocker.reason}"
    return RobustModel(model, shapes, bindings, sets, robust, exact, chosen, [note], blocker,
                       extractor=extractor if chosen == "counterpart" else None)


def uncertain_kind(symbol: Symbol) -> bool:
    return symbol.kind is SymbolKind.UNCERTAIN
