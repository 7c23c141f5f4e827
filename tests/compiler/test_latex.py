"""`saddle show FILE --latex`: a model as a LaTeX document (compiler/report/latex.py).

Every shipped model's document compiles with `pdflatex` where it is installed (CI installs
texlive-latex-base, .ci/run), and every math fragment of it parses with matplotlib's
mathtext everywhere; robust_bond reads like the paper's problem (Luxenberg, Schiele & Boyd
2024: min over h of max over x in an ellipsoid of phi(h) - lambda Delta(h, x))."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from matplotlib.mathtext import MathTextParser
from test_cli_process import run

from compiler.report.latex import render_latex
from dsl import parse

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "models").glob("*.saddle"))


def latex_of(text: str):
    return render_latex(parse(text, "m.saddle"))


def check_document(doc, folder: Path) -> None:
    """Each fragment parses as mathtext; the whole document compiles if pdflatex is here."""
    parser = MathTextParser("path")
    for math in doc.math:
        parser.parse(f"${math}$")  # raises ValueError on what mathtext cannot read
    if shutil.which("pdflatex"):
        (folder / "m.tex").write_text(doc.text, encoding="utf-8")
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                               "m.tex"], cwd=folder, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stdout[-2000:]
        assert (folder / "m.pdf").stat().st_size > 1000


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_model_renders_and_compiles(path: Path, tmp_path: Path) -> None:
    doc = render_latex(parse(path.read_text(encoding="utf-8"), str(path)))
    assert doc.text.startswith(r"\documentclass") and doc.text.endswith("\\end{document}\n")
    assert r"\begin{align*}" in doc.text and doc.math
    check_document(doc, tmp_path)


def test_robust_bond_reads_like_the_papers_problem(tmp_path: Path) -> None:
    out = tmp_path / "robust_bond.tex"
    done = run("show", "models/robust_bond.saddle", "--latex", "--output", str(out))
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    text = out.read_text(encoding="utf-8")
    for fragment in [
        # min over the holdings, max over the adversary's ellipsoid, the objective's name
        r"\min_{h}\ \max_{x \in \mathcal{U}_{x}} \quad & \mathrm{turnover} - \lambda\, "
        r"\mathrm{log\_return} \tag*{\text{robust\_turnover}}",
        # E = {x : (x - mean)' P (x - mean) <= chi2 quantile(1 - alpha)}
        r"\mathcal{U}_{x} = \left\{ x \in \mathbb{R}^{\mathrm{factor}} \;:\; \left(x - "
        r"\mathrm{mean}\right)^\top \mathrm{precision}\, \left(x - \mathrm{mean}\right) \leq "
        r"F^{-1}_{\chi^2_{\left|\mathrm{factor}\right|}}\left(1 - \alpha\right) \right\}",
        # phi(h) = 1/2 ||target - h o price||_1
        r"\mathrm{turnover} \quad & = 0.5\, \left\| \mathrm{target} - h \circ \mathrm{price} "
        r"\right\|_{1}",
        # Delta = log sum_i h_i sum_t c_it exp(-t (y_t + s_i))
        r"\log \sum_{b \in \mathrm{bond},\, p \in \mathrm{period}} h_{b}\, "
        r"\mathrm{cashflow}_{b,p}\, \exp\left(-p\, \left(y_{p} + s_{b}\right)\right)",
        # subject to p'h = 1 (named) and h >= 0
        r"\text{subject to} \quad & {\mathrm{price}}^\top h = 1 \tag*{\text{budget}}",
        r"& h \geq 0",
        r"y \quad & = \mathrm{load\_y}\, x",
    ]:
        assert fragment in text, fragment
    printed = run("show", "models/robust_bond.saddle", "--latex")
    assert printed.returncode == 0 and printed.stdout == text


HEADER = 'model m "test"\nset a = ["x", "y"]\nparam lo[a] = [1, 2]\nparam hi[a] = [3, 4]\n'


@pytest.mark.parametrize("declaration, expected", [
    ("uncertain u[a] in box(lo, hi)",
     r"\mathcal{U}_{u} = \left\{ u \in \mathbb{R}^{\mathrm{a}} \;:\; \mathrm{lo} \leq u \leq "
     r"\mathrm{hi} \right\}"),
    ("uncertain u[a] in ball(lo, 0.5, norm = inf)",
     r"\left\| u - \mathrm{lo} \right\|_{\infty} \leq 0.5"),
    ("uncertain u[a] in budget(lo, hi, 1.5)",
     r"\left\{ \mathrm{lo} + \mathrm{hi} \circ z \;:\; \|z\|_\infty \leq 1,\ \|z\|_1 \leq 1.5"),
    ("uncertain u[a] in simplex", r"u \geq 0,\ \mathbf{1}^\top u = 1"),
    ("uncertain u[a] >= 0:\n    cap: sum(u) <= 2",
     r"\left\{ u \in \mathbb{R}^{\mathrm{a}} \;:\; u \geq 0,\ \sum_{a \in \mathrm{a}} u_{a} "
     r"\leq 2 \right\}"),
])
def test_uncertainty_sets_are_written_as_sets(declaration: str, expected: str,
                                              tmp_path: Path) -> None:
    body = (f"{declaration}\nvariable w[a] >= 0\nmaximize worst: w @ u\n"
            "subject to\n    budget: sum(w) == 1\n")
    doc = latex_of(HEADER + body)
    assert expected in doc.text
    assert r"\max_{w}\ \min_{u \in \mathcal{U}_{u}}" in doc.text  # the adversary minimizes
    check_document(doc, tmp_path)


def test_a_robust_constraint_holds_for_every_point_of_its_set(tmp_path: Path) -> None:
    body = ("uncertain u[a] in box(lo, hi)\nvariable w[a] >= 0\nmaximize total: sum(w)\n"
            "subject to\n    risk: u @ w <= 1\n")
    doc = latex_of(HEADER + body)
    assert (r"\text{subject to} \quad & {u}^\top w \leq 1 \quad \forall u \in "
            r"\mathcal{U}_{u} \tag*{\text{risk}}") in doc.text
    assert r"\max_{w} \quad & \sum_{a \in \mathrm{a}} w_{a} \tag*{\text{total}}" in doc.text
    check_document(doc, tmp_path)


def test_units_cvar_and_special_characters(tmp_path: Path) -> None:
    body = ('param cap in $M = 250\nparam rate[a] in % = [1.5, 2]\nscenarios z[100, a] ~ '
            'normal(0, 1, seed = 7)\nvariable w[a] in $M\nmaximize carry_co: rate @ w\n'
            "subject to\n    tail_risk: cvar(0.95, -(z @ w)) <= cap\n")
    doc = latex_of('model m "50% & more: $_#"\nset a = ["x", "y"]\n' + body)
    assert r"50\% \& more: \$\_\#" in doc.text
    assert r"\mathrm{cap} \quad [\text{\$M}]" in doc.text
    assert r"\mathrm{rate}_{a},\ a \in \mathrm{a} \quad [\text{\%}]" in doc.text
    assert r"\mathrm{CVaR}_{0.95}\left(-\left(z\, w\right)\right)" in doc.text
    check_document(doc, tmp_path)


def test_a_model_with_an_undefined_name_is_an_error_not_a_document(tmp_path: Path) -> None:
    bad = tmp_path / "bad.saddle"
    bad.write_text('model m "x"\nvariable w\nminimize f: w + nothing\n', encoding="utf-8")
    done = run("show", str(bad), "--latex")
    assert done.returncode == 1 and done.stdout == ""
    assert "error[E201]" in done.stderr and "Traceback" not in done.stderr


def test_output_needs_latex_and_a_writable_path(tmp_path: Path) -> None:
    done = run("show", "models/treasury.saddle", "--output", str(tmp_path / "m.tex"))
    assert done.returncode == 2 and "add --latex" in done.stderr
    assert not (tmp_path / "m.tex").exists()
    done = run("show", "models/treasury.saddle", "--latex", "--output",
               str(tmp_path / "missing" / "m.tex"))
    assert done.returncode == 3 and "Traceback" not in done.stderr


def test_a_product_over_two_sets_is_an_outer_product_not_elementwise(tmp_path: Path) -> None:
    """A new user's trial: `vol[asset] * vol[asset2]` was written `vol ∘ vol`."""
    doc = latex_of('model m "outer"\nset asset = ["a", "b"]\nset asset2 = asset\n'
                   'param vol[asset] = [0.1, 0.2]\n'
                   'param corr[asset, asset2] = [[1, 0.5], [0.5, 1]]\n'
                   'param cov[asset, asset2] = vol[asset] * vol[asset2] * corr\n'
                   'param same[asset] = vol * vol\n'
                   'variable w[asset] >= 0\nminimize risk: quad_form(w, cov)\n'
                   'subject to\n    budget: sum(w) == 1\n')
    assert r"\mathrm{vol}\, {\mathrm{vol}}^\top \circ \mathrm{corr}" in doc.text
    assert r"\mathrm{vol} \circ \mathrm{vol}" in doc.text  # one set: elementwise still
    check_document(doc, tmp_path)
