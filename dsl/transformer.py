"""Lark parse tree -> `dsl.ast`. One method per grammar rule or alias, named alike."""

from __future__ import annotations

import math
import re
from typing import Any

from lark import Token, Transformer, v_args

from dsl import ast
from dsl.errors import error
from dsl.source import Source, Span

_QUANTITY = re.compile(r"(?P<num>\d+(\.\d+)?([eE][+-]?\d+)?)(?P<unit>bp|%|k|M|bn)$")
_MONEY = re.compile(r"\$(?P<num>\d+(\.\d+)?([eE][+-]?\d+)?)(?P<unit>k|M|bn)?$")


def number_value(text: str) -> int | float:
    """`7` -> 7, `0.5` -> 0.5: integers stay integers so counts and seeds read naturally."""
    return int(text) if text.isdigit() else float(text)


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int with more than 308 digits
        return False


def _unescape(quoted: str) -> str:
    return re.sub(r"\\(.)", r"\1", quoted[1:-1])


@v_args(meta=True, inline=True)
class ToAst(Transformer[Token, ast.Model]):
    """Builds AST nodes with spans into `source`."""

    def __init__(self, source: Source):
        super().__init__()
        self.source = source

    # ---- helpers ----

    def _span(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return self.source.span(0, 0)
        return self.source.span(meta.start_pos, meta.end_pos)

    def _tok(self, token: Token) -> Span:
        start = token.start_pos or 0
        return self.source.span(start, token.end_pos or start)

    def _value(self, token: Token, digits: str) -> int | float:
        try:
            value = number_value(digits)
        except ValueError:  # int() refuses more than sys.get_int_max_str_digits() digits
            raise error("E100", f"a number with {len(digits)} digits is too long",
                        self._tok(token), "write a long number with an exponent, as in 1e30"
                        ) from None
        if not _finite(value):  # float("1e309") is inf: no literal means infinity
            shown = digits if len(digits) <= 24 else digits[:20] + "..."
            raise error("E100", f"the number '{shown}' is too large for a float",
                        self._tok(token), "the largest number is about 1.8e308; leave out "
                        "a bound that is meant to be absent")
        return value

    # ---- declarations ----

    def start(self, meta: Any, *decls: ast.Declaration) -> ast.Model:
        return ast.Model(decls=tuple(decls), span=self._span(meta))

    def model_decl(self, meta: Any, name: Token, doc: Token | None) -> ast.ModelDecl:
        return ast.ModelDecl(
            name=str(name),
            doc=_unescape(str(doc)) if doc is not None else None,
            span=self._span(meta),
            name_span=self._tok(name),
        )

    def set_decl(self, meta: Any, name: Token, value: ast.Expr) -> ast.SetDecl:
        return ast.SetDecl(name=str(name), value=value, span=self._span(meta),
                           name_span=self._tok(name))

    def range(self, meta: Any, start: ast.Expr, stop: ast.Expr) -> ast.Range:
        return ast.Range(start=start, stop=stop, span=self._span(meta))

    def param_decl(self, meta: Any, name: Token, index: tuple[str, ...] | None,
                   unit: str | None, value: ast.Expr | None) -> ast.ParamDecl:
        return ast.ParamDecl(name=str(name), index=self._names(index), unit=unit, value=value,
                             span=self._span(meta), name_span=self._tok(name))

    def series_decl(self, meta: Any, name: Token, index: tuple[str, ...], unit: str | None,
                    value: ast.Expr) -> ast.SeriesDecl:
        return ast.SeriesDecl(name=str(name), index=self._names(index), unit=unit, value=value,
                              span=self._span(meta), name_span=self._tok(name))

    def scenarios_sampled(self, meta: Any, name: Token, dims: tuple[str | int, ...],
                          sampler: ast.Call) -> ast.ScenariosDecl:
        return ast.ScenariosDecl(name=str(name), dims=dims, sampler=sampler,
                                 span=self._span(meta), name_span=self._tok(name))

    def scenarios_given(self, meta: Any, name: Token, dims: tuple[str | int, ...],
                        value: ast.Expr) -> ast.ScenariosDecl:
        return ast.ScenariosDecl(name=str(name), dims=dims, value=value,
                                 span=self._span(meta), name_span=self._tok(name))

    def variable_decl(self, meta: Any, name: Token, index: tuple[str, ...] | None,
                      unit: str | None, *attributes: ast.Bound | str) -> ast.VariableDecl:
        bounds, flags = self._split_attributes(attributes)
        return ast.VariableDecl(name=str(name), index=self._names(index), unit=unit,
                                bounds=bounds, flags=flags, span=self._span(meta),
                                name_span=self._tok(name))

    def uncertain_decl(self, meta: Any, name: Token, index: tuple[str, ...] | None,
                       *rest: Any) -> ast.UncertainDecl:
        attributes = [r for r in rest if isinstance(r, ast.Bound | str)]
        constraints = tuple(r for r in rest if isinstance(r, ast.ConstraintDecl))
        set_exprs = [r for r in rest if isinstance(r, ast.Expr)]
        bounds, flags = self._split_attributes(attributes)
        return ast.UncertainDecl(
            name=str(name), index=self._names(index), bounds=bounds, flags=flags,
            set_expr=set_exprs[0] if set_exprs else None, constraints=constraints,
            span=self._span(meta), name_span=self._tok(name),
        )

    def let_decl(self, meta: Any, name: Token, index: tuple[str, ...] | None,
                 value: ast.Expr) -> ast.LetDecl:
        return ast.LetDecl(name=str(name), index=self._names(index), value=value,
                           span=self._span(meta), name_span=self._tok(name))

    def ambiguity_decl(self, meta: Any, name: Token, value: ast.Call) -> ast.AmbiguityDecl:
        return ast.AmbiguityDecl(name=str(name), value=value, span=self._span(meta),
                                 name_span=self._tok(name))

    def objective_decl(self, meta: Any, sense: Token, name: Token,
                       expr: ast.Expr) -> ast.ObjectiveDecl:
        return ast.ObjectiveDecl(name=str(name), sense=ast.Sense(str(sense)), expr=expr,
                                 span=self._span(meta), name_span=self._tok(name))

    def constraints_decl(self, meta: Any, *lines: ast.ConstraintDecl) -> ast.ConstraintsDecl:
        return ast.ConstraintsDecl(constraints=tuple(lines), span=self._span(meta))

    def rebalance_decl(self, meta: Any, count: Token | None, every: Token,
                       on: Token | None) -> ast.RebalanceDecl:
        number = 1
        if count is not None:
            value = self._value(count, str(count))
            if not isinstance(value, int) or value < 1:
                raise error("E100", f"'{count}' is not a whole number of periods",
                            self._tok(count), "write a count such as `rebalance every 5 days`")
            number = value
        return ast.RebalanceDecl(every=str(every), count=number,
                                 on=ast.Word(str(on), self._tok(on)) if on is not None else None,
                                 span=self._span(meta))

    def decl_index(self, meta: Any, *dims: Token) -> tuple[str | int, ...]:
        out: list[str | int] = []
        for dim in dims:
            if dim.type == "NUMBER":
                value = self._value(dim, str(dim))
                if not float(value).is_integer() or value < 1:
                    raise error("E100", f"'{dim}' is not a positive whole number",
                                self._tok(dim), "write a count of draws such as `[1000, tenor]`")
                out.append(int(value))  # `1e4` draws are 10000 (the size is checked in bind)
            else:
                out.append(ast.Word(str(dim), self._tok(dim)))
        return tuple(out)

    def _names(self, index: tuple[str | int, ...] | None) -> tuple[str, ...]:
        # Counts are for scenarios only; `resolve` reports them elsewhere with a position.
        return tuple(i if isinstance(i, ast.Word) else str(i) for i in index) if index else ()

    def unit_clause(self, meta: Any, unit: str) -> str:
        return unit

    def unit(self, meta: Any, token: Token) -> str:
        return str(token)

    def bound(self, meta: Any, relation: Token, value: ast.Expr) -> ast.Bound:
        if str(relation) == "==":
            raise error("E100", "a declaration bound must be '>=' or '<='", self._tok(relation),
                        "fix the variable with a constraint `name: x == value` instead")
        return ast.Bound(relation=ast.Relation(str(relation)), value=value, span=self._span(meta))

    def flag(self, meta: Any, token: Token) -> ast.Word:
        return ast.Word(str(token), self._tok(token))

    @staticmethod
    def _split_attributes(
        attributes: Any,
    ) -> tuple[tuple[ast.Bound, ...], tuple[str, ...]]:
        bounds = tuple(a for a in attributes if isinstance(a, ast.Bound))
        flags = tuple(a for a in attributes if isinstance(a, str))
        return bounds, flags

    # ---- constraints ----

    def constraint_line(self, meta: Any, name: Token | None,
                        condition: ast.Condition) -> ast.ConstraintDecl:
        name_span = self._tok(name) if name is not None else condition.span
        return ast.ConstraintDecl(name=str(name) if name is not None else None,
                                  condition=condition, span=self._span(meta),
                                  name_span=name_span)

    def disjunction(self, meta: Any, *options: ast.Comparison) -> ast.Disjunction:
        return ast.Disjunction(options=options, span=self._span(meta))

    def comparison(self, meta: Any, *parts: Any) -> ast.Comparison:
        return ast.Comparison(terms=tuple(parts[0::2]),
                              ops=tuple(ast.Relation(str(t)) for t in parts[1::2]),
                              span=self._span(meta))

    # ---- expressions ----

    def _binop(self, op: ast.BinOperator, meta: Any, left: ast.Expr,
               right: ast.Expr) -> ast.BinOp:
        return ast.BinOp(op=op, left=left, right=right, span=self._span(meta))

    def add(self, meta: Any, left: ast.Expr, right: ast.Expr) -> ast.BinOp:
        return self._binop(ast.BinOperator.ADD, meta, left, right)

    def sub(self, meta: Any, left: ast.Expr, right: ast.Expr) -> ast.BinOp:
        return self._binop(ast.BinOperator.SUB, meta, left, right)

    def mul(self, meta: Any, left: ast.Expr, right: ast.Expr) -> ast.BinOp:
        return self._binop(ast.BinOperator.MUL, meta, left, right)

    def div(self, meta: Any, left: ast.Expr, right: ast.Expr) -> ast.BinOp:
        return self._binop(ast.BinOperator.DIV, meta, left, right)

    def matmul(self, meta: Any, left: ast.Expr, right: ast.Expr) -> ast.BinOp:
        return self._binop(ast.BinOperator.MATMUL, meta, left, right)

    def pow(self, meta: Any, left: ast.Expr, _op: Token, right: ast.Expr) -> ast.BinOp:
        return self._binop(ast.BinOperator.POW, meta, left, right)

    def neg(self, meta: Any, operand: ast.Expr) -> ast.Neg:
        return ast.Neg(operand=operand, span=self._span(meta))

    def index(self, meta: Any, base: ast.Expr, *labels: ast.Expr) -> ast.Index:
        return ast.Index(base=base, labels=labels, span=self._span(meta))

    def attribute(self, meta: Any, base: ast.Expr, name: Token) -> ast.Attribute:
        return ast.Attribute(base=base, name=str(name), span=self._span(meta))

    def number(self, meta: Any, token: Token) -> ast.Number:
        return ast.Number(value=self._value(token, str(token)), span=self._tok(token))

    def quantity(self, meta: Any, token: Token) -> ast.Quantity:
        match = _QUANTITY.match(str(token))
        if match is None:  # the terminal's regex guarantees a match
            raise RuntimeError(f"QUANTITY token {token!r} does not match its pattern")
        return ast.Quantity(value=self._value(token, match["num"]), unit=match["unit"],
                            span=self._tok(token))

    def money(self, meta: Any, token: Token) -> ast.Quantity:
        match = _MONEY.match(str(token))
        if match is None:
            raise RuntimeError(f"MONEY token {token!r} does not match its pattern")
        return ast.Quantity(value=self._value(token, match["num"]),
                            unit="$" + (match["unit"] or ""),
                            span=self._tok(token))

    def string(self, meta: Any, token: Token) -> ast.String:
        return ast.String(value=_unescape(str(token)), span=self._tok(token))

    def name(self, meta: Any, token: Token) -> ast.Name:
        return ast.Name(name=str(token), span=self._tok(token))

    def list(self, meta: Any, *items: ast.Expr | None) -> ast.ListLit:
        return ast.ListLit(items=tuple(i for i in items if i is not None), span=self._span(meta))

    def call(self, meta: Any, func: Token,
             *arguments: ast.Expr | ast.Keyword | ast.Comparison | None) -> ast.Call:
        present = [ast.Test(terms=a.terms, ops=a.ops, span=a.span)
                   if isinstance(a, ast.Comparison) else a
                   for a in arguments if a is not None]
        return ast.Call(
            func=str(func),
            args=tuple(a for a in present if isinstance(a, ast.Expr)),
            kwargs=tuple(a for a in present if isinstance(a, ast.Keyword)),
            span=self._span(meta),
            func_span=self._tok(func),
        )

    def over(self, meta: Any, value: ast.Expr, name: Token) -> ast.Over:
        return ast.Over(value=value, ambiguity=str(name), span=self._span(meta),
                        ambiguity_span=self._tok(name))

    def keyword(self, meta: Any, name: Token, value: ast.Expr) -> ast.Keyword:
        return ast.Keyword(name=str(name), value=value, span=self._span(meta))
