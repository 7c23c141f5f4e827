"""`saddle show FILE --latex`: a model as a standalone LaTeX document of its mathematics.

From the syntax tree alone (no data is read): the index sets, the data with their units, the
decisions, each adversary's uncertainty set written out as a set, the problem as an aligned
system -- `\\min_{h} \\max_{x \\in \\mathcal{U}_x}` when the objective depends on an uncertain
quantity, a constraint that does ending in `\\forall x \\in \\mathcal{U}_x` -- with each
constraint's name as its tag, and the `let` definitions below it. Expressions are rendered by
compiler/report/latex_math.py. The document needs only amsmath and amssymb (`pdflatex` compiles it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from compiler.report.latex_calls import render_call
from compiler.report.latex_math import Math, Scope, data_source, escape, symbol
from compiler.report.latex_sets import uncertainty_set
from dsl import ast

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\allowdisplaybreaks
\begin{document}
"""
UNITS = {"%": r"\%", "bp": "bp", "$": r"\$", "$k": r"\$k", "$M": r"\$M", "$bn": r"\$bn"}


@dataclasses.dataclass
class Latex:
    """The document and every math fragment in it (tests parse the fragments one by one)."""

    text: str
    math: list[str]


def render_latex(model: ast.Model) -> Latex:
    return _Document(model).render()


def _names(node: object) -> Iterator[str]:
    """Every name an AST node mentions."""
    if isinstance(node, ast.Name):
        yield node.name
    if isinstance(node, ast.Over):
        yield node.ambiguity
    if isinstance(node, tuple):
        for item in node:
            yield from _names(item)
    elif dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            if f.name != "span":
                yield from _names(getattr(node, f.name))


def _unit(unit: str | None) -> str:
    return rf" \quad [\text{{{UNITS.get(unit, escape(unit))}}}]" if unit else ""


class _Document:
    def __init__(self, model: ast.Model):
        self.model = model
        self.scope = Scope(model)
        self.m = Math(self.scope, render_call)
        self.math: list[str] = []
        self.decls = model.decls
        self.lets = {d.name: d for d in self.decls if isinstance(d, ast.LetDecl)}
        self.uncertain = [d for d in self.decls if isinstance(d, ast.UncertainDecl)]
        self.variables = [d for d in self.decls if isinstance(d, ast.VariableDecl)]

    def inline(self, math: str) -> str:
        self.math.append(math)
        return f"${math}$"

    def render(self) -> Latex:
        header = next((d for d in self.decls if isinstance(d, ast.ModelDecl)), None)
        name = header.name if header else "model"
        parts = [PREAMBLE, rf"\section*{{Model \texttt{{{escape(name)}}}}}"]
        if header and header.doc:
            parts.append(escape(header.doc) + "\n")
        parts += self._section("Index sets", [self._set(d) for d in self.decls
                                              if isinstance(d, ast.SetDecl)])
        parts += self._section("Data", [self._data(d) for d in self.decls if isinstance(
            d, ast.ParamDecl | ast.SeriesDecl | ast.ScenariosDecl)])
        parts += self._section("Decisions", [self._decision(d) for d in self.variables])
        adversary = [self._uncertain(d) for d in self.uncertain]
        adversary += [self._ambiguity(d) for d in self.decls
                      if isinstance(d, ast.AmbiguityDecl)]
        parts += self._section("Uncertainty", adversary)
        parts += [r"\subsection*{Problem}", self._problem()]
        if self.lets:
            parts += ["where", self._aligned([
                (symbol(d.name), "= " + self.m.expr(d.value), None)
                for d in self.lets.values()])]
        rebalance = next((d for d in self.decls if isinstance(d, ast.RebalanceDecl)), None)
        if rebalance is not None:
            every = f"{rebalance.count} {rebalance.every}" if rebalance.count != 1 \
                else rebalance.every
            on = f" of {escape(rebalance.on)}" if rebalance.on else ""
            parts.append(rf"\noindent Solved once per window, every {escape(every)}{on}: "
                         "each window's problem on that window's data.")
        parts.append("\\end{document}\n")
        return Latex("\n".join(parts), self.math)

    def _section(self, title: str, items: list[str]) -> list[str]:
        if not items:
            return []
        body = "\n".join(rf"\item {item}" for item in items)
        return [rf"\subsection*{{{title}}}", r"\begin{itemize}", body, r"\end{itemize}"]

    # ==== declarations ====

    def _space(self, index: tuple[str | int, ...], flags: tuple[str, ...] = ()) -> str:
        dims = r" \times ".join(self.scope.set_symbol(d) if isinstance(d, str) else str(d)
                                for d in index)
        field = r"\mathbb{Z}" if "integer" in flags else (
            r"\{0, 1\}" if "binary" in flags else r"\mathbb{R}")
        if "psd" in flags:
            return rf"\mathbb{{S}}_+^{{{dims}}}"
        return f"{field}^{{{dims}}}" if dims else field

    def _set(self, decl: ast.SetDecl) -> str:
        name, letter = self.scope.set_symbol(decl.name), self.scope.letters[decl.name]
        value = decl.value
        if isinstance(value, ast.Name) and value.name in self.scope.sets:
            what = self.inline(rf"{name} = {self.scope.set_symbol(value.name)}") + \
                " (a second index over the same labels)"
        elif isinstance(value, ast.Range):
            what = self.inline(rf"{name} = \{{{self.m.expr(value.start)}, \dots, "
                               rf"{self.m.expr(value.stop)}\}}")
        elif isinstance(value, ast.ListLit):
            labels = ", ".join(rf"\text{{{escape(i.value)}}}" if isinstance(i, ast.String)
                               else self.m.expr(i) for i in value.items)
            what = self.inline(rf"{name} = \{{{labels}\}}")
        else:
            what = self.inline(name) + ": labels from " + self.inline(data_source(value))
        return what + ", index " + self.inline(letter)

    def _data(self, decl: ast.ParamDecl | ast.SeriesDecl | ast.ScenariosDecl) -> str:
        if isinstance(decl, ast.ScenariosDecl):
            head = self.inline(rf"{symbol(decl.name)} \in {self._space(decl.dims)}")
            if decl.sampler is not None:
                return head + " scenarios drawn as " + self.inline(self.m.expr(decl.sampler))
            return head + " scenarios: " + self.inline(self._value(decl.value))
        head = self.inline(self._indexed(decl.name, decl.index) + _unit(decl.unit))
        kind = " (a time series)" if isinstance(decl, ast.SeriesDecl) else ""
        if decl.value is None:
            return head + kind + ", given when the model is solved"
        value = self._value(decl.value)
        joint = ": " if value.startswith(r"\text{data") else " = "
        return head + kind + joint + self.inline(value)

    def _indexed(self, name: str, index: tuple[str, ...]) -> str:
        """`price_b, b in bond`: data indexed by sets (labels or numbers, so no R^n)."""
        if not index:
            return symbol(name)
        letters = [self.scope.letters.get(s, "i") for s in index]
        ranges = r",\ ".join(rf"{letter} \in {self.scope.set_symbol(s)}"
                             for letter, s in zip(letters, index, strict=True))
        return rf"{symbol(name)}_{{{','.join(letters)}}},\ {ranges}"

    def _value(self, value: ast.Expr | None) -> str:
        if value is None:
            return r"\text{given}"
        if isinstance(value, ast.Attribute | ast.Call) and (
                getattr(value, "func", None) == "csv" or
                getattr(getattr(value, "base", None), "func", None) == "csv"):
            return data_source(value)
        return self.m.expr(value)

    def _decision(self, decl: ast.VariableDecl) -> str:
        text = self.inline(rf"{symbol(decl.name)} \in {self._space(decl.index, decl.flags)}"
                           + _unit(decl.unit))
        bounds = self._bounds(decl)
        return text + (", " + self.inline(bounds) if bounds else "")

    def _bounds(self, decl: ast.VariableDecl | ast.UncertainDecl) -> str:
        rel = {ast.Relation.LE: r"\leq", ast.Relation.GE: r"\geq", ast.Relation.EQ: "="}
        parts = [f"{symbol(decl.name)} {rel[b.relation]} {self.m.expr(b.value)}"
                 for b in decl.bounds]
        parts += [rf"{symbol(decl.name)} \geq 0" for f in decl.flags if f == "nonneg"]
        parts += [rf"{symbol(decl.name)} \leq 0" for f in decl.flags if f == "nonpos"]
        return r",\ ".join(parts)

    def _uncertain(self, decl: ast.UncertainDecl) -> str:
        u = symbol(decl.name)
        space = self._space(decl.index)
        conditions = [self.m.test(c.condition.terms, c.condition.ops)
                      for c in decl.constraints if isinstance(c.condition, ast.Comparison)]
        bounds = self._bounds(decl)
        described = uncertainty_set(self.m, u, space, decl.set_expr,
                                    ([bounds] if bounds else []) + conditions)
        return self.inline(rf"\mathcal{{U}}_{{{u}}} = {described}")

    def _ambiguity(self, decl: ast.AmbiguityDecl) -> str:
        call = decl.value
        kwargs = {k.name: k.value for k in call.kwargs}
        base = self.m.expr(call.args[0]) if call.args else r"\cdot"
        name = rf"\mathcal{{P}}_{{{symbol(decl.name)}}}"
        if call.func == "wasserstein" and "radius" in kwargs:
            norm = kwargs.get("norm")
            p = r"\infty" if isinstance(norm, ast.Name) and norm.name == "inf" else (
                self.m.expr(norm) if norm is not None else "2")
            return self.inline(rf"{name} = \{{Q : W(Q, \hat{{P}}_{{{base}}}) \leq "
                               rf"{self.m.expr(kwargs['radius'])}\}}") + \
                " (Wasserstein distance to the scenarios' empirical law, ground norm " + \
                self.inline(rf"\|\cdot\|_{{{p}}}") + ")"
        return self.inline(rf"{name} = {self.m.expr(call)}")

    # ==== the problem ====

    def _depends(self, node: object, seen: frozenset[str] = frozenset()) -> set[str]:
        """The uncertain quantities `node` depends on, through `let` definitions."""
        found: set[str] = set()
        for name in _names(node):
            if name in self.scope.uncertain:
                found.add(name)
            elif name in self.lets and name not in seen:
                found |= self._depends(self.lets[name].value, seen | {name})
        return found

    def _adversary(self, names: set[str]) -> str:
        return r",\ ".join(rf"{symbol(n)} \in \mathcal{{U}}_{{{symbol(n)}}}"
                           for n in (d.name for d in self.uncertain) if n in names)

    def _problem(self) -> str:
        objective = next((d for d in self.decls if isinstance(d, ast.ObjectiveDecl)), None)
        rows: list[tuple[str, str, str | None]] = []
        if objective is not None:
            rows.append((self._head(objective), self.m.expr(objective.expr), objective.name))
        first = True
        for section in (d for d in self.decls if isinstance(d, ast.ConstraintsDecl)):
            for con in section.constraints:
                lead = r"\text{subject to}" if first else ""
                rows.append((lead, self._condition(con.condition), con.name))
                first = False
        for decl in self.variables:
            if self._bounds(decl):
                rows.append((r"\text{subject to}" if first else "", self._bounds(decl), None))
                first = False
        return self._aligned(rows)

    def _head(self, objective: ast.ObjectiveDecl) -> str:
        sense = objective.sense is ast.Sense.MINIMIZE
        decisions = r",\, ".join(symbol(d.name) for d in self.variables)
        against = self._depends(objective.expr)
        if not self.variables:  # a worst-case analysis: the adversary's own problem
            worst = r"\min" if not sense else r"\max"
            return rf"{worst}_{{{self._adversary({d.name for d in self.uncertain})}}}"
        best, worst = (r"\min", r"\max") if sense else (r"\max", r"\min")
        head = rf"{best}_{{{decisions}}}"
        if against:
            head += rf"\ {worst}_{{{self._adversary(against)}}}"
        return head

    def _condition(self, condition: ast.Condition) -> str:
        if isinstance(condition, ast.Disjunction):
            text = r" \;\lor\; ".join(self.m.test(o.terms, o.ops) for o in condition.options)
        else:
            text = self.m.test(condition.terms, condition.ops)
        against = self._depends(condition) if self.variables else set()
        if against:
            text += rf" \quad \forall {self._adversary(against)}"
        return text

    def _aligned(self, rows: list[tuple[str, str, str | None]]) -> str:
        lines = []
        for lead, body, tag in rows:
            self.math += [m for m in (lead, body) if m]
            tagged = rf" \tag*{{\text{{{escape(tag)}}}}}" if tag else ""
            lines.append(rf"{lead} \quad & {body}{tagged}")
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"
