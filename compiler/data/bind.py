"""Stage 4 of 8: data. Input: `ir.Model`, `Shapes`, overrides. Output: `Bindings`. Errors: E5xx.

Set labels, param values (file values, then values given from outside, which win), and
scenario matrices drawn with `numpy.random.default_rng(seed)` in the declared axis order.
All data problems of a model are collected and raised together.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from compiler.data import limits
from compiler.data import sandbox as data
from compiler.data import set_labels as labels
from compiler.data.bindings import Bindings
from compiler.lowering import tensor
from compiler.lowering.evaluate import Evaluator
from compiler.passes import ir
from compiler.passes.shapes import Shapes
from compiler.passes.symbols import Symbol, SymbolKind, index_text
from compiler.passes.unit_values import outside_value
from compiler.passes.units import Units, check_units
from dsl import ast
from dsl.errors import Diagnostics, SpecError, error


class _Binder:
    def __init__(self, model: ir.Model, shapes: Shapes, overrides: Mapping[str, Any],
                 sandbox: data.Sandbox, units: Units):
        self.model, self.shapes, self.overrides = model, shapes, dict(overrides)
        self.units = units
        self.bindings = Bindings(sandbox)
        self.evaluate = Evaluator(shapes, self.bindings)

    def run(self) -> Bindings:
        diags = Diagnostics()
        self.check_override_names(diags)
        m = self.model
        definitions: list[ir.SetDef | ir.ParamDef | ir.ScenariosDef] = [*m.sets, *m.params,
                                                                           *m.scenarios]
        failed: set[Symbol] = set()
        for definition in sorted(definitions, key=lambda d: d.symbol.span.start):
            if _depends_on(definition, failed):
                failed.add(definition.symbol)  # its cause is already reported
                continue
            try:
                self.bind_one(definition)
            except SpecError as exc:
                diags.extend(exc)
                failed.add(definition.symbol)
        diags.raise_if_any()
        limits.check_model(m, self.shapes, self.sizes_of)  # before lowering allocates
        return self.bindings

    def sizes_of(self, index: tuple[Symbol, ...]) -> tuple[int, ...] | None:
        """The axis sizes of an index, or None while one of its sets has no labels."""
        if any(s.root not in self.bindings.labels for s in index):
            return None
        return tuple(self.bindings.size(s) for s in index)

    def bind_one(self, definition: ir.SetDef | ir.ParamDef | ir.ScenariosDef) -> None:
        if isinstance(definition, ir.SetDef):
            self.set_def(definition)
        elif isinstance(definition, ir.ParamDef):
            self.param_def(definition)
        else:
            self.scenarios_def(definition)

    def check_override_names(self, diags: Diagnostics) -> None:
        data_names = {d.symbol.name for d in self.model.params} | {
            d.symbol.name for d in self.model.sets if d.value is not None}
        for name in self.overrides:
            if name not in data_names:
                close = difflib.get_close_matches(name, list(data_names), n=1)
                hint = (f"did you mean '{close[0]}'?" if close else
                        f"the model's params and sets are: "
                        f"{', '.join(sorted(data_names)) or 'none'}")
                diags.add("E507", f"a value was given for '{name}', which is not a param or "
                          f"set of model '{self.model.name}'", self.model.span, hint)

    def set_def(self, definition: ir.SetDef) -> None:
        symbol = definition.symbol
        if definition.value is None:
            return  # an alias shares its root's labels
        if symbol.name in self.overrides:  # labels from Python: a list, Index, Series
            given, _ = outside_value(self.overrides[symbol.name], None)
            values = given.index if isinstance(given, pd.Series) and not isinstance(
                given.index, pd.RangeIndex) else given
            if np.ndim(values) != 1:  # a number (`--param tenor=1`, a sweep of a set)
                raise error("E507", f"'{symbol.name}' is a set: a value given for it must be "
                            f"a list of labels, not {np.asarray(values).tolist()!r}",
                            symbol.span, f"give its labels as a list (--param "
                            f"{symbol.name}=[...]), or replace a param, not a set")
            labels = [_tidy(data.label_texts([v])[0]) if isinstance(
                v, pd.Timestamp) else _tidy(v) for v in list(values)]
        else:
            labels = self.labels(definition.value)
        texts = data.label_texts(labels)
        if not labels:
            raise error("E504", f"set '{symbol.name}' is empty", definition.value.span,
                        "give the set at least one label")
        if len(set(texts)) != len(texts):
            dup = next(t for t in texts if texts.count(t) > 1)
            raise error("E504", f"set '{symbol.name}' repeats the label '{dup}'",
                        definition.value.span, "labels of a set must be unique")
        self.bindings.labels[symbol] = labels
        if symbol.name not in self.overrides:  # read by csv(..., dates = ...)?
            self.bindings.note_dates(symbol, definition.value)

    def labels(self, node: ir.Expr) -> list[Any]:
        if isinstance(node, ir.ListLit):
            out = []
            for item in node.items:
                label = ir.literal(item)  # `-1` too: `[-1, -2]` as `-3..3` has it
                if label is not None:
                    out.append(label if isinstance(item, ir.Str) else _tidy(label))
                else:
                    raise error("E305", "a set's labels must be strings or numbers", item.span,
                                'write labels literally, as in ["5Y", "10Y"]')
            return out
        if isinstance(node, ir.Range):
            for end in (node.start, node.stop):
                if self.shapes.of[end]:  # float() below needs one number
                    raise error("E303", "a range end must be one number", end.span,
                                "write whole numbers, as in `1..60`")
            start, stop = (float(self.evaluate.constant(n, "a range end"))
                           for n in (node.start, node.stop))
            if not (start.is_integer() and stop.is_integer()) or stop < start:
                raise error("E508", "a range needs whole numbers with start <= stop",
                            node.span, "write e.g. `1..60`")
            limits.check_count(stop - start + 1, "this range", node.span)
            return list(range(int(start), int(stop) + 1))
        if (isinstance(node, ir.Attr) and isinstance(node.base, ir.Call)
                and node.base.func == "csv") or (isinstance(node, ir.Call) and node.func == "csv"):
            return [_tidy(v) for v in self.bindings.csv_labels(node)]  # checked: filled, unique
        if isinstance(node, ir.Const) and float(node.value).is_integer() and node.value >= 1:
            limits.check_count(node.value, "this set", node.span)
            return list(range(1, int(node.value) + 1))  # a count of scenario draws
        raise error("E305", "a set's value must be a list, a range or a csv column", node.span,
                    'write `set s = ["a", "b"]`, `set t = 1..30` or `set b = csv("f.csv").id`')

    def param_def(self, definition: ir.ParamDef) -> None:
        symbol = definition.symbol
        if symbol.name in self.overrides:  # in the declared unit (compiler/passes/units.py)
            given, scale = outside_value(self.overrides[symbol.name], definition.unit, symbol)
            self.bindings.values[symbol] = self.override(symbol, given) * scale
            return
        if definition.value is None:
            raise error("E506", f"param '{symbol.name}' has no value", symbol.span,
                        f"give it one in the file (`param {symbol.name} = ...`), with "
                        f"--param {symbol.name}=VALUE, or params={{'{symbol.name}': ...}}")
        self.check_size(symbol)
        limits.check_tree(definition.value, self.shapes, self.sizes_of)
        if labels.is_text(self.evaluate, definition.value):  # each bond's rating, say
            if definition.unit is not None:
                raise error("E505", f"{symbol.describe()} is declared in {definition.unit} "
                            f"but holds labels", definition.value.span,
                            "a unit belongs to numbers: remove `in "
                            f"{definition.unit}` or read a numeric column")
            sizes = tuple(self.bindings.size(s) for s in symbol.index)
            self.bindings.values[symbol] = labels.full_text(self.evaluate, definition.value,
                                                            symbol.index, sizes)
            return
        scale = self.units.scales.get(symbol, 1.0)  # from its declared unit, once
        value = self.full(definition.value, symbol.index, symbol)
        self.bindings.values[symbol] = value * scale

    def full(self, node: ir.Expr, index: tuple[Symbol, ...], symbol: Symbol) -> np.ndarray:
        self.check_size(symbol)
        limits.check_tree(node, self.shapes, self.sizes_of)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # reported below
            value = self.evaluate.constant(node, "data")
        sizes = tuple(self.bindings.size(s) for s in index)
        array = np.array(tensor.broadcast(value, self.shapes.of[node], index, sizes), dtype=float)
        if not np.isfinite(array).all():
            raise error("E508", "this data evaluates to values that are not finite numbers",
                        node.span, "check the arithmetic: a log or sqrt of a negative number, "
                        "or a number too large for a float")
        return array

    def check_size(self, symbol: Symbol) -> None:
        sizes = self.sizes_of(symbol.index)
        if sizes is not None:
            limits.check_shape(sizes, symbol.describe(), symbol.span)

    def override(self, symbol: Symbol, value: Any) -> np.ndarray:
        index = symbol.index
        self.check_size(symbol)
        sizes = tuple(self.bindings.size(s) for s in index)
        what = f"the value given for {symbol.describe()}"
        if isinstance(value, pd.Series | pd.DataFrame | dict):
            frame = pd.DataFrame(value) if isinstance(value, pd.DataFrame) else None
            series = pd.Series(value) if frame is None else None
            array = self._labelled(symbol, series if series is not None else frame, what)
        else:
            try:
                array = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                raise error("E508", f"{what} is not numeric: {value!r}", symbol.span,
                            "give a number, a list of numbers, or a pandas Series/DataFrame "
                            "indexed by the set's labels") from None
        if array.shape == () and sizes:
            array = np.full(sizes, float(array))
        if array.shape != sizes:
            raise error("E504", f"{what} has shape {array.shape} but {index_text(index)} "
                        f"needs {sizes}", symbol.span,
                        "give one value per label (or one number for all)")
        return array

    def _labelled(self, symbol: Symbol, value: pd.Series | pd.DataFrame | None, what: str
                  ) -> np.ndarray:
        index = symbol.index
        if isinstance(value, pd.Series):
            if len(index) != 1:
                raise error("E504", f"{what} is a Series but {symbol.name} is indexed by "
                            f"{index_text(index)}", symbol.span,
                            "give a DataFrame for two index sets, a number for none")
            keys = data.label_texts(list(value.index))
            wanted = self.bindings.texts_of(index[0])
            missing = [w for w in wanted if w not in keys]
            if missing:
                raise error("E504", f"{what} has no entry for label '{missing[0]}'",
                            symbol.span, f"index the Series by the labels of '{index[0].name}'")
            twice = next((k for k in wanted if keys.count(k) > 1), None) \
                if len(set(keys)) < len(keys) else None
            if twice is not None:  # a dict would keep the last silently
                raise error("E504", f"{what} has label '{twice}' more than once", symbol.span,
                            "give each label of the set one value")
            lookup = dict(zip(keys, value.to_numpy(), strict=True))
            return data.numeric(np.array([lookup[w] for w in wanted]), symbol.span, what)
        if value is None or len(index) != 2:
            raise error("E504", f"{what} is a table but {symbol.name} is indexed by "
                        f"{index_text(index)}", symbol.span, "give a Series for one set")
        frame = value.copy()
        frame.index = data.label_texts(list(frame.index))
        frame.columns = data.label_texts(list(frame.columns))
        rows = self.bindings.texts_of(index[0])
        cols = self.bindings.texts_of(index[1])
        try:
            frame = frame.loc[rows, cols]
        except KeyError as exc:
            raise error("E504", f"{what} lacks labels {exc}", symbol.span,
                        f"index rows by '{index[0].name}' and columns by '{index[1].name}'"
                        ) from None
        return data.numeric(frame, symbol.span, what)

    def scenarios_def(self, definition: ir.ScenariosDef) -> None:
        symbol = definition.symbol
        for dim in symbol.index:
            if dim.root not in self.bindings.labels and isinstance(dim.decl, ast.SetDecl) \
                    and dim.decl.value is not None and isinstance(dim.decl.value, ast.Number):
                count = dim.decl.value
                limits.check_count(count.value, f"the draws of {symbol.describe()}",
                                   symbol.span)  # the count's own span is generated
                self.bindings.labels[dim] = list(range(1, int(count.value) + 1))
        if definition.value is not None:
            self.bindings.values[symbol] = self.full(definition.value, symbol.index, symbol)
            return
        if definition.sampler is not None:
            self.bindings.values[symbol] = self.sample(symbol, definition.sampler)

    def sample(self, symbol: Symbol, call: ir.Call) -> np.ndarray:
        if call.func == "bootstrap":
            raise error("E901", "bootstrapped scenarios are not compiled yet", call.func_span,
                        "draw the scenarios with normal(...) or student_t(...) for now; see "
                        "docs/status.md")
        if call.func not in ("normal", "student_t"):
            raise error("E208", f"'{call.func}' does not draw scenarios", call.func_span,
                        f"after '~' use normal(...) or student_t(...); to give the values, "
                        f"write `scenarios {symbol.name}[...] = ...`")
        self.check_size(symbol)  # before anything is drawn
        sizes = tuple(self.bindings.size(s) for s in symbol.index)
        seed_node = call.kwarg("seed")
        if seed_node is None:
            raise error("E208", f"scenarios '{symbol.name}' have no seed", call.span,
                        "add `seed = N` so that every run draws the same scenarios")
        if self.shapes.of[seed_node]:  # float() below needs one number
            raise error("E303", "the seed must be one number", seed_node.span,
                        "write a whole number, e.g. seed = 7")
        seed = float(self.evaluate.constant(seed_node, "the seed"))
        if not seed.is_integer() or seed < 0:
            raise error("E508", "the seed must be a whole number >= 0", seed_node.span,
                        "write e.g. seed = 7")
        names = {"normal": ("mean", "std"), "student_t": ("df", "mean", "scale")}[call.func]
        defaults = {"mean": 0.0, "std": 1.0, "scale": 1.0}
        given = dict(zip(names, call.args, strict=False)) | {
            k: v for k, v in call.kwargs if k != "seed"}
        params = {}
        for name in names:
            if name in given:
                node = given[name]
                params[name] = tensor.align(self.evaluate.constant(node, name),
                                            self.shapes.of[node], symbol.index)
            elif name in defaults:
                params[name] = defaults[name]
            else:
                raise error("E208", f"{call.func} needs '{name}'", call.span,
                            "e.g. student_t(4, seed = 1) for 4 degrees of freedom")
        for name, bad, must in (("std", np.less, ">= 0"), ("scale", np.less, ">= 0"),
                                ("df", np.less_equal, "> 0")):
            if name in given and bad(np.asarray(params[name]), 0).any():  # numpy would raise
                raise error("E508", f"the {name} of {call.func} must be {must}",
                            given[name].span, f"give {call.func} a {name} {must}")
        for name in ("std", "scale"):  # -0 is 0, which numpy's `scale < 0` check refuses
            if name in params:
                params[name] = np.asarray(params[name], dtype=float) + 0.0
        rng = np.random.default_rng(int(seed))
        if call.func == "normal":
            return rng.normal(params["mean"], params["std"], size=sizes)
        return params["mean"] + params["scale"] * rng.standard_t(params["df"], size=sizes)


def _depends_on(definition: ir.SetDef | ir.ParamDef | ir.ScenariosDef,
                failed: set[Symbol]) -> bool:
    """True if a definition uses a set or param whose own binding failed."""
    symbol = definition.symbol
    used = {s.root for s in symbol.index}
    if symbol.alias_of is not None:
        used.add(symbol.alias_of.root)
    nodes = [getattr(definition, "value", None), getattr(definition, "sampler", None)]
    for node in nodes:
        if node is not None:
            used |= {r.symbol.root if r.symbol.kind is SymbolKind.SET else r.symbol
                     for r in ir.refs(node)}
    return bool(used & failed)


def _tidy(value: Any) -> Any:
    """Labels read as floats that are whole numbers become ints (1.0 -> 1)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, np.generic):
        return _tidy(value.item())
    return value


def bind(model: ir.Model, shapes: Shapes, overrides: Mapping[str, Any] | None,
         sandbox: data.Sandbox, units: Units | None = None) -> Bindings:
    """Read and compute every set, param and scenario matrix.

    Args:
        model: the resolved model.
        shapes: its index sets.
        overrides: param values given from outside (numbers, lists, arrays, pandas objects);
            they replace the file's values and, like them, are in the param's declared
            unit (wrap a value already in decimals and dollars in `units.InBaseUnits`).
        sandbox: where csv(...) may read.
        units: the units pass's result (run here if not given): declared units convert.

    Returns:
        `Bindings`: labels and values.

    Raises:
        SpecError: E5xx, every data problem at once.
    """
    return _Binder(model, shapes, overrides or {}, sandbox,
                   units if units is not None else check_units(model, overrides)).run()
