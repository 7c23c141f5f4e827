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

from compiler.data import dates
from compiler.data import sandbox as data
from compiler.passes import ir
from compiler.passes.symbols import Symbol, index_text
from dsl.errors import error
from dsl.source import Span


@dataclass
class Bindings:
    """Set labels (by root set) and data values (numpy, axes in declared index order)."""

    sandbox: data.Sandbox
    labels: dict[Symbol, list[Any]] = field(default_factory=dict)
    values: dict[Symbol, np.ndarray] = field(default_factory=dict)
    _texts: dict[Symbol, tuple[list[Any], list[str]]] = field(default_factory=dict, repr=False)
    # where each set's labels were read from csv(...), for reading them as dates
    date_columns: dict[Symbol, dates.DateColumn] = field(default_factory=dict)

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

    def _table(self, call: ir.Call, labels: bool = False) -> tuple[pd.DataFrame, Any]:
        path_node = call.args[0]
        if not isinstance(path_node, ir.Str):
            raise error("E208", "csv needs a file name in quotes", path_node.span,
                        'write csv("data/file.csv")')
        for name in ("index",) if labels else ("index", "dates"):
            given = call.kwarg(name)
            if given is not None:  # never ignored silently
                raise error("E208", f"csv's '{name} =' does not apply here", given.span,
                            _NOT_HERE[name])
        path = self.sandbox.resolve(path_node.value, path_node.span)
        return data.read_table(path, path_node.span), path

    def csv_labels(self, node: ir.Call | ir.Attr) -> list[Any]:
        """A set's labels from `csv(f).col` (or the first column of `csv(f)`), as written."""
        call = node.base if isinstance(node, ir.Attr) else node
        if not isinstance(call, ir.Call):  # bind only calls this on csv(...)
            raise RuntimeError("csv_labels without csv(...)")
        for name in ("row", "columns"):
            given = call.kwarg(name)
            if given is not None:
                raise error("E208", f"a set reads a column of labels: '{name} =' does not "
                            f"apply", given.span, 'write set s = csv("file.csv").column')
        table, path = self._table(call, labels=True)
        col = (data.column(table, node.name, node.span, path) if isinstance(node, ir.Attr)
               else table.iloc[:, 0])
        return data.labels_column(col, node.span, path)

    def note_dates(self, symbol: Symbol, node: ir.Expr) -> None:
        """Remember where a set's labels were read (and `dates =`, checked on every label
        now), so rebalancing reads them as dates in one format (compiler/data/dates.py)."""
        call = node.base if isinstance(node, ir.Attr) else node
        if not (isinstance(call, ir.Call) and call.func == "csv"):
            return
        given = call.kwarg("dates")
        if given is not None and not isinstance(given, ir.Str):
            raise error("E208", "dates = needs a date format in quotes", given.span,
                        'write dates = "%d/%m/%Y" for 31/12/2024')
        column = dates.DateColumn(node.span, given.value if given else None,
                                  given.span if given else None)
        if column.format is not None:
            dates.parse_dates(self.texts_of(symbol), column, node.span, symbol.name)
        self.date_columns[symbol.root] = column

    def csv_value(self, call: ir.Call, index: tuple[Symbol, ...]) -> np.ndarray:
        table, path = self._table(call)
        row = call.kwarg("row")
        columns = call.kwarg("columns")
        picked = None
        if columns is not None:
            items = columns.items if isinstance(columns, ir.ListLit) else ()
            picked = [data.column_position(table, name, item.span, path)
                      for name, item in zip(self._column_names(columns), items, strict=True)]
        if row is not None:
            return self._row_value(call, row, table, path, picked, index)
        if picked is not None:
            table = table.iloc[:, [0, *picked]]
        return self._from_table(table, index, call.span, path)

    def _row_value(self, call: ir.Call, row: ir.Expr, table: pd.DataFrame, path: Any,
                   picked: list[int] | None, index: tuple[Symbol, ...]) -> np.ndarray:
        """One record: `columns = [...]` in the set's order, else aligned by the header."""
        label = row.word if isinstance(row, ir.Word) else _literal(row)
        position = data.row_position(table, label, row.span, path)
        what = f"row {label} of '{path.name}'"
        if picked is None and len(index) == 1:
            picked = self._header_columns(table, label not in ("first", "last"), index[0],
                                          call.span, path)
        elif picked is None:
            picked = list(range(1, table.shape[1]))
        sizes = tuple(self.size(s) for s in index)
        if len(index) > 1 or len(picked) != (sizes[0] if sizes else 1):
            raise error("E504", f"{what} has {len(picked)} values but {index_text(index)} "
                        f"needs {sizes}", call.span, "a row gives one value per column: "
                        "name the set's columns with columns = [...]")
        values = data.numbers(table.iloc[[position], picked], call.span, path,
                              table.iloc[:, 0])
        return self._shaped(values.reshape(-1), index, call.span, what)

    def _header_columns(self, table: pd.DataFrame, keyed: bool, symbol: Symbol, span: Span,
                        path: Any) -> list[int]:
        """The columns named by the set's labels, in its order; other columns are ignored
        (a date column, tenors the set does not hold). A row picked by label keeps its keys
        in the first column, which is then no value column."""
        start = 1 if keyed else 0
        header = data.label_texts(list(table.columns[start:]))
        picked = []
        for label in self.texts_of(symbol):
            hits = [start + k for k, name in enumerate(header) if name == label]
            if not hits:
                raise error("E503", f"'{path.name}' has no column '{label}' for label "
                            f"'{label}' of '{symbol.name}'", span,
                            f"a row is read by its header: name the columns for the labels "
                            f"of '{symbol.name}', in order, with columns = [...] (its "
                            f"columns: {', '.join(map(str, table.columns))})")
            if len(hits) > 1:
                raise error("E504", f"the header of '{path.name}' names column '{label}' "
                            f"{len(hits)} times (columns {hits[0] + 1} and {hits[1] + 1})",
                            span, "give every column its own name")
            picked.append(hits[0])
        return picked

    def table_column(self, node: ir.Attr, index: tuple[Symbol, ...]) -> np.ndarray:
        if not (isinstance(node.base, ir.Call) and node.base.func == "csv"):
            raise error("E208", f"'.{node.name}' selects a column of csv(...)", node.span,
                        'write csv("file.csv").column')
        table, path = self._table(node.base)
        col = data.column(table, node.name, node.span, path)
        keys = table.iloc[:, 0] if table.columns[0] != node.name else None
        return self._vector(keys, col, index, node.span, path)

    def is_text_column(self, node: ir.Attr) -> bool:
        """True for a csv column of labels (any entry that is not a number): each bond's rating."""
        if not (isinstance(node.base, ir.Call) and node.base.func == "csv"):
            return False
        table, path = self._table(node.base)
        col = data.column(table, node.name, node.span, path)
        if col.dtype.kind in "fiu":
            return False
        # an entry that is neither a number nor a missing marker ("NA", blank) nor a flag
        # (True/False, refused as numbers) makes the column labels
        words = col[pd.to_numeric(col, errors="coerce").isna() & col.notna()]
        plain = words.astype(str).str.strip().str.lower()
        return bool((~plain.isin(data.MISSING | {"true", "false"})).any())

    def table_labels(self, node: ir.Attr, index: tuple[Symbol, ...]) -> np.ndarray:
        """A text column as labels, aligned by the table's first column like numbers are."""
        table, path = self._table(node.base)  # type: ignore[arg-type]
        col = data.column(table, node.name, node.span, path)
        blank = np.flatnonzero(col.isna().to_numpy())
        if blank.size:
            raise error("E505", f"column '{node.name}' of '{path.name}' has no label in row "
                        f"{blank[0] + 1}", node.span, "give every row a label")
        texts = np.array(data.label_texts(col.tolist()))
        keys = table.iloc[:, 0] if table.columns[0] != node.name else None
        order = (self._order(keys, index[0], node.span, path) if keys is not None and index
                 else None)
        return self._shaped(texts if order is None else texts[order], index, node.span,
                            path.name)

    def _column_names(self, node: ir.Expr) -> list[str]:
        if isinstance(node, ir.ListLit) and all(isinstance(i, ir.Str) for i in node.items):
            return [i.value for i in node.items]  # type: ignore[attr-defined]
        raise error("E208", "columns must be a list of column names", node.span,
                    'write columns = ["5 YR", "10 YR"]')

    def _from_table(self, table: pd.DataFrame, index: tuple[Symbol, ...], span: Span,
                    path: Any) -> np.ndarray:
        name = path.name
        if len(index) == 1:
            if table.shape[1] > 2:
                raise error("E503", f"'{name}' has {table.shape[1]} columns for a value "
                            f"indexed by {index_text(index)}", span,
                            'pick one column with csv("...").column or csv(..., row = ...)')
            keys = table.iloc[:, 0] if table.shape[1] >= 2 else None
            return self._vector(keys, table.iloc[:, -1], index, span, path)
        if len(index) == 2:
            keys = table.iloc[:, 0]
            header = pd.Series(list(table.columns[1:]))
            rows = self._order(keys, index[0], span, path)
            cols = self._order(header, index[1], span, path, "column")
            shape = (len(keys) if rows is None else len(rows),
                     len(header) if cols is None else len(cols))
            sizes = tuple(self.size(s) for s in index)
            if shape != sizes:  # checked before any cell is converted
                raise error("E504", f"'{name}' has {shape[0]} rows and {shape[1]} value "
                            f"columns but {index_text(index)} needs {sizes}", span,
                            "make the data match the index sets' labels (one value per "
                            "label), or fix the sets")
            part = table.iloc[:, 1:] if cols is None else table.iloc[:, cols + 1]
            array = data.numbers(part if rows is None else part.iloc[rows], span, path, keys)
            return self._shaped(array, index, span, name)
        raise error("E504", f"csv data for a value indexed by {index_text(index)}", span,
                    "csv(...) fills a param indexed by one or two sets; select a row or "
                    "column for a scalar")

    def _vector(self, keys: pd.Series | None, values: pd.Series, index: tuple[Symbol, ...],
                span: Span, path: Any) -> np.ndarray:
        """One column of values, aligned by its keys (a label column) when it has them."""
        order = self._order(keys, index[0], span, path) if keys is not None and index else None
        count = len(values) if order is None else len(order)
        sizes = tuple(self.size(s) for s in index)
        if count != (sizes[0] if sizes else 1):  # before converting: shape first
            raise error("E504", f"'{path.name}' has {count} values but "
                        f"{index_text(index)} needs {sizes}", span,
                        "make the data match the index sets' labels (one value per "
                        "label), or fix the sets")
        picked = values if order is None else values.iloc[order]
        array = data.numbers(picked.to_frame(), span, path, keys)[:, 0]
        return self._shaped(array, index, span, path.name)

    def _order(self, keys: pd.Series, symbol: Symbol, span: Span, path: Any,
               axis: str = "row") -> np.ndarray | None:
        """Positions that reorder rows (or header columns) to the set's label order.

        Numeric keys that are not all labels of the set (a row number, a date serial) leave
        the file's order; keys that are its labels must be each of them once, and text keys
        that are not its labels are a mistake: neither is ever guessed.
        """
        texts = data.label_texts(keys.tolist())  # tolist: list() walks pandas arrays slowly
        wanted = self.texts_of(symbol)
        if texts == wanted:
            return None  # already in the set's order
        where = f"'{path.name}'" if axis == "row" else f"the header of '{path.name}'"
        blank = np.flatnonzero(keys.isna().to_numpy())
        if blank.size:
            raise error("E504", f"{where} has no label in {axis} {blank[0] + 1}", span,
                        f"give every {axis} a label of '{symbol.name}'")
        labels = set(wanted)
        if not set(texts) <= labels and not pd.to_numeric(keys, errors="coerce").isna().any():
            return None
        repeat = data.first_repeat(texts)
        if repeat is not None:
            i, j = repeat
            raise error("E504", f"{where} has label '{texts[i]}' of '{symbol.name}' twice "
                        f"({axis}s {i + 1} and {j + 1})", span,
                        f"keep one {axis} per label of '{symbol.name}'")
        stray = next((t for t in texts if t not in labels), None)
        found = set(texts)
        missing = next((w for w in wanted if w not in found), None)
        if stray is not None or missing is not None:
            detail = (f"'{stray}' is not a label of '{symbol.name}'" if stray is not None
                      else f"label '{missing}' of '{symbol.name}' is missing")
            hint = (f"make the file's first column (or header) list the labels of "
                    f"'{symbol.name}', each once")
            if stray is not None and stray.startswith("Unnamed: ") and axis != "row":
                # pandas' name for a header cell left empty (a trailing comma, mostly)
                detail = f"column {texts.index(stray) + 2} has no name"
                hint = "name every column of the header, or remove a trailing comma"
            elif stray is not None and "," not in stray and any(s in stray for s in ";\t|"):
                separator = next(s for s in ";\t|" if s in stray)
                hint = (f"the file looks separated by {separator!r}: csv(...) reads "
                        f"comma-separated files; save it with commas")
            raise error("E504", f"{where} does not match set '{symbol.name}': {detail}", span,
                        hint)
        position = {t: i for i, t in enumerate(texts)}
        return np.array([position[w] for w in wanted])

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


_NOT_HERE = {
    "dates": 'dates = says how a set\'s date labels are written: give it where the set is '
             'read, as in set day = csv("prices.csv", dates = "%d/%m/%Y").date',
    "index": "csv(...) aligns a table by its first column and header; remove index =",
}


def _literal(node: ir.Expr) -> str | float:
    value = ir.literal(node)
    if value is None:
        raise error("E208", "row must be first, last or a label", node.span,
                    'write row = last, or row = "2024-12-31"')
    return value
