"""csv(...) never answers with the wrong numbers in silence (issue 10): a row is read by its
header, a date column in one format, repeated or blank labels and flags are located errors,
and a compressed file is read only up to a size limit."""

import gzip
import tracemalloc
import zipfile

import numpy as np
import pandas as pd
import pytest

from compiler import compile_model, load
from compiler.data import csv_files
from compiler.rolling.rolling_model import RollingModel
from dsl import SpecError

TENORS = 'set tenor = ["5Y", "10Y", "30Y"]\n'
OBJECTIVE = "variable w[tenor] >= 0 <= 1\nmaximize o: sum(y * w)\n"


def compile_file(folder, body, name="m.saddle"):
    """A model written next to its data (its folder is where csv(...) reads)."""
    path = folder / name
    path.write_text('model m "data soundness"\n' + body)
    return compile_model(load(path))


def values(compiled, name):
    return compiled.bindings.values[compiled.model.symbols[name]]


def error_of(folder, body):
    """The first diagnostic; its line is counted in `body` (the header is line 1)."""
    with pytest.raises(SpecError) as info:
        compile_file(folder, body)
    return info.value.diagnostics[0]


def line_of(body, text):
    return 1 + next(i for i, line in enumerate(body.splitlines(), 1) if text in line)


# ---- 1. a row is read by its header ----

def test_a_row_read_aligns_columns_to_the_set_by_header(tmp_path):
    """The file lists 30Y first: the 5Y yield must be the 5Y column, not the first one."""
    (tmp_path / "y.csv").write_text("date,30Y,10Y,5Y,1Y\n2024-01-02,4.5,4.1,3.9,5.0\n"
                                    "2024-01-03,4.6,4.2,3.8,5.1\n")
    body = TENORS + 'param y[tenor] = csv("y.csv", row = last)\n' + OBJECTIVE
    assert values(compile_file(tmp_path, body), "y").tolist() == [3.8, 4.2, 4.6]
    first = body.replace("row = last", "row = first")
    assert values(compile_file(tmp_path, first), "y").tolist() == [3.9, 4.1, 4.5]
    by_label = body.replace("row = last", 'row = "2024-01-02"')
    assert values(compile_file(tmp_path, by_label), "y").tolist() == [3.9, 4.1, 4.5]


def test_a_row_read_without_a_column_for_a_label_is_located(tmp_path):
    (tmp_path / "y.csv").write_text("date,30Y,10Y\n2024-01-02,4.5,4.1\n")
    body = TENORS + 'param y[tenor] = csv("y.csv", row = last)\n' + OBJECTIVE
    diag = error_of(tmp_path, body)
    assert diag.code == "E503" and "'5Y'" in diag.message and "y.csv" in diag.message
    assert diag.span.line == line_of(body, "csv(")
    assert "columns = [" in diag.help


def test_columns_still_name_the_file_columns_in_the_set_order(tmp_path):
    (tmp_path / "y.csv").write_text("Date,30 YR,10 YR,5 YR\n01/02/2024,4.5,4.1,3.9\n")
    body = TENORS + ('param y[tenor] = csv("y.csv", row = last, columns = ["5 YR", "10 YR", '
                     '"30 YR"])\n') + OBJECTIVE
    assert values(compile_file(tmp_path, body), "y").tolist() == [3.9, 4.1, 4.5]
    diag = error_of(tmp_path, body.replace('"10 YR", "30 YR"', '"10 YR"'))
    assert diag.code == "E504"  # two columns for three labels


def test_a_row_read_with_a_column_named_twice_is_refused(tmp_path):
    (tmp_path / "y.csv").write_text("date,5Y,10Y,30Y,5Y\n2024-01-02,3.9,4.1,4.5,9.9\n")
    body = TENORS + 'param y[tenor] = csv("y.csv", row = last)\n' + OBJECTIVE
    diag = error_of(tmp_path, body)
    assert diag.code == "E504" and "'5Y'" in diag.message and "y.csv" in diag.message
    assert diag.span.line == line_of(body, "csv(")


def test_a_wide_file_is_read_for_the_columns_the_set_needs(tmp_path):
    """20,000 other columns (one of them text): only the set's three are converted."""
    extra = [f"x{k}" for k in range(20_000)]
    header = ",".join(["date", *extra, "5Y", "10Y", "30Y"])
    row = ",".join(["2024-01-02", "n/a", *["1"] * (len(extra) - 1), "3.9", "4.1", "4.5"])
    (tmp_path / "y.csv").write_text(header + "\n" + row + "\n")
    body = TENORS + 'param y[tenor] = csv("y.csv", row = last)\n' + OBJECTIVE
    assert values(compile_file(tmp_path, body), "y").tolist() == [3.9, 4.1, 4.5]


def test_a_table_of_the_wrong_shape_is_refused_before_its_cells_are_read(tmp_path):
    """A 2-D read whose size does not fit the sets is E504, not a complaint about a cell."""
    (tmp_path / "m.csv").write_text("k,1,2,3\na,1,2,x\nb,4,5,6\nc,7,8,9\n")
    body = ('set r = ["a", "b"]\nset c = [1, 2, 3]\nparam m[r, c] = csv("m.csv")\n'
            "variable v\nminimize o: v\nsubject to\n    lo: v >= sum(m)\n")
    assert error_of(tmp_path, body).code == "E504"


# ---- 2. a date column is read in one format ----

ROLLING = """set day = csv("p.csv"{dates}).date
series r[day] = csv("p.csv").r
variable w >= 0 <= 1
maximize o: sum(r) * w
rebalance every month on day
"""


def _prices(folder, dates):
    frame = pd.DataFrame({"date": dates, "r": np.linspace(0.01, 0.02, len(dates))})
    frame.to_csv(folder / "p.csv", index=False)


def test_a_day_first_column_keeps_its_twelve_months(tmp_path):
    """`13/12/2024` says the file is day-first: 01/02 ... 01/12 are months, not January."""
    days = [f"01/{m:02d}/2024" for m in range(1, 13)] + ["13/12/2024"]
    _prices(tmp_path, days)
    rolling = compile_file(tmp_path, ROLLING.format(dates=""))
    assert isinstance(rolling, RollingModel)
    assert len(rolling) == 12  # one window per month: Jan ... Dec
    assert [len(p) for p in rolling.positions] == [1] * 11 + [2]


def test_an_ambiguous_date_column_is_refused_until_its_format_is_given(tmp_path):
    days = [f"01/{m:02d}/2024" for m in range(1, 13)]  # every label fits both orders
    _prices(tmp_path, days)
    body = ROLLING.format(dates="")
    diag = error_of(tmp_path, body)
    assert diag.code == "E508" and "01/02/2024" in diag.message
    assert "dates = " in diag.help
    assert diag.span.line == line_of(body, "set day")  # at the csv(...) that read them
    day_first = compile_file(tmp_path, ROLLING.format(dates=', dates = "%d/%m/%Y"'))
    assert len(day_first) == 12
    month_first = compile_file(tmp_path, ROLLING.format(dates=', dates = "%m/%d/%Y"'))
    assert len(month_first) == 1  # 2 ... 12 January: the user said so


def test_a_given_format_is_checked_against_every_label(tmp_path):
    _prices(tmp_path, ["01/02/2024", "13/12/2024"])
    body = ROLLING.format(dates=', dates = "%m/%d/%Y"')
    diag = error_of(tmp_path, body)
    assert diag.code == "E508" and "13/12/2024" in diag.message and "row 2" in diag.message
    assert diag.span.line == line_of(body, "set day")


def test_iso_dates_are_read_as_before(tmp_path):
    _prices(tmp_path, [str(d.date()) for d in pd.date_range("2024-01-01", "2024-03-31")])
    rolling = compile_file(tmp_path, ROLLING.format(dates=""))
    assert [len(p) for p in rolling.positions] == [31, 29, 31]


def test_dates_and_index_apply_only_where_they_mean_something(tmp_path):
    (tmp_path / "y.csv").write_text("tenor,y\n5Y,1\n10Y,2\n30Y,3\n")
    for keyword in ('dates = "%d/%m/%Y"', "index = 1"):
        body = TENORS + f'param y[tenor] = csv("y.csv", {keyword})\n' + OBJECTIVE
        diag = error_of(tmp_path, body)
        assert diag.code == "E208" and diag.span.line == line_of(body, "csv(")


# ---- 3. repeated, blank and odd labels ----

def test_a_row_label_given_twice_is_refused(tmp_path):
    (tmp_path / "y.csv").write_text("date,5Y,10Y,30Y\n2024-01-02,1,2,3\n2024-01-03,4,5,6\n"
                                    "2024-01-02,7,8,9\n")
    body = TENORS + 'param y[tenor] = csv("y.csv", row = "2024-01-02")\n' + OBJECTIVE
    diag = error_of(tmp_path, body)
    assert diag.code == "E504" and "'2024-01-02'" in diag.message and "y.csv" in diag.message
    assert "rows 1 and 3" in diag.message


@pytest.mark.parametrize("keys", ["5Y,10Y,5Y", "1,2,2"])
def test_a_key_given_twice_is_refused_for_text_and_number_labels(tmp_path, keys):
    first, second, third = keys.split(",")
    (tmp_path / "y.csv").write_text(f"k,y\n{first},1\n{second},2\n{third},3\n")
    labels = '["5Y", "10Y", "30Y"]' if first == "5Y" else "1..3"
    body = (f"set tenor = {labels}\nparam y[tenor] = csv(\"y.csv\")\n" + OBJECTIVE)
    diag = error_of(tmp_path, body)
    assert diag.code == "E504" and f"'{third}'" in diag.message and "rows" in diag.message
    assert diag.span.line == line_of(body, "csv(")


def test_a_column_named_twice_is_refused_where_it_is_read(tmp_path):
    (tmp_path / "t.csv").write_text("tenor,y,y,z\n5Y,1,9,0\n10Y,2,9,0\n30Y,3,9,0\n")
    body = (TENORS + 'set tenor2 = tenor\nparam y[tenor] = csv("t.csv").y\n' + OBJECTIVE)
    diag = error_of(tmp_path, body)
    assert diag.code == "E504" and "'y'" in diag.message and "t.csv" in diag.message
    ok = body.replace("csv(\"t.csv\").y", "csv(\"t.csv\").z + 1")
    assert values(compile_file(tmp_path, ok), "y").tolist() == [1, 1, 1]
    (tmp_path / "c.csv").write_text("tenor,5Y,10Y,5Y\n5Y,1,2,3\n10Y,4,5,6\n30Y,7,8,9\n")
    matrix = (TENORS + 'set tenor2 = ["5Y", "10Y"]\nparam c[tenor, tenor2] = csv("c.csv")\n'
              "variable v\nminimize o: v\nsubject to\n    lo: v >= sum(c)\n")
    diag = error_of(tmp_path, matrix)
    assert diag.code == "E504" and "'5Y'" in diag.message and "columns 1 and 3" in diag.message


def test_na_is_a_label_and_a_blank_label_is_refused(tmp_path):
    """"NA" (North America) is text, aligned like any label; an empty cell is no label."""
    (tmp_path / "r.csv").write_text("region,w\nEU,1\nNA,2\nAPAC,3\n")
    (tmp_path / "c.csv").write_text("region,c\nAPAC,30\nNA,20\nEU,10\n")
    body = ('set region = csv("r.csv").region\nparam c[region] = csv("c.csv").c\n'
            "variable x[region] >= 0 <= 1\nmaximize o: sum(c * x)\n")
    compiled = compile_file(tmp_path, body)
    assert compiled.bindings.labels_of(compiled.model.symbols["region"]) == ["EU", "NA",
                                                                             "APAC"]
    assert values(compiled, "c").tolist() == [10, 20, 30]
    (tmp_path / "r.csv").write_text("region,w\nEU,1\n,2\nAPAC,3\n")
    diag = error_of(tmp_path, body)
    assert diag.code == "E504" and "row 2" in diag.message and "r.csv" in diag.message
    assert "'region'" in diag.message and diag.span.line == line_of(body, "set region")


@pytest.mark.parametrize("cell", ["", "NA", "N/A", "null"])
def test_a_missing_number_is_located(tmp_path, cell):
    (tmp_path / "y.csv").write_text(f"tenor,y\n5Y,1\n10Y,{cell}\n30Y,3\n")
    body = TENORS + 'param y[tenor] = csv("y.csv").y\n' + OBJECTIVE
    diag = error_of(tmp_path, body)
    assert diag.code == "E505" and "no value" in diag.message
    assert "row 2 ('10Y')" in diag.message and "'y'" in diag.message
    assert diag.span.line == line_of(body, "csv(")


def test_a_true_false_column_is_not_read_as_one_and_zero(tmp_path):
    (tmp_path / "b.csv").write_text("tenor,flag\n5Y,True\n10Y,False\n30Y,TRUE\n")
    body = TENORS + 'param y[tenor] = csv("b.csv").flag\n' + OBJECTIVE
    diag = error_of(tmp_path, body)
    assert diag.code == "E505" and "'True'" in diag.message and "'flag'" in diag.message
    assert "row 1 ('5Y')" in diag.message and "b.csv" in diag.message
    assert diag.span.line == line_of(body, "csv(") and "1 or 0" in diag.help
    (tmp_path / "b.csv").write_text("tenor,flag\n5Y,1\n10Y,0\n30Y,1\n")
    assert values(compile_file(tmp_path, body), "y").tolist() == [1, 0, 1]


def test_text_labels_are_read_as_written(tmp_path):
    """A label column keeps its text: "TRUE" stays "TRUE", "NA" stays "NA"."""
    (tmp_path / "b.csv").write_text("tenor,flag\n5Y,yes\n10Y,NA\n30Y,TRUE\n")
    body = (TENORS + 'param flag[tenor] = csv("b.csv").flag\n'
            'param y[tenor] = indicator(flag == "TRUE") + 2 * indicator(flag == "NA")\n'
            + OBJECTIVE)
    assert values(compile_file(tmp_path, body), "y").tolist() == [0, 2, 1]


def test_a_set_read_with_a_repeated_label_names_the_rows(tmp_path):
    (tmp_path / "s.csv").write_text("id\na\nb\na\n")
    body = 'set s = csv("s.csv").id\nvariable x[s]\nminimize o: sum(x)\n'
    diag = error_of(tmp_path, body)
    assert diag.code == "E504" and "rows 1 and 3" in diag.message and "'a'" in diag.message


# ---- 4. compressed files: read up to a limit ----

def test_a_gzipped_file_is_read(tmp_path):
    with gzip.open(tmp_path / "y.csv.gz", "wt") as out:
        out.write("tenor,y\n30Y,3\n5Y,1\n10Y,2\n")
    body = TENORS + 'param y[tenor] = csv("y.csv.gz")\n' + OBJECTIVE
    assert values(compile_file(tmp_path, body), "y").tolist() == [1, 2, 3]


def test_a_compression_bomb_stops_at_the_limit(tmp_path, monkeypatch):
    """64 MB of text in ~100 KB of gzip: refused after 1 MB, never held whole."""
    monkeypatch.setattr(csv_files, "MAX_CSV_BYTES", 2**20)
    line = b"5Y,1\n"
    with gzip.open(tmp_path / "big.csv.gz", "wb") as out:
        out.write(b"tenor,y\n")
        for _ in range(64):
            out.write(line * (2**20 // len(line)))
    assert (tmp_path / "big.csv.gz").stat().st_size < 2**20
    body = TENORS + 'param y[tenor] = csv("big.csv.gz")\n' + OBJECTIVE
    tracemalloc.start()
    try:
        diag = error_of(tmp_path, body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert diag.code == "E508" and "big.csv.gz" in diag.message and "1 MB" in diag.message
    assert diag.span.line == line_of(body, "csv(")
    assert peak < 32 * 2**20


def test_a_plain_file_over_the_limit_and_an_archive_are_refused(tmp_path, monkeypatch):
    (tmp_path / "y.csv").write_text("tenor,y\n5Y,1\n10Y,2\n30Y,3\n" + "#" * 4096)
    monkeypatch.setattr(csv_files, "MAX_CSV_BYTES", 1024)
    body = TENORS + 'param y[tenor] = csv("y.csv")\n' + OBJECTIVE
    assert error_of(tmp_path, body).code == "E508"
    with zipfile.ZipFile(tmp_path / "y.zip", "w") as archive:
        archive.writestr("y.csv", "tenor,y\n5Y,1\n10Y,2\n30Y,3\n")
    diag = error_of(tmp_path, body.replace("y.csv", "y.zip"))
    assert diag.code == "E508" and "gzip" in diag.help


def test_check_refuses_an_ambiguous_time_set_as_a_process(tmp_path):
    """`saddle check` said ok while twelve monthly windows had collapsed into one."""
    from test_cli_process import run

    _prices(tmp_path, [f"01/{m:02d}/2024" for m in range(1, 13)])
    model = tmp_path / "m.saddle"
    model.write_text('model m "dates"\n' + ROLLING.format(dates=""))
    done = run("check", str(model))
    assert done.returncode == 1 and "E508" in done.stderr and "dates = " in done.stderr


def test_a_python_series_with_a_label_twice_is_refused():
    """params= with a Series whose index repeats a label kept the last value silently."""
    from compiler import loads

    model = loads('model m "t"\nset asset = ["a", "b"]\nparam mu[asset] = [1, 2]\n'
                  'variable w[asset] >= 0 <= 1\nmaximize r: sum(mu * w)\n')
    with pytest.raises(SpecError) as info:
        compile_model(model, params={"mu": pd.Series([1.0, 5.0, 2.0], index=["a", "a", "b"])})
    assert info.value.diagnostics[0].code == "E504"
    assert "'a' more than once" in info.value.diagnostics[0].message
    # a label outside the set is still left out, as pandas aligns by label
    result = compile_model(model, params={"mu": pd.Series({"a": 1.0, "b": 2.0, "c": 9.0})}
                           ).solve()
    assert result.objective == pytest.approx(3.0, abs=1e-7)


def test_a_trailing_comma_and_a_semicolon_file_say_what_is_wrong(tmp_path):
    """A new user's trial: pandas' 'Unnamed: 5' was shown as a label, and a ';' file's
    whole line was called a label with no word on the separator."""
    body = ('set asset = ["SPX", "TLT"]\nset draw = 1..2\n'
            'param r[draw, asset] = csv("r.csv")\nvariable w[asset] >= 0\n'
            'minimize o: sum(r @ w)\n')
    (tmp_path / "r.csv").write_text("draw,SPX,TLT,\n1,0.01,0.02,\n2,0.03,0.04,\n")
    found = error_of(tmp_path, body)
    assert found.code == "E504" and "column 4 has no name" in found.message
    assert "trailing comma" in found.help and "Unnamed" not in found.message
    (tmp_path / "r.csv").write_text("draw;SPX;TLT\n1;0.01;0.02\n2;0.03;0.04\n")
    found = error_of(tmp_path, body)
    assert found.code == "E504" and "separated by ';'" in found.help
