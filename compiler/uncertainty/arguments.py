"""The arguments of a set call (`ball(mu, 0.1, norm = 1)`), evaluated as data over u's index.

Every error is E410 located at the call or at the argument at fault.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from compiler.lowering import tensor
from compiler.passes import ir
from compiler.passes.symbols import Symbol
from dsl.errors import error

if TYPE_CHECKING:
    from compiler.lowering.evaluate import Evaluator


class SetArguments:
    """A set call of an uncertain declaration, with the evaluator of its data."""

    def __init__(self, call: ir.Call, evaluate: Evaluator, definition: ir.UncertainDef):
        self.call, self.evaluate, self.definition = call, evaluate, definition
        self.symbol: Symbol = definition.symbol
        self.shape: tuple[int, ...] = tuple(evaluate.sizes(self.symbol.index))

    def node(self, position: int, keyword: str) -> ir.Expr | None:
        if position < len(self.call.args):
            return self.call.args[position]
        return self.call.kwarg(keyword)

    def missing(self, keyword: str) -> Exception:
        return error("E410", f"{self.call.func}(...) needs '{keyword}'", self.call.span,
                     f"give the {keyword} of the set")

    def invalid(self, message: str, help_text: str, node: ir.Expr | None = None) -> Exception:
        """E410 at `node` (default: the call)."""
        return error("E410", message, (node or self.call).span, help_text)

    def over_u(self, position: int, keyword: str, default: float | None = None) -> np.ndarray:
        """An argument indexed by (some of) u's sets, broadcast to u's shape."""
        node = self.node(position, keyword)
        if node is None:
            if default is None:
                raise self.missing(keyword)
            return np.full(self.shape, default)
        value = self.evaluate.constant(node, f"the set's {keyword}")
        index = self.evaluate.index(node)
        extra = [s for s in index if s not in self.symbol.index]
        if extra:
            raise error("E410", f"the {keyword} is indexed by '{extra[0].name}', which "
                        f"'{self.symbol.name}' is not", node.span,
                        f"index the {keyword} by the sets of '{self.symbol.name}'")
        return np.array(tensor.broadcast(value, index, self.symbol.index, self.shape),
                        dtype=float)

    def scalar(self, position: int, keyword: str, default: float | None = None) -> float:
        node = self.node(position, keyword)
        if node is None:
            if default is None:
                raise self.missing(keyword)
            return default
        value = self.evaluate.constant(node, f"the set's {keyword}")
        if value.shape:
            raise error("E410", f"the {keyword} must be a number", node.span,
                        f"give one {keyword} for the whole set")
        return float(value)

    def matrix(self, keyword: str) -> tuple[np.ndarray, ir.Expr] | None:
        """A keyword matrix indexed by u's set and its alias, in that order (u a vector)."""
        node = self.call.kwarg(keyword)
        if node is None:
            return None
        value = self.evaluate.constant(node, f"the {keyword} matrix")
        index = self.evaluate.index(node)
        u_index = self.symbol.index
        if len(u_index) != 1 or len(index) != 2 or u_index[0] not in index or \
                index[0].root is not index[1].root:
            raise error("E410", f"the {keyword} matrix must be indexed by "
                        f"'{self.symbol.name}''s set and its alias", node.span,
                        "declare it as `param M[S, S2]` with `set S2 = S`, where "
                        f"'{self.symbol.name}' is indexed by [S]")
        other = index[1] if index[0] is u_index[0] else index[0]
        return np.asarray(tensor.align(value, index, (u_index[0], other)), dtype=float), node
