"""Names and structure (E2xx)."""

from saddle_testing import HEADER, first_error

from compiler.passes.resolve import resolve
from compiler.passes.symbols import SymbolKind
from dsl import SpecError, parse


def test_symbols_have_kinds_and_index_sets():
    model = resolve(parse(HEADER + 'set s = ["a"]\nparam p[s] = [1]\nvariable x[s]\n'
                          "maximize o: sum(p * x)\nsubject to\n    cap: x <= 1\n"))
    assert model.symbols["p"].kind is SymbolKind.PARAM
    assert [s.name for s in model.symbols["x"].index] == ["s"]
    assert model.constraints[0].name == "cap"


def test_undefined_name_suggests_the_close_one():
    d = first_error('set tenor = ["5Y"]\nparam yield[tenor] = [0.01]\nvariable w[tenor]\n'
                    "maximize o: sum(w * yeild)\n")
    assert d.code == "E201" and "'yeild'" in d.message
    assert "did you mean 'yield'" in d.help and (d.span.line, d.span.column) == (5, 21)


def test_use_before_declaration_is_named_as_such():
    d = first_error("param a = b\nparam b = 1\nvariable x\nminimize o: x\n")
    assert d.code == "E201" and "before it is declared" in d.message


def test_every_undefined_name_is_reported_at_once():
    try:
        resolve(parse(HEADER + "variable x\nminimize o: x + y + z\n"))
    except SpecError as exc:
        assert [d.message for d in exc.diagnostics] == ["undefined name 'y'",
                                                        "undefined name 'z'"]
    else:
        raise AssertionError("expected a SpecError")


def test_constraint_names_have_their_own_namespace():
    model = resolve(parse(HEADER + "param capital = 1\nvariable x\nmaximize o: x\n"
                          "subject to\n    capital: x <= capital\n"))
    assert model.constraints[0].name == "capital"


def test_structure_errors():
    assert first_error("variable x\n").code == "E203"
    assert first_error("variable x\nminimize a: x\nminimize b: x\n").code == "E204"
    assert first_error("variable x\nminimize a: x\nsubject to\n    x >= 0\n").code == "E212"
    assert first_error("variable x\nvariable x\nminimize a: x\n").code == "E202"
    assert first_error("variable x\nparam p[x] = 1\nminimize a: x\n").code == "E206"
    assert first_error("variable x\nparam p = x\nminimize a: x\n").code == "E209"
    assert first_error("variable x\nminimize a: foo(x)\n").code == "E207"
    assert first_error("variable x\nminimize a: sum(x, 1, 2)\n").code == "E208"


def test_missing_header():
    try:
        resolve(parse("variable x\nminimize a: x\n"))
    except SpecError as exc:
        assert exc.codes == ["E205"]
    else:
        raise AssertionError("expected a SpecError")


def test_uncertain_block_may_not_mention_decisions():
    d = first_error('set s = ["a"]\nvariable x[s]\nuncertain u[s]:\n    u <= x\n'
                    "minimize o: sum(x)\n")
    assert d.code == "E210" and "'x'" in d.message
