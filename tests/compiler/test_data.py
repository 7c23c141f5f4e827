"""csv(...) and the folder sandbox: reads only below the model's folder or --data."""

import pandas as pd
import pytest

from compiler import compile_model, loads
from dsl import SpecError

BODY = """model m "data"
set tenor = ["5Y", "10Y"]
param y[tenor] = {value}
variable w[tenor] >= 0 <= 1
maximize o: sum(y * w)
"""


def compile_in(folder, value, **kwargs):
    text = BODY.format(value=value)
    return compile_model(loads(text, str(folder / "m.saddle")), base_dir=folder, **kwargs)


def test_two_column_csv_aligns_by_label(tmp_path):
    (tmp_path / "y.csv").write_text("tenor,y\n10Y,0.04\n5Y,0.03\n")
    compiled = compile_in(tmp_path, 'csv("y.csv")')
    assert compiled.bindings.values[compiled.model.symbols["y"]].tolist() == [0.03, 0.04]


def test_row_and_columns_select_a_record(tmp_path):
    (tmp_path / "y.csv").write_text("Date,5 YR,10 YR\n01/03/2024,1.5,1.6\n01/02/2024,1.7,1.8\n")
    compiled = compile_in(tmp_path, 'csv("y.csv", row = last, columns = ["5 YR", "10 YR"])')
    assert compiled.bindings.values[compiled.model.symbols["y"]].tolist() == [1.7, 1.8]
    compiled = compile_in(tmp_path, 'csv("y.csv", row = "01/03/2024", columns = ["10 YR", '
                                    '"5 YR"]) / 100')
    assert compiled.bindings.values[compiled.model.symbols["y"]].tolist() == [0.016, 0.015]


def test_a_path_outside_the_allowed_folders_is_refused(tmp_path):
    inner = tmp_path / "models"
    inner.mkdir()
    (tmp_path / "secret.csv").write_text("tenor,y\n5Y,1\n10Y,2\n")
    with pytest.raises(SpecError) as info:
        compile_in(inner, 'csv("../secret.csv")')
    assert info.value.codes == ["E502"]


def test_data_dir_replaces_the_model_folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "y.csv").write_text("tenor,y\n5Y,0.01\n10Y,0.02\n")
    compiled = compile_in(tmp_path, 'csv("y.csv")', data_dir=data)
    assert compiled.bindings.values[compiled.model.symbols["y"]].tolist() == [0.01, 0.02]


def test_data_errors_are_located(tmp_path):
    (tmp_path / "bad.csv").write_text("tenor,y\n5Y,abc\n10Y,0.02\n")
    (tmp_path / "short.csv").write_text("tenor,y\n5Y,0.01\n")
    cases = {'csv("missing.csv")': "E501", 'csv("bad.csv")': "E505",
             'csv("short.csv")': "E504", 'csv("bad.csv").nope': "E503"}
    for value, code in cases.items():
        with pytest.raises(SpecError) as info:
            compile_in(tmp_path, value)
        assert info.value.codes[0] == code, value
        assert info.value.diagnostics[0].span.line == 3


def test_pandas_overrides_align_by_label(tmp_path):
    series = pd.Series({"10Y": 0.05, "5Y": 0.01})
    compiled = compile_in(tmp_path, "[0, 0]", params={"y": series})
    assert compiled.bindings.values[compiled.model.symbols["y"]].tolist() == [0.01, 0.05]
    with pytest.raises(SpecError) as info:
        compile_in(tmp_path, "[0, 0]", params={"y": pd.Series({"5Y": 1.0})})
    assert info.value.codes == ["E504"]
    with pytest.raises(SpecError) as info:
        compile_in(tmp_path, "[0, 0]", params={"yy": 1.0})
    assert info.value.codes == ["E507"] and "did you mean 'y'" in info.value.diagnostics[0].help
