"""Reading data for `bind`: `csv(...)` inside a folder sandbox, and outside overrides.

Model files run no code: a CSV is read with pandas and nothing else. A path is resolved
against the data folder (the model's own folder unless the user names one with `--data` /
`data_dir=`) and must stay below one of the allowed folders, after symlinks are followed.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compiler.data import csv_files
from dsl.errors import error
from dsl.source import PATH_ERRORS, Span, path_problem, shown_path


@dataclass(frozen=True)
class Sandbox:
    """Where `csv(...)` may read: `folder` resolves relative paths; `allowed` bounds them."""

    folder: Path
    allowed: tuple[Path, ...]

    @classmethod
    def for_model(cls, model_folder: Path, data_dir: Path | None) -> Sandbox:
        model_folder = model_folder.resolve()
        if data_dir is None:
            return cls(model_folder, (model_folder,))
        data_dir = data_dir.resolve()
        return cls(data_dir, (data_dir, model_folder))

    def resolve(self, relative: str, span: Span) -> Path:
        try:
            return self._resolve(relative, span)
        except PATH_ERRORS as exc:  # a symlink loop, a NUL character, a name too long
            raise error("E501", f"data file '{shown_path(relative)}' cannot be opened: "
                        f"{path_problem(exc)}", span, "give the path of a CSV file below "
                        "the model's folder or the --data folder") from None

    def _resolve(self, relative: str, span: Span) -> Path:
        path = (self.folder / relative).resolve()
        if not any(path == root or root in path.parents for root in self.allowed):
            raise error("E502", f"'{relative}' is outside the allowed folders", span,
                        "model files may read only below the model's folder or the folder "
                        "given with --data; copy the file there or pass --data FOLDER",
                        f"it resolves to {path}")
        if not path.is_file():
            raise error("E501", f"data file '{relative}' not found", span,
                        f"put the file at {path}, or point --data at the folder that holds it")
        return path


_TABLES: dict[Path, tuple[float, pd.DataFrame]] = {}
# Labels are text as written: "NA", "N/A" or "null" is a label, not a missing value; only an
# empty cell is missing. pandas never decompresses on its own (compiler/data/csv_files.py).
_READ: dict[str, Any] = {"skipinitialspace": True, "keep_default_na": False,
                         "na_values": [""], "compression": None}
# entries that mean "no value" in a numeric column: named as missing, not as a bad number
MISSING = {"", ".", "na", "n/a", "nan", "null", "none", "#n/a", "-"}  # "." is FRED's


def read_table(path: Path, span: Span) -> pd.DataFrame:
    """A CSV as a DataFrame of text and numbers; cached per file and modification time.

    Column names are the header as written (stripped), so a name given twice stays twice
    (pandas would rename the second `x.1`) and is refused where it is used. A column of
    True/False stays text: a flag is not a number.
    """
    stamp = path.stat().st_mtime
    cached = _TABLES.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        table = _read(path, span)
        # the header as written, read apart only where pandas may have renamed a name (a
        # repeat `x.1`, an empty `Unnamed: 2`) or the rows outgrow it: a second read of a
        # file costs as much as the first (nrows=1 still reads it all)
        header = _read(path, span, header=None, nrows=1, dtype=str) \
            if _renamed(table) else None
        flags = [i for i, kind in enumerate(table.dtypes.map(lambda d: d.kind)) if kind == "b"]
        if flags:  # pandas made them bool: read those columns again as the text they are
            text = _read(path, span, usecols=flags, dtype=str)
            for k, i in enumerate(flags):
                table.isetitem(i, text.iloc[:, k].to_numpy())
    except csv_files.TooLarge:
        raise csv_files.too_large(path, span) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
            ValueError, *csv_files.STREAM_ERRORS) as exc:
        raise error("E508", f"cannot read '{path.name}' as CSV: {exc}".splitlines()[0], span,
                    "save the file as comma-separated text with a header row") from None
    raw = list(table.columns) if header is None else \
        header.iloc[0].tolist() if len(header) else []
    if len(raw) != table.shape[1] or not isinstance(table.index, pd.RangeIndex):
        raise error("E508", f"the rows of '{path.name}' have more fields than its header "
                    f"({len(raw)} names)", span, "give every column a name in the header "
                    "row, or remove the trailing commas")
    table.columns = [str(name).strip() if isinstance(name, str) and name.strip() else
                     str(given) for name, given in zip(raw, table.columns, strict=True)]
    _TABLES[path] = (stamp, table)
    return table


def _renamed(table: pd.DataFrame) -> bool:
    """Whether the header pandas made may differ from the one written."""
    return not isinstance(table.index, pd.RangeIndex) or any(
        not isinstance(name, str) or name.startswith("Unnamed: ") or
        _REPEAT.search(name) is not None for name in table.columns)


_REPEAT = re.compile(r"\.\d+$")  # pandas' suffix for a name given again


def _read(path: Path, span: Span, **options: Any) -> pd.DataFrame:
    source = csv_files.source(path, span)
    try:
        return pd.read_csv(source, **_READ, **options)
    finally:
        if not isinstance(source, Path):
            source.close()


def column(table: pd.DataFrame, name: str, span: Span, path: Path) -> pd.Series:
    """The column called `name`: E503 if there is none, E504 if the header names it twice."""
    return table.iloc[:, column_position(table, name, span, path)]


def column_position(table: pd.DataFrame, name: str, span: Span, path: Path) -> int:
    where = [i for i, c in enumerate(table.columns) if c == name]
    if not where:
        raise error("E503", f"'{path.name}' has no column '{name}'", span,
                    f"use one of its columns: {', '.join(map(str, table.columns))}")
    if len(where) > 1:
        raise error("E504", f"the header of '{path.name}' names column '{name}' "
                    f"{len(where)} times (columns {where[0] + 1} and {where[1] + 1})", span,
                    "give every column its own name")
    return where[0]


def row_position(table: pd.DataFrame, row: str | int | float, span: Span, path: Path) -> int:
    """`row = last`, `row = first`, or a label matched against the first column (once)."""
    if len(table) == 0:
        raise error("E504", f"'{path.name}' has no rows", span, "add data rows below the header")
    if row == "last":
        return len(table) - 1
    if row == "first":
        return 0
    keys = np.array(label_texts(table.iloc[:, 0].tolist()))
    wanted = _label_text(row)
    hits = np.flatnonzero(keys == wanted)
    if hits.size == 0:
        raise error("E503", f"'{path.name}' has no row '{wanted}' in its first column "
                    f"'{table.columns[0]}'", span,
                    "use row = first, row = last, or a label from the first column")
    if hits.size > 1:
        raise error("E504", f"'{path.name}' has row '{wanted}' {hits.size} times in its "
                    f"first column '{table.columns[0]}' (rows {hits[0] + 1} and "
                    f"{hits[1] + 1})", span, "keep one row per label")
    return int(hits[0])


def labels_column(col: pd.Series, span: Span, path: Path) -> list[Any]:
    """A column read as labels: every cell filled, each label once (E504 naming the row)."""
    blank = np.flatnonzero(col.isna().to_numpy())
    if blank.size:
        raise error("E504", f"'{path.name}' has no label in row {blank[0] + 1} of column "
                    f"'{col.name}'", span, "give every row a label (an empty cell is not one)")
    values = col.tolist()
    # repeats as written, found fast; labels equal only as text ("1" and 1.0) are caught by
    # the set's own check
    repeat = first_repeat(label_texts(values)) if len(set(values)) < len(values) else None
    if repeat is not None:
        i, j = repeat
        raise error("E504", f"'{path.name}' lists '{label_texts([values[i]])[0]}' twice in "
                    f"column '{col.name}' (rows {i + 1} and {j + 1})", span,
                    "keep each label once")
    return values


def first_repeat(texts: list[str]) -> tuple[int, int] | None:
    """Positions of the first label that appears twice, or None."""
    if len(set(texts)) == len(texts):  # the common case, without a Python loop
        return None
    seen: dict[str, int] = {}
    for j, text in enumerate(texts):
        if text in seen:
            return seen[text], j
        seen[text] = j
    return None


def numbers(part: pd.DataFrame, span: Span, path: Path, keys: pd.Series | None
            ) -> np.ndarray:
    """Cells picked from a table (rows and columns keep the table's positions and names) as
    float64; E505 names the file, row, column and entry that is missing or not a number."""
    if all(d.kind in "fiu" for d in part.dtypes):
        fast = part.to_numpy(dtype=float)
        if not np.isnan(fast).any():
            return fast
    columns = []
    for j in range(part.shape[1]):
        cells = part.iloc[:, j]
        kind = cells.dtype.kind
        values = (cells.to_numpy(dtype=float) if kind in "fiu" else
                  np.full(len(cells), np.nan) if kind == "b" else
                  pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float))
        bad = np.flatnonzero(np.isnan(values))
        if bad.size:
            row = int(part.index[bad[0]])
            label = ("" if keys is None or keys.name == part.columns[j]
                     else f" ('{label_texts([keys.iloc[row]])[0]}')")
            where = f"row {row + 1}{label}, column '{part.columns[j]}'"
            cell = cells.iloc[bad[0]]
            if pd.isna(cell) or str(cell).strip().lower() in MISSING:
                shown = "" if pd.isna(cell) else f" ({str(cell)!r})"
                raise error("E505", f"'{path.name}' has no value{shown} in {where}", span,
                            "fill the missing entry in the data file, or read rows and "
                            "columns that have values")
            raise error("E505", f"'{path.name}' has {str(cell)!r}, not a number, in {where}",
                        span, "clean the data (numbers only, '.' as the decimal point; a "
                        "flag as 1 or 0, not True/False) or choose numeric columns")
        columns.append(values)
    return np.column_stack(columns) if columns else np.empty((len(part), 0))


def numeric(values: pd.Series | pd.DataFrame | np.ndarray, span: Span, what: str) -> np.ndarray:
    """Values as float64, or E505 naming the first entry that is not a number."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        fast = values.astype(float)
    elif isinstance(values, pd.DataFrame) and all(k in "fiu" for k in values.dtypes.map(
            lambda d: d.kind)):
        fast = values.to_numpy(dtype=float)
    else:
        fast = None
    if fast is not None and np.isfinite(fast).all():
        return fast  # already numeric and complete: the slow path only locates bad entries
    frame = pd.DataFrame(values)
    converted = frame.apply(pd.to_numeric, errors="coerce")
    bad = converted.isna() & frame.notna()
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise error("E505", f"{what} has a value that is not a number: "
                    f"{frame.iloc[r, c]!r}", span,
                    "clean the data (numbers only, '.' as the decimal point) or choose "
                    "numeric columns")
    if converted.isna().to_numpy().any():
        raise error("E505", f"{what} has missing values", span,
                    "fill or drop the missing entries in the data file")
    array = converted.to_numpy(dtype=float)
    return array.reshape(np.shape(values)) if np.ndim(values) == 1 else array


def _label_text(label: object) -> str:
    if isinstance(label, float) and label.is_integer():
        return str(int(label))
    if isinstance(label, pd.Timestamp | datetime.date):
        stamp = pd.Timestamp(label)
        # a date from pandas matches the same date written in a CSV: 2024-01-31
        return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.isoformat()
    return str(label).strip()


def label_texts(labels: list[object]) -> list[str]:
    """Labels as the strings used to match them across files and overrides."""
    texts = [label.strip() for label in labels if isinstance(label, str)]
    if len(texts) == len(labels):  # all strings: the common case, 10x faster
        return texts
    return [_label_text(label) for label in labels]
