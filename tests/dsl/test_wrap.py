"""`saddle fmt` wraps long lines (dsl/wrap.py): at most 100 characters, same AST, idempotent,
and every shipped model is already in canonical form."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli_process import run

from dsl import parse
from dsl.printer import format_model
from dsl.wrap import WIDTH, wrap_line

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "models").glob("*.saddle"))

HEADER = 'model m "test"\nset s = ["a", "b", "c"]\nset s2 = s\n'
LONG_CALL = ("param p[s] = csv(\"data/some_rather_long_file_name.csv\", row = last, "
             "columns = [\"first column\", \"second column\", \"third column\"]) / 100\n")
LONG_SUM = ("let total = alpha_weight * first_long_name + beta_weight * second_long_name "
            "- gamma_weight * third_long_name + delta_weight * fourth_long_name\n")
STRING_COMMAS = ('param q[s] = lookup("a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p # not a '
                 'comment, q, r", key = s, other = [1, 2, 3])  # the real comment\n')
MATRIX = "param c[s, s2] = [[1, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 1]]\n"
CONSTRAINT = ("variable x[s]\nsubject to\n    floor: log_sum_exp(-period * (y_nominal + delta + "
              "spread_on * s_nominal[bond]), weights = h * cashflow) >= log(floor)  # kept\n")


def formatted(text: str) -> str:
    return format_model(parse(text))


@pytest.mark.parametrize("body", [LONG_CALL, LONG_SUM, STRING_COMMAS, MATRIX, CONSTRAINT])
def test_long_lines_wrap_keep_the_ast_and_are_idempotent(body: str) -> None:
    text = HEADER + body
    once = formatted(text)
    assert all(len(line) <= WIDTH for line in once.splitlines()), once
    assert parse(once) == parse(text)
    assert formatted(once) == once


def test_a_call_breaks_after_a_comma_and_the_rest_follows_its_last_line() -> None:
    lines = formatted(HEADER + LONG_CALL).splitlines()[-2:]
    assert lines == ['param p[s] = csv("data/some_rather_long_file_name.csv", row = last,',
                     '    columns = ["first column", "second column", "third column"]) / 100']


def test_a_sum_breaks_before_an_operator_and_continues_deeper() -> None:
    lines = formatted(HEADER + LONG_SUM).splitlines()[-2:]
    assert lines[0].startswith("let total = alpha_weight * first_long_name")
    assert lines[1].startswith("    - gamma_weight") or lines[1].startswith("    + ")


def test_a_string_is_never_broken_and_its_hash_is_no_comment() -> None:
    text = formatted(HEADER + STRING_COMMAS)
    assert '"a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p # not a comment, q, r"' in text
    assert text.rstrip().endswith("other = [1, 2, 3])  # the real comment")


def test_a_matrix_keeps_one_row_per_line_even_when_it_would_fit() -> None:
    lines = formatted(HEADER + MATRIX).splitlines()[-3:]
    assert lines == ["param c[s, s2] = [[1, 0.5, 0.25],",
                     "                  [0.5, 1, 0.5],",
                     "                  [0.25, 0.5, 1]]"]


def test_a_constraint_continues_eight_spaces_in_and_keeps_its_comment() -> None:
    lines = formatted(HEADER + CONSTRAINT).splitlines()[-2:]
    assert lines[0].startswith("    floor: log_sum_exp(")
    assert lines[1].startswith("        weights = h * cashflow) >= log(floor)")
    assert lines[1].endswith("  # kept")


def test_a_long_doc_string_goes_on_the_next_line() -> None:
    doc = "x" * 95
    text = formatted(f'model m "{doc}"\n')
    assert text == f'model m\n    "{doc}"\n'
    assert parse(text) == parse(f'model m "{doc}"\n')


def test_the_code_is_wrapped_to_leave_room_for_its_comment() -> None:
    line = "let total = first_name + second_name + third_name  # " + "y" * 55
    assert wrap_line(line) == ["let total = first_name + second_name",
                               "    + third_name  # " + "y" * 55]
    too_long = "let a = b + c  # " + "y" * 90  # a comment cannot be broken: left as it is
    assert wrap_line(too_long) == [too_long]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_model_is_canonical_and_no_line_is_too_long(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert formatted(text) == text
    assert [line for line in text.splitlines() if len(line) > WIDTH] == []


def test_saddle_fmt_check_passes_on_every_shipped_model() -> None:
    failing = [p.name for p in SHIPPED if run("fmt", "--check", str(p)).returncode != 0]
    assert failing == []
