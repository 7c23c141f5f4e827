"""Stage 2 of 8: names and structure. Input: `ast.Model`. Output: `ir.Model`. Errors: E2xx.

Checks undefined and duplicate names (with "did you mean"), use before declaration, the
kind of every name (a set where a set is needed, no decision inside data), one objective,
a name on every constraint, and calls against the builtins' signatures. Constraint names
live in their own namespace, so `capital: ... <= capital` reads naturally.
"""

from __future__ import annotations

import difflib

from compiler.builtins import Context
from compiler.builtins import lookup as find_builtin
from compiler.passes import ir
from compiler.passes.resolve_expr import DATA_KINDS, ExprResolver
from compiler.passes.symbols import Symbol, SymbolKind
from dsl import ast
from dsl.errors import Diagnostics, SpecError, error
from dsl.source import Span

FLAGS_FOR = {
    SymbolKind.VARIABLE: {"integer", "binary", "nonneg", "nonpos", "psd", "symmetric"},
    SymbolKind.UNCERTAIN: {"nonneg", "nonpos", "psd", "symmetric"},
}


def _word_span(decl: ast.Node, word: str | None) -> Span:
    """Where an index set, flag or rebalance set was written (`ast.Word` keeps it); the
    whole declaration for a name made by the compiler, not read from the file."""
    return word.span if isinstance(word, ast.Word) else decl.span


def _kind_of(decl: ast.Declaration) -> SymbolKind | None:
    return {
        ast.SetDecl: SymbolKind.SET, ast.ParamDecl: SymbolKind.PARAM,
        ast.SeriesDecl: SymbolKind.SERIES, ast.ScenariosDecl: SymbolKind.SCENARIOS,
        ast.VariableDecl: SymbolKind.VARIABLE, ast.UncertainDecl: SymbolKind.UNCERTAIN,
        ast.LetDecl: SymbolKind.LET, ast.AmbiguityDecl: SymbolKind.AMBIGUITY,
    }.get(type(decl))


class _Resolver:
    def __init__(self, model: ast.Model):
        self.model = model
        self.diags = Diagnostics()
        self.symbols: dict[str, Symbol] = {}
        self.ambiguities: dict[Symbol, ir.Call] = {}  # read by ExprResolver.over
        # every declared name with its line, to tell "undefined" from "declared later"
        self.declared_later: dict[str, ast.Decl] = {
            d.name: d for d in model.decls if _kind_of(d) is not None and isinstance(d, ast.Decl)
        }

    # ---- names ----

    def declare(self, decl: ast.Decl, kind: SymbolKind, index: tuple[Symbol, ...] = (),
                alias_of: Symbol | None = None) -> Symbol:
        previous = self.symbols.get(decl.name)
        symbol = Symbol(decl.name, kind, decl.name_span, index, decl, alias_of)
        if previous is not None:
            self.diags.add("E202", f"'{decl.name}' is declared twice", decl.name_span,
                           "rename one of the two declarations",
                           f"first declared as a {previous.kind.value} on line "
                           f"{previous.span.line}")
        else:
            self.symbols[decl.name] = symbol
        return symbol

    def lookup(self, name: str, span: Span) -> Symbol:
        symbol = self.symbols.get(name)
        if symbol is not None:
            return symbol
        later = self.declared_later.get(name)
        if later is not None and later.span.start > span.start:
            raise error("E201", f"'{name}' is used before it is declared", span,
                        f"move the declaration of '{name}' (line {later.span.line}) above "
                        f"this line")
        raise error("E201", f"undefined name '{name}'", span, self._suggest(name))

    def _suggest(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self.symbols), n=1, cutoff=0.6)
        if close:
            found = self.symbols[close[0]]
            return (f"did you mean '{close[0]}'? It is declared as a {found.kind.value} on "
                    f"line {found.span.line}.")
        return "declare it (set, param, variable, ...) before this line, or fix the spelling."

    def index_sets(self, names: tuple[str, ...], decl: ast.Decl) -> tuple[Symbol, ...]:
        out: list[Symbol] = []
        for name in names:
            where = _word_span(decl, name)
            symbol = self.lookup(name, where)
            if symbol.kind is not SymbolKind.SET:
                raise error("E206", f"'{name}' is a {symbol.kind.value}, not a set", where,
                            f"index by sets only; declare `set {name} = [...]` or use another "
                            f"name")
            if symbol in out:
                raise error("E211", f"indexed twice by '{name}'", _word_span(decl, name),
                            f"name the second axis with an alias, e.g. `set {name}2 = {name}` "
                            f"and [{name}, {name}2], so arithmetic knows which axis is which")
            out.append(symbol)
        return tuple(out)

    # ---- expressions ----

    def expr(self, node: ast.Expr, context: Context, allowed: set[SymbolKind] | None = None
             ) -> ir.Expr:
        return ExprResolver(self, context, allowed).visit(node)

    def data_expr(self, node: ast.Expr) -> ir.Expr:
        return self.expr(node, Context.DATA, DATA_KINDS)

    # ---- declarations ----

    def run(self) -> ir.Model:
        header: ast.ModelDecl | None = None
        sets, params, scenarios, variables, uncertains, lets = [], [], [], [], [], []
        objectives: list[ir.Objective] = []
        constraints: list[ir.Constraint] = []
        rebalance: ast.RebalanceDecl | None = None
        for decl in self.model.decls:
            try:
                if isinstance(decl, ast.ModelDecl):
                    if header is not None:
                        self.diags.add("E205", "a second model header", decl.span,
                                       "keep one `model NAME \"doc\"` line per file")
                    header = decl
                elif isinstance(decl, ast.SetDecl):
                    sets.append(self.set_decl(decl))
                elif isinstance(decl, ast.ParamDecl | ast.SeriesDecl):
                    params.append(self.param_decl(decl))
                elif isinstance(decl, ast.ScenariosDecl):
                    scenarios.append(self.scenarios_decl(decl))
                elif isinstance(decl, ast.VariableDecl):
                    variables.append(self.variable_decl(decl))
                elif isinstance(decl, ast.UncertainDecl):
                    uncertains.append(self.uncertain_decl(decl))
                elif isinstance(decl, ast.LetDecl):
                    index = self.index_sets(decl.index, decl)
                    value = self.expr(decl.value, Context.MATH)
                    lets.append(ir.LetDef(symbol=self.declare(decl, SymbolKind.LET, index),
                                          value=value))
                elif isinstance(decl, ast.AmbiguityDecl):
                    self.ambiguity_decl(decl)
                elif isinstance(decl, ast.ObjectiveDecl):
                    objectives.append(ir.Objective(
                        name=decl.name, sense=decl.sense, span=decl.span,
                        expr=self.expr(decl.expr, Context.MATH)))
                elif isinstance(decl, ast.ConstraintsDecl):
                    constraints.extend(self.constraint(c) for c in decl.constraints)
                elif isinstance(decl, ast.RebalanceDecl):
                    if rebalance is not None:
                        raise error("E211", "a second `rebalance` line", decl.span,
                                    "a model rebalances on one schedule: keep one line "
                                    f"(the first is on line {rebalance.span.line}), or pass "
                                    "--every to override it")
                    rebalance = decl
            except SpecError as exc:
                self.diags.extend(exc)
                kind = _kind_of(decl)
                if kind is not None and isinstance(decl, ast.Decl) \
                        and decl.name not in self.symbols:
                    # Declared, if wrongly: later uses must not report it as undefined.
                    self.symbols[decl.name] = Symbol(decl.name, kind, decl.name_span, (), decl)
        self.check_structure(header, objectives, constraints)
        self.diags.raise_if_any()
        if header is None or not objectives:  # reported above
            raise RuntimeError("structure check let a model without header or objective pass")
        return ir.Model(
            name=header.name, doc=header.doc, span=header.span, symbols=self.symbols,
            sets=tuple(sets), params=tuple(params), scenarios=tuple(scenarios),
            variables=tuple(variables), uncertains=tuple(uncertains), lets=tuple(lets),
            objective=objectives[0], constraints=tuple(constraints),
            rebalance=self.rebalance(rebalance) if rebalance else None,
            ambiguities=tuple(ir.AmbiguityDef(symbol=s, value=v)
                              for s, v in self.ambiguities.items()),
        )

    def check_structure(self, header: ast.ModelDecl | None, objectives: list[ir.Objective],
                        constraints: list[ir.Constraint]) -> None:
        start = self.model.span.source.whole()
        if header is None:
            self.diags.add("E205", "the model has no header", start,
                           'start the file with `model NAME "what it models"`')
        if not objectives and not self.diags.items:
            self.diags.add("E203", "the model has no objective", self.model.span.source.end(),
                           "add `minimize NAME: expr` or `maximize NAME: expr`")
        for extra in objectives[1:]:
            self.diags.add("E204", f"a second objective '{extra.name}'", extra.span,
                           "keep one objective; turn the other into a constraint or add it "
                           "to the first with a weight",
                           f"the first is '{objectives[0].name}' on line "
                           f"{objectives[0].span.line}")
        seen: dict[str, ir.Constraint] = {}
        for con in constraints:
            if con.name in seen:
                self.diags.add("E202", f"constraint '{con.name}' is declared twice",
                               con.name_span, "give each constraint its own name",
                               f"first declared on line {seen[con.name].span.line}")
            seen.setdefault(con.name, con)

    def set_decl(self, decl: ast.SetDecl) -> ir.SetDef:
        value = decl.value
        if isinstance(value, ast.Name) and value.name in self.symbols:
            target = self.symbols[value.name]
            if target.kind is SymbolKind.SET:  # `set asset2 = asset`: an alias
                return ir.SetDef(symbol=self.declare(decl, SymbolKind.SET, alias_of=target),
                                 value=None)
        resolved = self.data_expr(value)
        symbol = self.declare(decl, SymbolKind.SET)
        return ir.SetDef(symbol=symbol, value=resolved)

    def param_decl(self, decl: ast.ParamDecl | ast.SeriesDecl) -> ir.ParamDef:
        index = self.index_sets(decl.index, decl)
        value = self.data_expr(decl.value) if decl.value is not None else None
        kind = SymbolKind.SERIES if isinstance(decl, ast.SeriesDecl) else SymbolKind.PARAM
        return ir.ParamDef(symbol=self.declare(decl, kind, index), value=value, unit=decl.unit)

    def scenarios_decl(self, decl: ast.ScenariosDecl) -> ir.ScenariosDef:
        dims: list[Symbol] = []
        for position, dim in enumerate(decl.dims):
            if isinstance(dim, int):
                # An anonymous set of draws, named after the scenarios.
                draws = ast.SetDecl(name=f"{decl.name}_draw" if position == 0 else
                                    f"{decl.name}_draw{position}", value=ast.Number(value=dim),
                                    span=decl.span, name_span=decl.name_span)
                draw_set = Symbol(draws.name, SymbolKind.SET, decl.name_span, (), draws)
                # named, so a let can be indexed by it (`let pnl[shock_draw] = ...`), as
                # docs/language.md says; a clash with a declared name keeps the declaration
                self.symbols.setdefault(draws.name, draw_set)
                dims.append(draw_set)
            else:
                dims.extend(self.index_sets((dim,), decl))
        sampler = None
        if decl.sampler is not None:
            resolved = self.expr(decl.sampler, Context.SAMPLER, DATA_KINDS)
            if not isinstance(resolved, ir.Call):  # the grammar only allows a call here
                raise RuntimeError("scenario sampler is not a call")
            sampler = resolved
        value = self.data_expr(decl.value) if decl.value is not None else None
        symbol = self.declare(decl, SymbolKind.SCENARIOS, tuple(dims))
        return ir.ScenariosDef(symbol=symbol, sampler=sampler, value=value)

    def ambiguity_decl(self, decl: ast.AmbiguityDecl) -> None:
        call = decl.value
        if call.func not in ("wasserstein", "moments"):
            raise error("E208", f"'{call.func}(...)' is not an ambiguity set", call.func_span,
                        "write `ambiguity P = wasserstein(scenarios, radius = r)` or "
                        "`ambiguity P = moments(scenarios, mean = mu, covariance = S)`")
        value = self.expr(call, Context.AMBIGUITY, DATA_KINDS)
        if not isinstance(value, ir.Call):  # the grammar only allows a call here
            raise RuntimeError("ambiguity set is not a call")
        first = value.args[0] if value.args else None
        if not (isinstance(first, ir.Ref) and first.symbol.kind is SymbolKind.SCENARIOS):
            raise error("E206", f"{call.func}(...) needs a scenarios declaration first",
                        first.span if first is not None else call.span,
                        f"name the scenarios the distributions are near, as in "
                        f"`{call.func}(shock, ...)` after `scenarios shock[1000, asset] ~ ...`")
        self.ambiguities[self.declare(decl, SymbolKind.AMBIGUITY)] = value

    def _flags_and_bounds(self, decl: ast.VariableDecl | ast.UncertainDecl, kind: SymbolKind
                          ) -> tuple[ir.Expr | None, ir.Expr | None, frozenset[str]]:
        for flag in decl.flags:
            if flag not in FLAGS_FOR[kind]:
                raise error("E211", f"an {kind.value} cannot be '{flag}'",
                            _word_span(decl, flag),
                            f"use one of: {', '.join(sorted(FLAGS_FOR[kind]))}")
        lower = upper = None
        for bound in decl.bounds:
            value = self.data_expr(bound.value)
            if bound.relation is ast.Relation.GE:
                lower = value
            else:
                upper = value
        return lower, upper, frozenset(decl.flags)

    def variable_decl(self, decl: ast.VariableDecl) -> ir.VariableDef:
        index = self.index_sets(decl.index, decl)
        lower, upper, flags = self._flags_and_bounds(decl, SymbolKind.VARIABLE)
        symbol = self.declare(decl, SymbolKind.VARIABLE, index)
        return ir.VariableDef(symbol=symbol, lower=lower, upper=upper, flags=flags,
                              unit=decl.unit)

    def uncertain_decl(self, decl: ast.UncertainDecl) -> ir.UncertainDef:
        index = self.index_sets(decl.index, decl)
        lower, upper, flags = self._flags_and_bounds(decl, SymbolKind.UNCERTAIN)
        symbol = self.declare(decl, SymbolKind.UNCERTAIN, index)
        # The adversary's set may mention only its own variable and data: dsp's rule for
        # saddle extrema, checked here so users never meet its LocalVariableError.
        own = DATA_KINDS | {SymbolKind.UNCERTAIN}
        given = decl.set_expr
        if isinstance(given, ast.Name) and given.name not in self.symbols and \
                find_builtin(given.name) is not None:  # `in simplex`: a set named without arguments
            given = ast.Call(func=given.name, span=given.span, func_span=given.span)
        set_expr = (self.expr(given, Context.UNCERTAINTY, own)
                    if given is not None else None)
        constraints = []
        for line in decl.constraints:
            con = self.constraint(line, required_name=False, allowed=own)
            foreign = [r for r in ir.refs(con.condition) if r.symbol.kind is SymbolKind.UNCERTAIN
                       and r.symbol is not symbol]
            if foreign:
                raise error("E210", f"the set of '{decl.name}' mentions another uncertain "
                            f"quantity '{foreign[0].symbol.name}'", foreign[0].span,
                            "describe each uncertain quantity's set in its own block, or "
                            "declare one uncertain quantity that stacks both")
            constraints.append(con)
        if set_expr is None and not constraints and lower is None and upper is None:
            raise error("E211", f"uncertain '{decl.name}' has no set", decl.span,
                        f"say where the adversary may choose it, e.g. `uncertain {decl.name} "
                        f"in box(lo, hi)` or an indented block of constraints")
        return ir.UncertainDef(symbol=symbol, lower=lower, upper=upper, flags=flags,
                               set_expr=set_expr, constraints=tuple(constraints))

    def constraint(self, decl: ast.ConstraintDecl, required_name: bool = True,
                   allowed: set[SymbolKind] | None = None) -> ir.Constraint:
        if decl.name is None and required_name:
            raise error("E212", "this constraint has no name", decl.span,
                        "name it, as in `budget: sum(w) == 1`: results, duals and errors "
                        "refer to constraints by name")
        name = decl.name or f"line {decl.span.line}"
        return ir.Constraint(name=name, condition=self.condition(decl.condition, allowed),
                             span=decl.span, name_span=decl.name_span)

    def condition(self, node: ast.Condition, allowed: set[SymbolKind] | None) -> ir.Condition:
        if isinstance(node, ast.Disjunction):
            return ir.Disjunction(options=tuple(self.comparison(o, allowed)
                                                for o in node.options), span=node.span)
        return self.comparison(node, allowed)

    def comparison(self, node: ast.Comparison, allowed: set[SymbolKind] | None
                   ) -> ir.Comparison:
        terms = tuple(self.expr(t, Context.MATH, allowed) for t in node.terms)
        return ir.Comparison(terms=terms, ops=node.ops, span=node.span)

    def rebalance(self, decl: ast.RebalanceDecl) -> ir.Rebalance:
        on = self.lookup(decl.on, _word_span(decl, decl.on)) if decl.on else None
        unit = decl.every.lower().removesuffix("s")
        if unit not in ("month", "quarter", "year", "week", "day") or (
                decl.count != 1 and unit != "day"):
            raise error("E211", f"cannot rebalance every '{decl.every}'", decl.span,
                        "rebalance every month, quarter, year, week, or N days")
        if on is not None and on.kind is not SymbolKind.SET:
            raise error("E206", f"'{decl.on}' is a {on.kind.value}, not a set",
                        _word_span(decl, decl.on), "rebalance on the time set, e.g. "
                        "`rebalance every month on day`")
        return ir.Rebalance(every=decl.every, count=decl.count, on=on, span=decl.span)


def resolve(model: ast.Model) -> ir.Model:
    """Resolve names and check the model's structure.

    Args:
        model: a parsed model.

    Returns:
        The IR, with every name bound to its `Symbol`.

    Raises:
        SpecError: E2xx, every name problem in the model at once.
    """
    return _Resolver(model).run()
