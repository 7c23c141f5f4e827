"""Engines: a local process pool and a Dask cluster give exactly the serial answers."""

from pathlib import Path

import distributed
import pandas as pd
import pytest

from compiler import DaskEngine, LocalPool, compile_model, load, sweep
from compiler.cli import main
from compiler.rolling.engines import Engine, make_engine

ROOT = Path(__file__).resolve().parents[2]
CDS = ROOT / "models" / "cds_hedge.saddle"
TREASURY = ROOT / "models" / "treasury.saddle"


@pytest.fixture(scope="module")
def serial_loop():
    return compile_model(load(CDS), every="quarter").solve(strategy="loop").table


@pytest.fixture(scope="module")
def serial_sweep():
    return sweep(load(TREASURY), "cvar_limit", [0.2, 0.4], params={"min_weight": 0}).table


def test_local_pool_equals_serial(serial_loop, serial_sweep):
    pool = LocalPool(2)
    rolled = compile_model(load(CDS), every="quarter").solve(strategy="loop", engine=pool)
    pd.testing.assert_frame_equal(rolled.table, serial_loop)
    assert any("local pool of 2 processes" in n for n in rolled.notes)
    swept = sweep(load(TREASURY), "cvar_limit", [0.2, 0.4], params={"min_weight": 0},
                  engine=pool)
    pd.testing.assert_frame_equal(swept.table, serial_sweep)


def test_dask_cluster_equals_serial(serial_loop, serial_sweep, capsys):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as cluster, \
            distributed.Client(cluster) as client:
        engine = DaskEngine(client)
        rolled = compile_model(load(CDS), every="quarter").solve(strategy="loop",
                                                                 engine=engine)
        pd.testing.assert_frame_equal(rolled.table, serial_loop)
        swept = sweep(load(TREASURY), "cvar_limit", [0.2, 0.4], params={"min_weight": 0},
                      engine=engine)
        pd.testing.assert_frame_equal(swept.table, serial_sweep)
        # and through the command line, by scheduler address
        assert main(["solve", str(CDS), "--every", "quarter", "--strategy", "loop",
                     "--engine", "dask", "--scheduler", cluster.scheduler_address,
                     "--format", "csv"]) == 0
        assert "2024-12-31" in capsys.readouterr().out


def test_engine_choice():
    assert type(make_engine("local", 1)) is Engine
    assert make_engine("local", 3).workers == 3
    with pytest.raises(ValueError):
        make_engine("dask")
    with pytest.raises(ValueError):
        make_engine("spark")


def test_a_command_lines_job_keeps_the_backend(tmp_path):
    """`--sweep` with `--backend dsp`: every worker compiles the saddle-point form."""
    import argparse

    from compiler.pipeline import compile_model
    from compiler.rolling.engines import Job

    args = argparse.Namespace(file="models/robust_mean.saddle", data=None, every=None,
                              solver=None, backend="dsp")
    job = Job.of_command(compile_model, args, {"gamma": 3.0})
    compiled = job.compile()
    assert job.backend == "dsp" and compiled.backend == "dsp"
