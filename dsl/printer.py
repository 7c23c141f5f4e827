"""The canonical text of a model (`saddle fmt`): `ast.Model` -> `str`.

Guarantees, for every AST the grammar can produce:

* round trip: `parse(format_model(m)) == m` (spans are not compared);
* idempotence: formatting the re-parsed text gives the same text again.

Layout: one declaration per line, a blank line between groups of declarations of different
kinds (and around multi-line ones), the bodies of `subject to`, `uncertain u:` and objectives
indented by four spaces. An objective is always written in block form (`maximize name:` and
the expression on the next line). Parentheses appear only where precedence needs them.
Variable attributes are written bounds first, then flags; call arguments positional first,
then keywords; `**` is written `^`. Both orders and spellings give the same AST.

Literals: integers as written, floats by `repr` (the NUMBER terminal reads it back exactly),
an infinite value (a literal too large for a float) as `1e999`, quantities as `200bp`,
`1.5%`, `$250M`, strings with only `"` and `\\` escaped.

Comments are not part of the AST; `format_model` takes them from the parsed source text
(`dsl/comments.py`): a comment line stays above the declaration or constraint that follows
it, and a comment at the end of a line stays at the end of that line. A comment inside a
multi-line expression moves above its declaration. ASTs built by code have no comments.
A line longer than 100 characters is broken after a comma or before a binary operator,
and a matrix (a list of lists) has one row per line (`dsl/wrap.py`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from dsl import ast
from dsl.comments import Comments
from dsl.depth import deep_stack
from dsl.wrap import wrap_text

INDENT = "    "

# Precedence levels of the grammar's ladder (`?sum`, `?product`, `?unary`, `?power`, ...).
RANGE, SUM, PRODUCT, UNARY, POWER, POSTFIX, ATOM = range(7)

_LEVEL = {
    ast.BinOperator.ADD: SUM,
    ast.BinOperator.SUB: SUM,
    ast.BinOperator.MUL: PRODUCT,
    ast.BinOperator.DIV: PRODUCT,
    ast.BinOperator.MATMUL: PRODUCT,
    ast.BinOperator.POW: POWER,
}

Printed = tuple[str, int]  # text and the precedence level of its outermost construct


@deep_stack  # the printer recurses per level (dsl/depth.py)
def format_model(model: ast.Model) -> str:
    """The canonical text of `model`, ending in a newline (empty for an empty model)."""
    notes = Comments(model.span.source if model.span.source.text else None)
    blocks = [_with_comments(decl, notes) for decl in model.decls]
    out: list[str] = []
    for i, (decl, text) in enumerate(zip(model.decls, blocks, strict=True)):
        if i and (type(decl) is not type(model.decls[i - 1])
                  or "\n" in text or "\n" in blocks[i - 1]):
            out.append("")
        out.append(text)
    trailing = notes.rest()
    if trailing:
        out += ([""] if out else []) + trailing
    return wrap_text("".join(line + "\n" for line in out))  # lines <= 100 (dsl/wrap.py)


def _with_comments(decl: ast.Declaration, notes: Comments) -> str:
    """A declaration's text with the comments around it (and its constraint lines)."""
    block = isinstance(decl, ast.ConstraintsDecl | ast.UncertainDecl) and bool(
        decl.constraints)
    lines = notes.before(decl.span, inside=not block)
    if isinstance(decl, ast.ConstraintsDecl | ast.UncertainDecl) and block:
        head = _DECLS[type(decl)](decl).split("\n", 1)[0]
        lines.append(head)
        for con in decl.constraints:
            lines += [INDENT + c for c in notes.before(con.span)]
            lines.append(_end_comment(_constraint(con), notes.after(con.span)))
        return "\n".join(lines)
    text = _DECLS[type(decl)](decl)
    return "\n".join([*lines, _end_comment(text, notes.after(decl.span))])


def _end_comment(text: str, comment: str | None) -> str:
    return f"{text}  {comment}" if comment else text


def format_expr(expr: ast.Expr) -> str:
    """The canonical text of one expression."""
    return _expr(expr, RANGE)


# ==== expressions ====


def _expr(expr: ast.Expr, level: int) -> str:
    """`expr` as text that parses back at precedence `level` or tighter (else parenthesized)."""
    text, own = _EXPRS[type(expr)](expr)
    return f"({text})" if own < level else text


def format_number(value: int | float) -> str:
    """A number as the NUMBER terminal spells it: no sign, digits after any '.'."""
    if isinstance(value, float):
        if math.isinf(value):
            return "1e999"  # the only way the grammar makes an infinity; float("1e999") == inf
        return repr(value)
    return str(value)


def _number(node: ast.Number) -> Printed:
    return format_number(node.value), ATOM


def _quantity(node: ast.Quantity) -> Printed:
    number = format_number(node.value)
    if node.unit.startswith("$"):
        return f"${number}{node.unit[1:]}", ATOM
    return f"{number}{node.unit}", ATOM


def format_string(value: str) -> str:
    """A string literal: only '"' and '\\' are escaped (the lexer knows no other escapes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _string(node: ast.String) -> Printed:
    return format_string(node.value), ATOM


def _name(node: ast.Name) -> Printed:
    return node.name, ATOM


def _call(node: ast.Call) -> Printed:
    args = [_expr(arg, SUM) for arg in node.args]
    args += [f"{kw.name} = {_expr(kw.value, SUM)}" for kw in node.kwargs]
    return f"{node.func}({', '.join(args)})", ATOM


def _list(node: ast.ListLit) -> Printed:
    return "[" + ", ".join(_expr(item, SUM) for item in node.items) + "]", ATOM


def _attribute(node: ast.Attribute) -> Printed:
    return f"{_expr(node.base, POSTFIX)}.{node.name}", POSTFIX


def _index(node: ast.Index) -> Printed:
    labels = ", ".join(_expr(label, SUM) for label in node.labels)
    return f"{_expr(node.base, POSTFIX)}[{labels}]", POSTFIX


def _neg(node: ast.Neg) -> Printed:
    return "-" + _expr(node.operand, UNARY), UNARY


def _binop(node: ast.BinOp) -> Printed:
    level = _LEVEL[node.op]
    if node.op is ast.BinOperator.POW:  # postfix "^" unary: right-associative
        return f"{_expr(node.left, POSTFIX)}^{_expr(node.right, UNARY)}", POWER
    # Left-associative: the left operand may be at this level, the right must bind tighter.
    return f"{_expr(node.left, level)} {node.op.value} {_expr(node.right, level + 1)}", level


def _test(node: ast.Test) -> Printed:
    parts = [_expr(node.terms[0], SUM)]
    for op, term in zip(node.ops, node.terms[1:], strict=True):
        parts += [op.value, _expr(term, SUM)]
    return " ".join(parts), ATOM  # a call argument only, never an operand: no parentheses


def _over(node: ast.Over) -> Printed:
    return f"{_expr(node.value, SUM)} over {node.ambiguity}", ATOM  # a call argument only


def _range(node: ast.Range) -> Printed:
    return f"{_expr(node.start, SUM)}..{_expr(node.stop, SUM)}", RANGE


_EXPRS: dict[type[ast.Expr], Callable[[Any], Printed]] = {
    ast.Number: _number,
    ast.Quantity: _quantity,
    ast.String: _string,
    ast.Name: _name,
    ast.Call: _call,
    ast.ListLit: _list,
    ast.Attribute: _attribute,
    ast.Index: _index,
    ast.Neg: _neg,
    ast.BinOp: _binop,
    ast.Range: _range,
    ast.Test: _test,
    ast.Over: _over,
}


# ==== conditions ====


def _comparison(node: ast.Comparison) -> str:
    parts = [_expr(node.terms[0], SUM)]
    for op, term in zip(node.ops, node.terms[1:], strict=True):
        parts += [op.value, _expr(term, SUM)]
    return " ".join(parts)


def _disjunction(node: ast.Disjunction) -> str:
    return " or ".join(_comparison(option) for option in node.options)


_CONDITIONS: dict[type[ast.Node], Callable[[Any], str]] = {
    ast.Comparison: _comparison,
    ast.Disjunction: _disjunction,
}


def _constraint(node: ast.ConstraintDecl) -> str:
    condition = _CONDITIONS[type(node.condition)](node.condition)
    return INDENT + (f"{node.name}: {condition}" if node.name is not None else condition)


# ==== declarations ====


def _index_suffix(dims: tuple[str | int, ...]) -> str:
    return "[" + ", ".join(str(d) for d in dims) + "]" if dims else ""


def _unit_suffix(unit: str | None) -> str:
    return f" in {unit}" if unit is not None else ""


def _attributes(bounds: tuple[ast.Bound, ...], flags: tuple[str, ...]) -> str:
    parts = [f" {b.relation.value} {_expr(b.value, SUM)}" for b in bounds]
    return "".join(parts) + "".join(f" {flag}" for flag in flags)


def _model_decl(node: ast.ModelDecl) -> str:
    doc = f" {format_string(node.doc)}" if node.doc is not None else ""
    return f"model {node.name}{doc}"


def _set_decl(node: ast.SetDecl) -> str:
    return f"set {node.name} = {format_expr(node.value)}"


def _param_decl(node: ast.ParamDecl) -> str:
    value = f" = {_expr(node.value, SUM)}" if node.value is not None else ""
    return f"param {node.name}{_index_suffix(node.index)}{_unit_suffix(node.unit)}{value}"


def _series_decl(node: ast.SeriesDecl) -> str:
    return (f"series {node.name}{_index_suffix(node.index)}{_unit_suffix(node.unit)}"
            f" = {_expr(node.value, SUM)}")


def _scenarios_decl(node: ast.ScenariosDecl) -> str:
    head = f"scenarios {node.name}{_index_suffix(node.dims)}"
    if node.sampler is not None:
        return f"{head} ~ {_expr(node.sampler, SUM)}"
    if node.value is None:
        raise ValueError(f"scenarios '{node.name}' has neither a sampler nor a value")
    return f"{head} = {_expr(node.value, SUM)}"


def _variable_decl(node: ast.VariableDecl) -> str:
    head = f"variable {node.name}{_index_suffix(node.index)}{_unit_suffix(node.unit)}"
    return head + _attributes(node.bounds, node.flags)


def _uncertain_decl(node: ast.UncertainDecl) -> str:
    text = f"uncertain {node.name}{_index_suffix(node.index)}"
    text += _attributes(node.bounds, node.flags)
    if node.set_expr is not None:
        text += f" in {_expr(node.set_expr, SUM)}"
    if node.constraints:
        text += ":\n" + "\n".join(_constraint(c) for c in node.constraints)
    return text


def _ambiguity_decl(node: ast.AmbiguityDecl) -> str:
    return f"ambiguity {node.name} = {_expr(node.value, SUM)}"


def _let_decl(node: ast.LetDecl) -> str:
    return f"let {node.name}{_index_suffix(node.index)} = {_expr(node.value, SUM)}"


def _objective_decl(node: ast.ObjectiveDecl) -> str:
    return f"{node.sense.value} {node.name}:\n{INDENT}{_expr(node.expr, SUM)}"


def _constraints_decl(node: ast.ConstraintsDecl) -> str:
    return "subject to\n" + "\n".join(_constraint(c) for c in node.constraints)


def _rebalance_decl(node: ast.RebalanceDecl) -> str:
    count = f" {node.count}" if node.count != 1 else ""
    on = f" on {node.on}" if node.on is not None else ""
    return f"rebalance every{count} {node.every}{on}"


_DECLS: dict[type[ast.Node], Callable[[Any], str]] = {
    ast.ModelDecl: _model_decl,
    ast.SetDecl: _set_decl,
    ast.ParamDecl: _param_decl,
    ast.SeriesDecl: _series_decl,
    ast.ScenariosDecl: _scenarios_decl,
    ast.VariableDecl: _variable_decl,
    ast.UncertainDecl: _uncertain_decl,
    ast.AmbiguityDecl: _ambiguity_decl,
    ast.LetDecl: _let_decl,
    ast.ObjectiveDecl: _objective_decl,
    ast.ConstraintsDecl: _constraints_decl,
    ast.RebalanceDecl: _rebalance_decl,
}
