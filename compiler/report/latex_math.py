"""Expressions of a model as LaTeX mathematics (`saddle show --latex`, compiler/report/latex.py).

Works on the syntax tree (`dsl.ast`), so it needs no data. Names are written as symbols
(`lambda` -> \\lambda, `h` -> h, `price` -> \\mathrm{price}); `*` is a product when a side is a
scalar and \\circ (elementwise) otherwise, `a @ b` is a^\\top b for a vector a and A b for a
matrix. A reduction over an elementwise expression (`sum`, `log_sum_exp`) is written with
indices: `sum(w * (yield - repo))` is \\sum_{t \\in tenor} w_t (yield_t - repo_t), each index set
having a letter (its first free one, primed for an alias).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dsl import ast
from dsl.printer import format_number

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "kappa",
         "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi",
         "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi",
         "Omega"}
ELEMENTWISE = {"abs", "exp", "log", "sqrt", "pos", "neg", "square", "indicator", "log1p"}
REDUCTIONS = {"sum", "norm", "norm1", "norm2", "norm_inf", "quad_form", "cvar", "mean",
              "log_sum_exp", "max", "min", "count", "sum_squares", "var", "std", "dot"}
_REL = {ast.Relation.LE: r"\leq", ast.Relation.GE: r"\geq", ast.Relation.EQ: "="}
SUM, PRODUCT, UNARY, POWER, ATOM = range(5)


def escape(text: str) -> str:
    """Text for \\text{} or \\mathrm{}: LaTeX's special characters quoted."""
    out = text.replace("\\", r"\backslash ")
    for char in "&%$#_{}":
        out = out.replace(char, "\\" + char)
    return out.replace("~", r"\sim ").replace("^", r"\hat{}")


def symbol(name: str) -> str:
    """A name as a mathematical symbol."""
    if name in GREEK:
        return "\\" + name
    if len(name) == 1:
        return name
    return rf"\mathrm{{{escape(name)}}}"


class Scope:
    """What the model declares: index sets of each name, set aliases and index letters."""

    def __init__(self, model: ast.Model):
        self.sets: dict[str, str | None] = {}  # set -> the set it aliases
        self.index: dict[str, tuple[str, ...]] = {}
        self.lets: dict[str, ast.LetDecl] = {}
        self.uncertain: set[str] = set()
        for decl in model.decls:
            if isinstance(decl, ast.SetDecl):
                value = decl.value
                alias = value.name if isinstance(value, ast.Name) else None
                self.sets[decl.name] = alias if alias in self.sets else None
            elif isinstance(decl, ast.ParamDecl | ast.VariableDecl | ast.UncertainDecl
                            | ast.SeriesDecl):
                self.index[decl.name] = decl.index
                if isinstance(decl, ast.UncertainDecl):
                    self.uncertain.add(decl.name)
            elif isinstance(decl, ast.ScenariosDecl):
                self.index[decl.name] = tuple(  # a count of draws: the set `NAME_draw`
                    d if isinstance(d, str) else f"{decl.name}_draw" for d in decl.dims)
            elif isinstance(decl, ast.LetDecl):
                self.lets[decl.name] = decl
                if decl.index:
                    self.index[decl.name] = decl.index
        self.letters: dict[str, str] = {}
        for name, alias in self.sets.items():
            self.letters[name] = self._letter(name, alias)

    def _letter(self, name: str, alias: str | None) -> str:
        if alias is not None and alias in self.letters:
            return self.letters[alias] + "'"
        taken = set(self.letters.values())
        for char in name.lower() + "ijklmn":
            if char.isalpha() and char not in taken:
                return char
        return rf"i_{{{len(taken)}}}"

    def set_symbol(self, name: str) -> str:
        return rf"\mathrm{{{escape(name)}}}"

    def shape(self, expr: ast.Expr) -> tuple[str, ...] | None:
        """The index sets of `expr`'s value, in order; None if unknown."""
        if isinstance(expr, ast.Number | ast.Quantity | ast.String):
            return ()
        if isinstance(expr, ast.Name):
            if expr.name in self.sets:
                return (expr.name,)
            if expr.name in self.index:
                return self.index[expr.name]
            let = self.lets.get(expr.name)
            return self.shape(let.value) if let is not None else ()
        if isinstance(expr, ast.Index):
            sets = tuple(label.name for label in expr.labels
                         if isinstance(label, ast.Name) and label.name in self.sets)
            base = self.shape(expr.base)
            return sets if base is None else sets + base[len(expr.labels):]
        if isinstance(expr, ast.Neg):
            return self.shape(expr.operand)
        if isinstance(expr, ast.BinOp):
            left, right = self.shape(expr.left), self.shape(expr.right)
            if left is None or right is None:
                return None
            if expr.op is ast.BinOperator.MATMUL:
                return left[:-1] + right[1:]
            if expr.op is ast.BinOperator.POW:
                return left
            return left + tuple(s for s in right if s not in left)
        if isinstance(expr, ast.Call):
            return self._call_shape(expr)
        return None

    def _call_shape(self, call: ast.Call) -> tuple[str, ...] | None:
        over = next((k.value for k in call.kwargs if k.name == "over"), None)
        if call.func == "sum" and isinstance(over, ast.Name) and call.args:
            inner = self.shape(call.args[0])
            return None if inner is None else tuple(s for s in inner if s != over.name)
        if call.func in REDUCTIONS:
            return ()
        if call.func in ELEMENTWISE and call.args:
            arg = call.args[0]
            if isinstance(arg, ast.Test):
                shapes = [self.shape(t) for t in arg.terms]
                if any(s is None for s in shapes):
                    return None
                return tuple(dict.fromkeys(s for shape in shapes for s in shape or ()))
            return self.shape(arg)
        return None

    def elementwise(self, expr: ast.Expr) -> bool:
        """True if `expr` can be written with indices (no contraction, no reduction)."""
        if isinstance(expr, ast.BinOp):
            return expr.op is not ast.BinOperator.MATMUL and self.elementwise(
                expr.left) and self.elementwise(expr.right)
        if isinstance(expr, ast.Neg):
            return self.elementwise(expr.operand)
        if isinstance(expr, ast.Call):
            return expr.func in ELEMENTWISE and all(
                self.elementwise(a) for a in expr.args if not isinstance(a, ast.Test))
        if isinstance(expr, ast.Index):
            return isinstance(expr.base, ast.Name)
        if isinstance(expr, ast.Name) and expr.name in self.lets:
            return self.shape(expr) is not None  # a let is one symbol: subscripts suffice
        return isinstance(expr, ast.Name | ast.Number | ast.Quantity | ast.String)


class Math:
    """Renders expressions of one model; `indexed` is True inside an indexed reduction.
    `calls` renders a builtin call (compiler/report/latex_calls.py: render_call)."""

    def __init__(self, scope: Scope, calls: Callable[[Math, ast.Call, bool], str]):
        self.scope = scope
        self.calls = calls

    def expr(self, node: ast.Expr, indexed: bool = False) -> str:
        return self._at(node, SUM, indexed)

    def _at(self, node: ast.Expr, level: int, indexed: bool) -> str:
        text, own = self._render(node, indexed)
        return rf"\left({text}\right)" if own < level else text

    def _render(self, node: ast.Expr, ix: bool) -> tuple[str, int]:
        if isinstance(node, ast.Number):
            return format_number(node.value), ATOM
        if isinstance(node, ast.Quantity):
            number = format_number(node.value)
            if node.unit.startswith("$"):
                return rf"\${number}\,\mathrm{{{node.unit[1:]}}}", ATOM
            return (rf"{number}\%" if node.unit == "%" else
                    rf"{number}\,\mathrm{{{node.unit}}}"), ATOM
        if isinstance(node, ast.String):
            return rf"\text{{``{escape(node.value)}''}}", ATOM
        if isinstance(node, ast.Name):
            return self._name(node.name, ix), ATOM
        if isinstance(node, ast.Index):
            return self._index(node, ix), ATOM
        if isinstance(node, ast.Neg):
            return "-" + self._at(node.operand, UNARY, ix), UNARY
        if isinstance(node, ast.BinOp):
            return self._binop(node, ix)
        if isinstance(node, ast.Call):
            return self.calls(self, node, ix), ATOM
        if isinstance(node, ast.ListLit):
            items = ", ".join(self.expr(item, ix) for item in node.items)
            return rf"\left[{items}\right]", ATOM
        if isinstance(node, ast.Test):
            return self.test(node.terms, node.ops, ix), SUM
        if isinstance(node, ast.Attribute):
            if isinstance(node.base, ast.Call) and node.base.func == "csv":
                return data_source(node), ATOM
            return rf"{self._at(node.base, ATOM, ix)}.\mathrm{{{escape(node.name)}}}", ATOM
        if isinstance(node, ast.Range):
            return rf"\{{{self.expr(node.start)}, \dots, {self.expr(node.stop)}\}}", ATOM
        if isinstance(node, ast.Over):  # `loss over P`: the distribution is P's
            law = rf"\mathcal{{P}}_{{{symbol(node.ambiguity)}}}"
            return rf"{self.expr(node.value, ix)}\ \text{{over}}\ {law}", SUM
        return rf"\text{{{escape(type(node).__name__)}}}", ATOM

    def _name(self, name: str, ix: bool) -> str:
        scope = self.scope
        if name in scope.sets:  # a set used as a value: its label (the index itself)
            return scope.letters[name] if ix else scope.set_symbol(name)
        base = symbol(name)
        if not ix:
            return base
        sets = scope.shape(ast.Name(name=name)) or ()
        if not sets:
            return base
        letters = ",".join(scope.letters.get(s, "i") for s in sets)
        return f"{base}_{{{letters}}}"

    def _index(self, node: ast.Index, ix: bool) -> str:
        labels = []
        for label in node.labels:
            if isinstance(label, ast.Name) and label.name in self.scope.sets:
                labels.append(self.scope.letters[label.name])
            elif isinstance(label, ast.String):
                labels.append(rf"\text{{{escape(label.value)}}}")
            else:
                labels.append(self.expr(label, ix))
        base = self._at(node.base, ATOM, False)
        if not ix and all(isinstance(label, ast.Name) and label.name in self.scope.sets
                          for label in node.labels):
            return base  # `y[period]` outside indices: y itself, aligned by its labels
        return f"{base}_{{{','.join(labels)}}}"

    def _binop(self, node: ast.BinOp, ix: bool) -> tuple[str, int]:
        op = node.op
        if op is ast.BinOperator.POW:
            return f"{{{self._at(node.left, ATOM, ix)}}}^{{{self.expr(node.right, ix)}}}", POWER
        if op is ast.BinOperator.DIV:
            return rf"\frac{{{self.expr(node.left, ix)}}}{{{self.expr(node.right, ix)}}}", ATOM
        if op in (ast.BinOperator.ADD, ast.BinOperator.SUB):
            right = self._at(node.right, PRODUCT, ix)
            return f"{self._at(node.left, SUM, ix)} {op.value} {right}", SUM
        left = self._at(node.left, PRODUCT, ix)
        right = self._at(node.right, UNARY, ix)
        if op is ast.BinOperator.MATMUL:
            shape = self.scope.shape(node.left)
            if shape is not None and len(shape) == 1 and not ix:
                return f"{{{left}}}^\\top {right}", PRODUCT
            return rf"{left}\, {right}", PRODUCT
        shapes = self.scope.shape(node.left), self.scope.shape(node.right)
        scalar = ix or () in shapes
        if not scalar and all(s is not None and len(s) == 1 for s in shapes) and \
                shapes[0] != shapes[1]:  # `vol[asset] * vol[asset2]`: an outer product
            return rf"{left}\, {{{right}}}^\top", PRODUCT
        return (rf"{left}\, {right}" if scalar else rf"{left} \circ {right}"), PRODUCT

    def test(self, terms: tuple[ast.Expr, ...], ops: tuple[ast.Relation, ...],
             ix: bool = False) -> str:
        parts = [self.expr(terms[0], ix)]
        for op, term in zip(ops, terms[1:], strict=True):
            parts += [_REL[op], self.expr(term, ix)]
        return " ".join(parts)

    def indexed(self, body: ast.Expr, over: tuple[str, ...]) -> tuple[str, str]:
        """`\\sum_{t \\in T}` for the sets `over` and the body with indices."""
        sets = ",\\, ".join(f"{self.scope.letters.get(s, 'i')} \\in {self.scope.set_symbol(s)}"
                            for s in over)
        return rf"\sum_{{{sets}}}", self._at(body, PRODUCT, True)


def data_source(node: Any) -> str:
    """`csv("f.csv").col` or `csv("f.csv", ...)` as text: where the data comes from."""
    column = None
    if isinstance(node, ast.Attribute):
        node, column = node.base, node.name
    if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0],
                                                                            ast.String):
        return r"\text{data}"
    where = escape(node.args[0].value) + (f", column {escape(column)}" if column else "")
    return rf"\text{{data: {where}}}"
