"""`Bindings`: the data a model was bound to — set labels and values — and the reading of
`csv(...)` tables into arrays over named index sets (aligned by label where the file has
labels). `bind.py` fills it; every later pass reads it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from compiler import data, ir
from compiler.symbols import Symbol, index_text
from dsl.errors import error
from dsl.source import Span


@dataclass
class Bindings:
    """Set labels (by root set) and data values (numpy, axes in declared index order)."""

    sandbox: data.Sandbox
    labels: dict[Symbol, list[Any]] = field(default_factory=dict)
    values: dict[Symbol, np.ndarray] = field(default_factory=dict)
    _texts: dict[Symbol, tuple[list[Any], list[str]]] = field(default_factory=dict, repr=False)

    def size(self, symbol: Symbol) -> int:
        return len(self.labels[symbol.root])

    def labels_of(self, symbol: Symbol) -> list[Any]:
        return self.labels[symbol.root]

    def texts_of(self, symbol: Symbol) -> list[str]:
        """The set's labels as matching strings (cached: sets are long in time series)."""
        root = symbol.root
        labels = self.labels[root]
        cached = self._texts.get(root)
        if cached is None or cached[0] is not labels:
            cached = (labels, data.label_texts(labels))
            self._texts[root] = cached
        return cached[1]

    def numeric_labels(self, symbol: Symbol, span: Span) -> np.ndarray:
        try:
            return np.array([float(x) for x in self.labels_of(symbol)])
        except (TypeError, ValueError):
            raise error("E505", f"the labels of set '{symbol.name}' are not numbers", span,
                        f"use '{symbol.name}' as an index only, or give it numeric labels "
                        f"such as `1..30`") from None

    def position(self, symbol: Symbol, label: object, span: Span) -> int:
        texts = self.texts_of(symbol)
        wanted = data.label_texts([label])[0]
        if wanted in texts:
            return texts.index(wanted)
        close = difflib.get_close_matches(wanted, texts, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(texts[:10])}"
        raise error("E306", f"'{wanted}' is not a label of '{symbol.name}'", span, hint)

    # ---- csv(...) ----

    def _table(self, call: ir.Call) -> tuple[pd.DataFrame, Any]:
        path_node = call.args[0]
        if not isinstance(path_node, ir.Str):
            raise error("E208", "csv needs a file name in quotes", path_node.span,
                        'write csv("data/file.csv")')
        path = self.sandbox.resolve(path_node.value, path_node.span)
        return data.read_table(path, path_node.span), path

    def csv_value(self, call: ir.Call, index: tuple[Symbol, ...]) -> np.ndarray:
        table, path = self._table(call)
        row = call.kwarg("row")
        columns = call.kwarg("columns")
        names = self._column_names(columns) if columns is not None else None
        if isinstance(columns, ir.ListLit) and names is not None:
            for item, name in zip(columns.items, names, strict=True):
                data.column(table, name, item.span, path)  # E503 here, not pandas' KeyError
        if row is not None:
            label = row.word if isinstance(row, ir.Word) else _literal(row)
            record = data.select_row(table, label, row.span, path)
            picked = record[names] if names else record.iloc[1:]
            values = data.numeric(picked.to_numpy(), call.span, f"row {label} of {path.name}")
            return self._shaped(values, index, call.span, f"row {label} of '{path.name}'")
        if names is not None and columns is not None:
            table = table[[table.columns[0]] + [data.column(table, n, columns.span, path).name
                                                for n in names]]
        return self._from_table(table, index, call.span, path.name)

    def table_column(self, node: ir.Attr, index: tuple[Symbol, ...]) -> np.ndarray:
        if not (isinstance(node.base, ir.Call) and node.base.func == "csv"):
            raise error("E208", f"'.{node.name}' selects a column of csv(...)", node.span,
                        'write csv("file.csv").column')
        table, path = self._table(node.base)
        col = data.column(table, node.name, node.span, path)
        keys = table.iloc[:, 0] if table.columns[0] != node.name else None
        return self._vector(keys, col, index, node.span, path.name)

    def is_text_column(self, node: ir.Attr) -> bool:
        """True for a csv column of labels (any entry that is not a number): each bond's rating."""
        if not (isinstance(node.base, ir.Call) and node.base.func == "csv"):
            return False
        table, path = self._table(node.base)
        col = data.column(table, node.name, node.span, path)
        return bool((pd.to_numeric(col, errors="coerce").isna() & col.notna()).any())

    def table_labels(self, node: ir.Attr, index: tuple[Symbol, ...]) -> np.ndarray:
        """A text column as labels, aligned by the table's first column like numbers are."""
        table, path = self._table(node.base)  # type: ignore[arg-type]
        col = data.column(table, node.name, node.span, path)
        if col.isna().any():
            raise error("E505", f"column '{node.name}' of '{path.name}' has missing labels",
                        node.span, "give every row a label")
        texts = np.array(data.label_texts(col.tolist()))
        keys = table.iloc[:, 0] if table.columns[0] != node.name else None
        order = self._order(keys, index[0], node.span) if keys is not None and index else None
        return self._shaped(texts if order is None else texts[order], index, node.span,
                            path.name)

    def _column_names(self, node: ir.Expr) -> list[str]:
        if isinstance(node, ir.ListLit) and all(isinstance(i, ir.Str) for i in node.items):
            return [i.value for i in node.items]  # type: ignore[attr-defined]
        raise error("E208", "columns must be a list of column names", node.span,
                    'write columns = ["5 YR", "10 YR"]')

    def _from_table(self, table: pd.DataFrame, index: tuple[Symbol, ...], span: Span,
                    name: str) -> np.ndarray:
        if len(index) == 1:
            if table.shape[1] > 2:
                raise error("E503", f"'{name}' has {table.shape[1]} columns for a value "
                            f"indexed by {index_text(index)}", span,
                            'pick one column with csv("...").column or csv(..., row = ...)')
            keys = table.iloc[:, 0] if table.shape[1] >= 2 else None
            return self._vector(keys, table.iloc[:, -1], index, span, name)
        if len(index) == 2:
            keys = table.iloc[:, 0]
            body = table.iloc[:, 1:]
            array = data.numeric(body.to_numpy(), span, f"'{name}'")
            rows = self._order(keys, index[0], span)
            cols = self._order(pd.Series(body.columns), index[1], span)
            if rows is not None:
                array = array[rows]
            if cols is not None:
                array = array[:, cols]
            return self._shaped(array, index, span, name)
        raise error("E504", f"csv data for a value indexed by {index_text(index)}", span,
                    "csv(...) fills a param indexed by one or two sets; select a row or "
                    "column for a scalar")

    def _vector(self, keys: pd.Series | None, values: pd.Series, index: tuple[Symbol, ...],
                span: Span, name: str) -> np.ndarray:
        """One column of values, aligned by its keys (a label column) when it has them."""
        array = data.numeric(values.to_numpy(), span, f"'{name}'")
        order = self._order(keys, index[0], span) if keys is not None else None
        return self._shaped(array if order is None else array[order], index, span, name)

    def _order(self, keys: pd.Series, symbol: Symbol, span: Span) -> np.ndarray | None:
        """Positions that reorder rows to the set's label order, if the keys are its labels.

        Numeric keys that are not the set's labels (a row number, a date serial) leave the
        rows in file order; text keys that are not its labels are a mistake, never guessed.
        """
        texts = data.label_texts(keys.tolist())  # tolist: list() walks pandas arrays slowly
        wanted = self.texts_of(symbol)
        if texts == wanted:
            return None  # already in the set's order
        if sorted(texts) != sorted(wanted) or len(set(texts)) != len(texts):
            if pd.to_numeric(keys, errors="coerce").isna().any():
                stray = next((t for t in texts if t not in wanted), None)
                missing = next((w for w in wanted if w not in texts), None)
                detail = (f"'{stray}' is not a label of '{symbol.name}'" if stray is not None
                          else f"label '{missing}' of '{symbol.name}' is missing")
                raise error("E504", f"the file's labels do not match set '{symbol.name}': "
                            f"{detail}", span, f"make the file's first column (or header) "
                            f"list the labels of '{symbol.name}', each once")
            return None
        where = {t: i for i, t in enumerate(texts)}
        return np.array([where[w] for w in wanted])

    def _shaped(self, array: np.ndarray, index: tuple[Symbol, ...], span: Span,
                what: str) -> np.ndarray:
        sizes = tuple(self.size(s) for s in index)
        if array.shape == sizes:
            return array
        if array.size == 1 and not sizes:
            return array.reshape(())
        raise error("E504", f"{what} has shape {array.shape} but {index_text(index)} needs "
                    f"{sizes}", span, "make the data match the index sets' labels (one value "
                    "per label), or fix the sets")


def _literal(node: ir.Expr) -> str | float:
    value = ir.literal(node)
    if value is None:
        raise error("E208", "row must be first, last or a label", node.span,
                    'write row = last, or row = "2024-12-31"')
    return value
