"""A Hypothesis strategy that mutates the shipped models (models/*.saddle) token by token
and line by line, and the check every mutant must pass: Saddle either reports a located
`SpecError` (never E900, the backend's safety net) or solves to a Result with a status.

KNOWN_BROKEN_MUTATIONS lists the mutation kinds Saddle currently mishandles, each with its
finding in /work/notes/fuzz_findings.md; the in-suite test leaves them out.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from compiler import compile_model, loads
from dsl.errors import SpecError
from fuzz.oracle import Finding, crash_head

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "models").glob("*.saddle"))

# mutation kind -> the finding that keeps it out of the in-suite test.
KNOWN_BROKEN_MUTATIONS: dict[str, str] = {
    "huge": "P1: a huge number such as rho = 1e8 in pairs_hedge solves right but takes ~55 s, "
            "over the in-suite time limit (ranges and counts of 1e8 or more are E509 now)",
}

TOKEN = re.compile(r'"[^"\n]*"|\$?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:bp|%|k|M|bn)?'
                   r"|[A-Za-z_]\w*|\.\.|<=|>=|==|\*\*|[^\s\w]")
NUMBER = re.compile(r"\$?\d")
EDGE_NUMBERS = ["0", "-0", "0.0", "1", "-1", "1e-12", "1e-309", "1e308", "1e309", "-1e309",
                "1e20", "2.5e15", "100000000", "0bp", "1e309bp", "$1e309", "-0%"]
HUGE_RANGES = ["1..100000000", "1..1000000000000", "1..0", "5..1", "0..0", "1..1e309",
               "-5..5", "1..2.5"]
OPERATORS = ["+", "-", "*", "/", "@", "^", "<=", ">=", "==", ",", "(", ")", "[", "]", ":"]
# what the mutants gave: "error E1xx" ... "result optimal": read by benchmarks/fuzz.py
OUTCOMES: Counter = Counter()
# single characters, as tests/compiler/test_check_fuzz.py drew them: they split tokens
CHARACTERS = list("abcxyzw_0123456789 ()[],.:=<>+-*/@^\"#\n$%") + ["    ", "bp"]
KINDS = ["character", "swap_tokens", "delete_token", "insert_token", "operator", "number", "huge",
         "range", "rename_one", "rename_all", "delete_line", "duplicate_line", "swap_lines",
         "indent"]


@dataclass
class Mutant:
    path: Path
    text: str
    kinds: list[str]


@dataclass(frozen=True)
class _Token:
    """A token and its offsets in the whole text (the interface of a re.Match)."""
    text: str
    begin: int
    stop: int

    def group(self, _: int = 0) -> str:
        return self.text

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.stop


def _code(line: str) -> str:
    """The line without its comment ('#' outside a string)."""
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            return line[:i]
    return line


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(0), m.start() + offset, m.end() + offset)
            for offset, line in _lines_with_offsets(text)
            for m in TOKEN.finditer(_code(line))]


def _lines_with_offsets(text: str):
    offset = 0
    for line in text.splitlines(keepends=True):
        yield offset, line
        offset += len(line)


def _replace(text: str, token, new: str) -> str:
    return text[:token.start()] + new + text[token.end():]


def mutate_once(draw, text: str, kinds: list[str]) -> tuple[str, str]:
    kind = draw(st.sampled_from(kinds))
    tokens = _tokens(text)
    lines = text.splitlines(keepends=True)
    if not tokens or not lines:
        return text, kind
    one = lambda seq: draw(st.sampled_from(list(seq)))  # noqa: E731
    if kind == "character":  # delete, insert or replace one character anywhere
        where = draw(st.integers(0, len(text)))
        how = one(["delete", "insert", "replace"])
        new = "" if how == "delete" else one(CHARACTERS)
        return text[:where] + new + text[where + (0 if how == "insert" else 1):], kind
    if kind == "swap_tokens":
        a, b = sorted((one(range(len(tokens))), one(range(len(tokens)))))
        if a == b:
            return text, kind
        ta, tb = tokens[a], tokens[b]
        return (text[:ta.start()] + tb.group() + text[ta.end():tb.start()] + ta.group()
                + text[tb.end():]), kind
    if kind == "delete_token":
        return _replace(text, one(tokens), ""), kind
    if kind == "insert_token":
        where = one(tokens)
        new = one(sorted({t.group() for t in tokens}))
        return text[:where.start()] + new + " " + text[where.start():], kind
    if kind == "operator":
        ops = [t for t in tokens if t.group() in OPERATORS]
        return (_replace(text, one(ops), one(OPERATORS)) if ops else text), kind
    if kind in ("number", "huge"):
        numbers = [t for t in tokens if NUMBER.match(t.group())]
        if not numbers:
            return text, kind
        pool = EDGE_NUMBERS if kind == "number" else ["1e309", "100000000", "1e20"]
        return _replace(text, one(numbers), one(pool)), kind
    if kind == "range":
        ranges = list(re.finditer(r"\d+\s*\.\.\s*\d+", text))
        if ranges:
            return _replace(text, one(ranges), one(HUGE_RANGES)), kind
        sets = [m for m in re.finditer(r"^set (\w+) = .*$", text, re.M)]
        if not sets:
            return text, kind
        target = one(sets)
        return _replace(text, target, f"set {target.group(1)} = {one(HUGE_RANGES)}"), kind
    if kind in ("rename_one", "rename_all"):
        names = [t for t in tokens if re.fullmatch(r"[A-Za-z_]\w*", t.group())]
        if not names:
            return text, kind
        target = one(names)
        new = one(sorted({t.group() for t in names} | {"zz", "w2", "sum", "model", "set"}))
        if kind == "rename_one":
            return _replace(text, target, new), kind
        return re.sub(rf"\b{re.escape(target.group())}\b", new, text), kind
    i = one(range(len(lines)))
    if kind == "delete_line":
        return "".join(lines[:i] + lines[i + 1:]), kind
    if kind == "duplicate_line":
        return "".join(lines[:i + 1] + lines[i:]), kind
    if kind == "swap_lines":
        j = one(range(len(lines)))
        lines[i], lines[j] = lines[j], lines[i]
        return "".join(lines), kind
    stripped = lines[i].lstrip(" ")
    lines[i] = one(["", "  ", "    ", "        ", "\t"]) + stripped
    return "".join(lines), kind


@st.composite
def mutants(draw, kinds: tuple[str, ...] | None = None, models: list[Path] | None = None):
    allowed = [k for k in (kinds or KINDS) if kinds or k not in KNOWN_BROKEN_MUTATIONS]
    path = draw(st.sampled_from(models or MODELS))
    text = path.read_text()
    applied = []
    for _ in range(draw(st.integers(1, 3))):
        text, kind = mutate_once(draw, text, allowed)
        applied.append(kind)
    return Mutant(path, text, applied)


def check_mutant(mutant: Mutant) -> Finding | None:
    """None when the mutant gives a located SpecError or a Result; else the finding."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiled = compile_model(loads(mutant.text, str(mutant.path)),
                                     base_dir=mutant.path.parent)
            result = compiled.solve()
    except SpecError as exc:
        OUTCOMES[f"error {exc.codes[0][:2]}xx"] += 1
        if "E900" in exc.codes:
            return Finding("E900", str(exc)[:800])
        for d in exc.diagnostics:
            if not (0 <= d.span.start <= max(len(mutant.text), 1)) or not d.help:
                return Finding("unlocated", str(exc)[:800])
        return None
    except Exception as exc:  # noqa: BLE001 - anything else is a finding
        return Finding("crash:" + type(exc).__name__, crash_head(exc))
    OUTCOMES[f"result {result.status}"] += 1
    if not isinstance(result.status, str) or not result.status:
        return Finding("status", repr(result.status))
    objectives = ([result.objective] if hasattr(result, "objective") else
                  list(result.table["objective"][result.table["status"] == "optimal"]))
    if result.status == "optimal" and any(v is None or not math.isfinite(v)
                                          for v in objectives):
        return Finding("nan", f"optimal with objective {objectives[:3]!r}")
    return None
