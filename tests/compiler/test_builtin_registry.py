"""The builtin registry: every record complete, its facts true of its lowering, its
keywords read, the docs table generated from it, and a builtin added in one place."""

import dataclasses
from pathlib import Path

import cvxpy as cp
import numpy as np
import pytest
from saddle_testing import compile_text, first_error

from compiler.backends.dsp_atoms import SaddleAtoms
from compiler.builtins import REGISTRY, Builtin, Context, IncompleteBuiltin, registry, rules
from compiler.builtins.docs import DOCS, table, updated
from compiler.builtins.registry import missing_parts, signature
from compiler.passes import ir

MATH = [b for b in REGISTRY.values() if b.lower is not None]

# ---- every record is complete ----


@pytest.mark.parametrize("b", REGISTRY.values(), ids=list(REGISTRY))
def test_every_builtin_has_every_part(b: Builtin):
    assert missing_parts(b) == []
    assert b.shape is not None and b.shape.doc and b.units is not None and b.units.doc
    if b.signature.context is Context.MATH:  # usable in an expression: it must lower
        assert b.lower is not None and b.handled_by is None
    if b.dsp_atom is not None:
        assert callable(getattr(SaddleAtoms, b.dsp_atom, None)), b.dsp_atom


def test_a_record_missing_a_part_is_refused_when_it_is_built():
    with pytest.raises(IncompleteBuiltin, match="'half' is incomplete: no shape rule"):
        Builtin(name="half", signature=signature(1, 1, usage="half(x)"), doc="x / 2",
                units=rules.KEEP, lower=rules.elementwise(lambda v: v / 2, lambda e: e / 2))
    with pytest.raises(IncompleteBuiltin, match="no units rule.*no lowering"):
        Builtin(name="half", signature=signature(1, 1, usage="half(x)"), doc="x / 2",
                shape=rules.ELEMENTWISE)
    with pytest.raises(IncompleteBuiltin, match="no doc line"):
        Builtin(name="half", signature=signature(1, 1, usage="half(x)"), doc="",
                shape=rules.ELEMENTWISE, units=rules.KEEP, lower=REGISTRY["abs"].lower)


def test_a_name_is_registered_once():
    copy = REGISTRY.copy()
    with pytest.raises(IncompleteBuiltin, match="'abs' is registered twice"):
        copy.register(REGISTRY["abs"])


# ---- the facts a record states are cvxpy's verdict on its lowering ----

HEADER = ('set t = ["a", "b", "c"]\nset t2 = t\n'
          "param P[t, t2] = [[2, 0.5, 0], [0.5, 1, 0], [0, 0, 1]]\n"
          "variable w[t]\nvariable M[t, t2]\n")
CALL = {"cvar": "cvar(0.5, {x})", "trace": "trace({m})", "quad_form": "quad_form({x}, P)",
        "diff": "diff({x}, over = t)"}


def lowered(expr: str) -> cp.Expression:
    compiled = compile_text(HEADER + f"let e = {expr}\nvariable v\n"
                            "minimize o: v + 0 * sum(e)\nsubject to\n    lo: v >= 0\n")
    return compiled.lowered.evaluator.let_values[compiled.model.symbols["e"]]


def _call(b: Builtin, x: str, m: str) -> str:
    return CALL.get(b.name, b.name + "({x})").format(x=x, m=m)


WITH_FACTS = [b for b in MATH if b.facts is not None]


@pytest.mark.parametrize("b", WITH_FACTS, ids=[b.name for b in WITH_FACTS])
def test_curvature_and_sign_are_cvxpys(b: Builtin):
    assert b.facts is not None
    value = lowered(_call(b, "w", "M"))
    curvature = b.facts.curvature
    assert {"affine": value.is_affine(), "convex": value.is_convex() and not value.is_affine(),
            "concave": value.is_concave() and not value.is_affine()}[curvature]
    if b.facts.sign == "nonneg":
        assert value.is_nonneg()


MONOTONE = [b for b in WITH_FACTS if b.facts and b.facts.monotonicity != "nonmonotonic"]


@pytest.mark.parametrize("b", MONOTONE, ids=[b.name for b in MONOTONE])
def test_monotonicity_is_what_dcp_composes_with(b: Builtin):
    """f increasing keeps a convex argument convex (concave: concave); decreasing swaps."""
    assert b.facts is not None
    up = b.facts.monotonicity == "increasing"
    convex_result = b.facts.curvature in ("convex", "affine")
    convex_inner = up == convex_result
    inner = "square({})" if convex_inner else "-square({})"
    value = lowered(_call(b, inner.format("w"), inner.format("M")))
    assert value.is_convex() if convex_result else value.is_concave()


# ---- numeric evaluation against numpy ----

DATA = 'set t = 1..4\nparam x[t] = [0.5, 1.5, 2, 3]\n'
NUMERIC = [b for b in MATH if b.numeric is not None]


@pytest.mark.parametrize("b", NUMERIC, ids=[b.name for b in NUMERIC])
def test_numeric_evaluation_is_numpys(b: Builtin):
    assert b.numeric is not None
    compiled = compile_text(DATA + f"let e = {b.name}(x)\nvariable v\n"
                            "minimize o: v + 0 * sum(e)\nsubject to\n    lo: v >= 0\n")
    value = compiled.lowered.evaluator.let_values[compiled.model.symbols["e"]]
    np.testing.assert_allclose(value, b.numeric(np.array([0.5, 1.5, 2, 3])))


# ---- every keyword of a signature is read by the builtin's rules or lowering ----

FIXED_INCOME = ('set period = 1..4\nset bond = ["a", "b"]\nset key = [1, 4]\n'
                "param cf[bond, period] = [[1, 1, 1, 101], [2, 2, 102, 0]]\n"
                "param y[period] = [0.01, 0.02, 0.03, 0.04]\n"
                "param df[period] = [0.99, 0.96, 0.91, 0.85]\n"
                'set s = ["p", "q"]\nparam m[period, s] = [[1, 2], [3, 4], [5, 6], [7, 8]]\n'
                "param pw[period] = [1, 2, 3, 4]\nvariable h[bond]\n")
# each builtin's positional arguments; `{curve}` is left out with `discount = df`
BASE = {
    **{name: "m" for name in ("sum", "mean", "max", "min", "first", "last", "diff")},
    "log_sum_exp": "y",
    **{name: "cf{curve}" for name in ("bond_price", "dv01", "duration", "convexity")},
    "key_rate_durations": "cf{curve}, key", "carry": "cf{curve}, 1", "rolldown": "cf{curve}, 1",
    "cs01": "0.01, 0.01, 5", "cds_carry": "0.01, 0.01, 5, 1",
    "cds_rolldown": "0.01, 0.009, 0.01, 5, 1", "previous": "h",
}
VALUE = {"over": "period", "weights": "pw", "spread": "0.001", "discount": "df",
         "compounding": "periodic", "kind": "macaulay", "repo": "0.01", "recovery": "0.3",
         "rate": "0.02", "initial": "0.5"}
# its keywords are the file reader's (compiler/data/bindings.py, test_data)
READ_ELSEWHERE = {"csv"}
KEYWORDS = [(b.name, k) for b in MATH for k in sorted(b.signature.keywords)
            if b.name not in READ_ELSEWHERE]


@pytest.mark.parametrize("name, keyword", KEYWORDS, ids=[f"{n}-{k}" for n, k in KEYWORDS])
def test_every_keyword_is_read(monkeypatch, name: str, keyword: str):
    assert name in BASE and keyword in VALUE, f"give {name}(..., {keyword} = ...) an example here"
    reads: set[tuple[str, str]] = set()
    original = ir.Call.kwarg

    def kwarg(self: ir.Call, wanted: str) -> ir.Expr | None:
        value = original(self, wanted)
        if value is not None:
            reads.add((self.func, wanted))
        return value

    monkeypatch.setattr(ir.Call, "kwarg", kwarg)
    curve = "" if keyword == "discount" else ", y"
    call = f"{name}({BASE[name].format(curve=curve)}, {keyword} = {VALUE[keyword]})"
    compile_text(FIXED_INCOME + f"let e = {call}\nvariable v\n"
                 "minimize o: v + 0 * sum(e)\nsubject to\n    lo: v >= 0\n")
    assert (name, keyword) in reads


# ---- the docs table is the registry's ----

def test_the_docs_table_agrees_with_the_registry():
    text = DOCS.read_text(encoding="utf-8")
    assert updated(text) == text, "run python -m compiler.builtins.docs"
    for b in REGISTRY.values():
        assert f"| {b.doc.replace('|', chr(92) + '|')} |" in table()


# ---- adding a builtin is one record ----

def test_a_builtin_added_as_one_record_compiles_solves_and_is_documented(monkeypatch):
    twice = Builtin(name="twice", signature=signature(1, 1, usage="twice(x)"), doc="2x",
                    shape=rules.ELEMENTWISE, units=rules.KEEP,
                    lower=rules.elementwise(lambda v: 2 * v, lambda e: 2 * e))
    local = REGISTRY.copy()
    local.register(twice)
    monkeypatch.setattr(registry, "REGISTRY", local)
    result = compile_text('set t = 1..3\nvariable w[t] >= 1\nminimize o: sum(twice(w))\n'
                          ).solve()
    assert result.objective == pytest.approx(6.0, abs=1e-6)
    assert "| `twice(x)` | 2x |" in table()
    assert first_error("set t = 1..3\nvariable w[t]\nminimize o: sum(twice(w, w))\n"
                       ).code == "E208"


def test_without_the_record_the_name_is_unknown():
    assert first_error("set t = 1..3\nvariable w[t] >= 1\nminimize o: sum(twice(w))\n"
                       ).code == "E207"


def test_a_record_can_be_swapped_and_put_back():
    original = REGISTRY["cvar"]
    old = REGISTRY.replace(dataclasses.replace(original, doc="swapped"))
    try:
        assert old is original and REGISTRY["cvar"].doc == "swapped"
    finally:
        REGISTRY.replace(original)
    assert REGISTRY["cvar"] is original


def test_the_old_tables_are_gone():
    compiler = Path(__file__).resolve().parents[2] / "compiler"
    assert not (compiler / "builtins.py").exists()
    assert not (compiler / "fixed_income_builtins.py").exists()
    assert not (compiler / "fixed_income_shapes.py").exists()
    assert "SIGNATURES" not in (compiler / "builtins" / "signatures.py").read_text(encoding="utf-8")
