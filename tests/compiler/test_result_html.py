"""`Result._repr_html_` and `TableResult._repr_html_` (compiler/report/html.py): the values
by label, the binding constraints, the worst case, and every text from the model escaped."""

from __future__ import annotations

import pandas as pd
import pytest
from saddle_testing import compile_text

from compiler.report.result import TableResult

# labels and names that are markup if not escaped; the LP's answer by inspection: all of
# the budget in the asset with the larger return, 2, so the objective is 2 * cap = 6
LP = """set asset = ["<b>x</b>", "a&b"]
param r[asset] = [1, 2]
param cap = 3
variable w[asset] >= 0
maximize ret: sum(w * r)
subject to
    budget: sum(w) <= cap
    floor: w >= 0
"""


def test_values_and_binding_constraints_are_shown_escaped() -> None:
    result = compile_text(LP).solve()
    html = result._repr_html_()
    assert "<b>x</b>" not in html.replace("<b>&lt;b&gt;x&lt;/b&gt;</b>", "")
    assert "<td><b>&lt;b&gt;x&lt;/b&gt;</b></td><td>0</td>" in html
    assert "<td><b>a&amp;b</b></td><td>3</td>" in html  # cap 3 in the better asset
    assert "maximize ret = <b>6</b>" in html
    assert "constraints (binding: budget, floor)" in html  # floor binds at the first label
    assert '<tr class="binding"><td><b>budget</b></td>' in html
    # the dual of the budget is the better return, 2
    assert "<td><b>budget</b></td><td>3</td><td>0</td><td>2</td><td>yes</td>" in html


ROBUST = """set asset = ["s", "b"]
param mu[asset] = [0.05, 0.03]
variable w[asset] >= 0
uncertain m[asset] in box(mu - 0.01, mu + 0.01)
maximize ret: w @ m
subject to
    budget: sum(w) == 1
"""


def test_the_worst_case_and_the_certificate_are_shown() -> None:
    result = compile_text(ROBUST).solve()
    html = result._repr_html_()
    # by hand: the adversary lowers each return by 0.01; all in s, worst return 0.04
    assert "maximize ret = <b>0.04</b>" in html
    assert "worst case (the adversary's choice)" in html and "objective: m" in html
    assert "<td><b>s</b></td><td>0.04</td>" in html
    assert "robustness certificate" in html


def test_a_table_result_is_one_html_table_escaped() -> None:
    table = pd.DataFrame({"cap": [1.0, 2.0], "w[<i>]": [0.5, 1.5],
                          "status": ["optimal", "optimal <script>"]}).set_index("cap")
    html = TableResult("m<&>", table, ["a note with <tags>"], "CLARABEL", 0.1)._repr_html_()
    assert "model m&lt;&amp;&gt;" in html and "<th>w[&lt;i&gt;]</th>" in html
    assert "<td>1.5</td>" in html and "optimal &lt;script&gt;" in html
    assert "<li>a note with &lt;tags&gt;</li>" in html
    assert html.count("<tr>") == 3  # the header and two rows


@pytest.mark.parametrize("rows", [60])
def test_long_values_are_cut_and_counted(rows: int) -> None:
    labels = ", ".join(f'"l{i}"' for i in range(rows))
    result = compile_text(f"""set k = [{labels}]
variable w[k] >= 0 <= 1
maximize total: sum(w)
""").solve()
    html = result._repr_html_()
    assert f"... {rows - 50} more rows" in html and "<td><b>l49</b></td>" in html
    assert "<td><b>l50</b></td>" not in html
