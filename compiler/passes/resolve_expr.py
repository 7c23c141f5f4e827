"""Names inside expressions (part of stage 2, `resolve`): symbols, calls checked against
their signatures and the context they appear in, units converted, sugar removed.
"""

from __future__ import annotations

import difflib
from typing import Protocol

from compiler.builtins import Context, lookup, names
from compiler.passes import ir
from compiler.passes.symbols import Symbol, SymbolKind
from dsl import ast
from dsl.errors import Diagnostics, SpecError, error
from dsl.source import Span

DATA_KINDS = {SymbolKind.SET, SymbolKind.PARAM, SymbolKind.SERIES, SymbolKind.SCENARIOS}


class Names(Protocol):
    """What the expression resolver needs from the declaration resolver."""

    symbols: dict[str, Symbol]
    diags: Diagnostics

    def lookup(self, name: str, span: Span) -> Symbol: ...


class ExprResolver:
    """Resolves one expression tree in a context (which calls and which kinds of names)."""

    def __init__(self, owner: Names, context: Context, allowed: set[SymbolKind] | None):
        self.owner, self.context, self.allowed = owner, context, allowed

    def visit(self, node: ast.Expr) -> ir.Expr:
        method = getattr(self, f"visit_{type(node).__name__}")
        result: ir.Expr = method(node)
        return result

    def visit_Number(self, node: ast.Number) -> ir.Expr:
        return ir.Const(value=float(node.value), span=node.span)

    def visit_Quantity(self, node: ast.Quantity) -> ir.Expr:
        return ir.Const(value=float(node.value) * ast.UNIT_SCALE[node.unit], unit=node.unit,
                        span=node.span)

    def visit_String(self, node: ast.String) -> ir.Expr:
        return ir.Str(value=node.value, span=node.span)

    def visit_Name(self, node: ast.Name) -> ir.Expr:
        try:
            symbol = self.owner.lookup(node.name, node.span)
        except SpecError as exc:
            # Report every undefined name at once: keep going with a stand-in symbol; the
            # collected diagnostics stop the pipeline before any later pass sees it.
            self.owner.diags.extend(exc)
            return ir.Ref(symbol=Symbol(node.name, SymbolKind.PARAM, node.span), span=node.span)
        if symbol.kind is SymbolKind.AMBIGUITY:
            raise error("E206", f"the ambiguity set '{node.name}' used as a value", node.span,
                        f"an ambiguity set names the distributions of a worst case: write "
                        f"cvar(level, loss over {node.name}) or mean(loss over {node.name})")
        if self.allowed is not None and symbol.kind not in self.allowed:
            if self.context is Context.DATA or self.allowed == DATA_KINDS:
                raise error("E209", f"{symbol.kind.value} '{node.name}' in data", node.span,
                            "data (sets, params, scenarios, bounds) is fixed before the solve; "
                            "move this expression into a `let`, the objective or a constraint")
            raise error("E210", f"the set of an uncertain quantity mentions the "
                        f"{symbol.kind.value} '{node.name}'", node.span,
                        "an uncertainty set may use only its own uncertain quantity, params "
                        "and sets; put conditions that involve decisions in `subject to`")
        return ir.Ref(symbol=symbol, span=node.span)

    def visit_Call(self, node: ast.Call) -> ir.Expr:
        builtin = lookup(node.func)
        if builtin is None:
            close = difflib.get_close_matches(node.func, names(), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "see the builtin list in the docs."
            raise error("E207", f"unknown function '{node.func}'", node.func_span, hint)
        signature = builtin.signature
        allowed_here = {self.context, Context.MATH} if self.context is Context.DATA else {
            self.context, Context.MATH}
        if signature.context not in allowed_here and not (
                signature.context is Context.DATA and self.context is Context.SAMPLER):
            raise error("E208", f"'{node.func}' belongs in {signature.context.value}",
                        node.func_span, f"use {node.func}(...) only in "
                        f"{signature.context.value}")
        count = len(node.args)
        if count < signature.min_args or (signature.max_args is not None
                                          and count > signature.max_args):
            expected = (f"{signature.min_args}" if signature.min_args == signature.max_args
                        else f"{signature.min_args} to {signature.max_args}")
            raise error("E208", f"'{node.func}' takes {expected} positional arguments, not "
                        f"{count}", node.span, f"call it as {signature.doc}")
        kwargs: list[tuple[str, ir.Expr]] = []
        for keyword in node.kwargs:
            if any(keyword.name == seen for seen, _ in kwargs):
                raise error("E208", f"'{keyword.name}' is given twice", keyword.span,
                            f"give each argument of '{node.func}' once")
            if keyword.name not in signature.keywords:
                known = ", ".join(sorted(signature.keywords)) or "none"
                raise error("E208", f"'{node.func}' has no argument '{keyword.name}'",
                            keyword.span, f"its keyword arguments are: {known}")
            if keyword.name == "over" and isinstance(keyword.value, ast.Name):
                value: ir.Expr = self.visit(keyword.value)
            elif keyword.name in signature.word_keywords and isinstance(keyword.value, ast.Name) \
                    and keyword.value.name not in self.owner.symbols:
                value = ir.Word(word=keyword.value.name, span=keyword.value.span)
            else:
                value = self.visit(keyword.value)
            kwargs.append((keyword.name, value))
        _check_tests(node)
        args_context = self
        if signature.context in (Context.SAMPLER, Context.UNCERTAINTY, Context.AMBIGUITY):
            args_context = ExprResolver(self.owner, Context.MATH, self.allowed)
        args = tuple(self.over(a) if isinstance(a, ast.Over) and (node.func, k) in _OVER_AT
                     else args_context.visit(a) for k, a in enumerate(node.args))
        return ir.Call(func=node.func, args=args, kwargs=tuple(kwargs), span=node.span,
                       func_span=node.func_span)

    def over(self, node: ast.Over) -> ir.Expr:
        """`loss over P`: the loss, and P's definition (resolved where P was declared)."""
        symbol = self.owner.lookup(node.ambiguity, node.ambiguity_span)
        definition = getattr(self.owner, "ambiguities", {}).get(symbol)
        if definition is None:
            raise error("E206", f"'{node.ambiguity}' is a {symbol.kind.value}, not an "
                        "ambiguity set", node.ambiguity_span, "declare one, e.g. `ambiguity "
                        f"{node.ambiguity} = wasserstein(scenarios, radius = 0.05)`")
        return ir.Over(value=self.visit(node.value), ambiguity=symbol, definition=definition,
                       span=node.span)

    def visit_Attribute(self, node: ast.Attribute) -> ir.Expr:
        return ir.Attr(base=self.visit(node.base), name=node.name, span=node.span)

    def visit_Index(self, node: ast.Index) -> ir.Expr:
        return ir.Select(base=self.visit(node.base), labels=tuple(self.visit(x)
                                                                  for x in node.labels),
                         span=node.span)

    def visit_BinOp(self, node: ast.BinOp) -> ir.Expr:
        return ir.BinOp(op=node.op, left=self.visit(node.left), right=self.visit(node.right),
                        span=node.span)

    def visit_Neg(self, node: ast.Neg) -> ir.Expr:
        return ir.Neg(operand=self.visit(node.operand), span=node.span)

    def visit_ListLit(self, node: ast.ListLit) -> ir.Expr:
        return ir.ListLit(items=tuple(self.visit(i) for i in node.items), span=node.span)

    def visit_Test(self, node: ast.Test) -> ir.Expr:
        return ir.Test(terms=tuple(self.visit(t) for t in node.terms), ops=node.ops,
                       span=node.span)

    def visit_Over(self, node: ast.Over) -> ir.Expr:
        raise error("E208", f"'over {node.ambiguity}' outside cvar(...) or mean(...)",
                    node.span, "the worst case over an ambiguity set is taken by "
                    f"cvar(level, loss over {node.ambiguity}) or mean(loss over "
                    f"{node.ambiguity})")

    def visit_Range(self, node: ast.Range) -> ir.Expr:
        return ir.Range(start=self.visit(node.start), stop=self.visit(node.stop), span=node.span)


# (function, argument position) where `loss over P` may stand
_OVER_AT = {("cvar", 1), ("mean", 0)}


def _check_tests(node: ast.Call) -> None:
    """A comparison is an argument of `indicator` only, and `indicator` takes one."""
    for arg in node.args:
        if isinstance(arg, ast.Test) and node.func != "indicator":
            raise error("E208", f"a comparison as an argument of '{node.func}'", arg.span,
                        "turn the comparison into 0/1 data first: indicator(a == b)")
    if node.func == "indicator" and not (node.args and isinstance(node.args[0], ast.Test)):
        raise error("E208", "indicator takes a comparison", node.span,
                    'write indicator(a == b), e.g. indicator(rating == "AAA") or '
                    "indicator(period <= maturity)")
