"""Reading data for `bind`: `csv(...)` inside a folder sandbox, and outside overrides.

Model files run no code: a CSV is read with pandas and nothing else. A path is resolved
against the data folder (the model's own folder unless the user names one with `--data` /
`data_dir=`) and must stay below one of the allowed folders, after symlinks are followed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dsl.errors import error
from dsl.source import Span


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


def read_table(path: Path, span: Span) -> pd.DataFrame:
    """A CSV as a DataFrame of strings and numbers; cached per file and modification time."""
    stamp = path.stat().st_mtime
    cached = _TABLES.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        table = pd.read_csv(path, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise error("E508", f"cannot read '{path.name}' as CSV: {exc}".splitlines()[0], span,
                    "save the file as comma-separated text with a header row") from None
    table.columns = [str(c).strip() for c in table.columns]
    _TABLES[path] = (stamp, table)
    return table


def column(table: pd.DataFrame, name: str, span: Span, path: Path) -> pd.Series:
    if name not in table.columns:
        raise error("E503", f"'{path.name}' has no column '{name}'", span,
                    f"use one of its columns: {', '.join(map(str, table.columns))}")
    return table[name]


def select_row(table: pd.DataFrame, row: str | int | float, span: Span, path: Path
               ) -> pd.Series:
    """`row = last`, `row = first`, or a label matched against the first column."""
    if row == "last":
        return table.iloc[-1]
    if row == "first":
        return table.iloc[0]
    keys = table.iloc[:, 0].astype(str).str.strip()
    wanted = _label_text(row)
    hits = np.flatnonzero(keys.to_numpy() == wanted)
    if hits.size == 0:
        raise error("E503", f"'{path.name}' has no row '{wanted}' in its first column "
                    f"'{table.columns[0]}'", span,
                    "use row = first, row = last, or a label from the first column")
    return table.iloc[int(hits[-1])]


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
