"""Where independent solves run: in this process, on a local process pool, or on a Dask
cluster. No scheduler of our own: `concurrent.futures` and `dask.distributed` do the work.

A `Job` carries the model's text and options, never cvxpy objects: each worker parses and
compiles it itself (data files are cached per process), so any engine can ship it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from dsl import ast, parse
from dsl.source import source_folder

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Job:
    """A model and how to compile it: all a worker needs, and picklable."""

    compile_model: Callable[..., Any]  # compiler.pipeline.compile_model (picklable by name)
    text: str
    name: str
    base_dir: str | None = None
    data_dir: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    every: str | None = None
    solver: str | None = None
    backend: str = "auto"  # robust models: forced the same way in every worker

    @classmethod
    def of_command(cls, compile_model: Callable[..., Any], args: Any,
                   params: dict[str, Any]) -> Job:
        """The job of a `saddle solve|plot` command line (the file read again by path)."""
        path = Path(args.file)
        return cls(compile_model, path.read_text(encoding="utf-8-sig"), args.file,
                   str(path.resolve().parent), args.data, params, args.every, args.solver,
                   args.backend)

    @classmethod
    def of(cls, compile_model: Callable[..., Any], model: ast.Model, **options: Any) -> Job:
        """The job of a parsed model; its folder is the model file's, unless given."""
        source = model.span.source
        options.setdefault("base_dir", None)
        if options["base_dir"] is None:
            options["base_dir"] = str(source_folder(source.name))
        return cls(compile_model, source.text, source.name, **options)

    def compile(self, extra_params: dict[str, Any] | None = None) -> Any:
        params = {**self.params, **(extra_params or {})}
        return self.compile_model(parse(self.text, self.name), params=params,
                             data_dir=self.data_dir, base_dir=self.base_dir, every=self.every,
                             backend=self.backend)


class Engine:
    """Runs a function over items and returns the results in order."""

    description = "in this process"

    def map(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        return [function(item) for item in items]

    @property
    def parallel(self) -> bool:
        return False


class LocalPool(Engine):
    """A local process pool of `workers` processes."""

    def __init__(self, workers: int):
        self.workers = max(1, workers)
        self.description = f"on a local pool of {self.workers} processes"

    @property
    def parallel(self) -> bool:
        return self.workers > 1

    def map(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if not self.parallel or len(items) <= 1:
            return [function(item) for item in items]
        with ProcessPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
            return list(pool.map(function, items))


class DaskEngine(Engine):
    """A Dask distributed cluster, by scheduler address or an existing `Client`."""

    def __init__(self, scheduler: str | Any):
        self.scheduler = scheduler
        name = scheduler if isinstance(scheduler, str) else "a Dask client"
        self.description = f"on the Dask cluster at {name}"

    @property
    def parallel(self) -> bool:
        return True

    def map(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        try:
            from distributed import Client
        except ImportError as exc:
            raise RuntimeError("the Dask engine needs dask.distributed: pip install "
                               "'saddle-lang[dask]'") from exc
        if isinstance(self.scheduler, str):
            with Client(self.scheduler) as client:
                return list(client.gather(client.map(function, items, pure=False)))
        return list(self.scheduler.gather(self.scheduler.map(function, items, pure=False)))


def make_engine(engine: str = "local", workers: int | None = None,
                scheduler: str | None = None) -> Engine:
    """`local` (a process pool when workers > 1, else this process) or `dask`."""
    if engine == "dask":
        if not scheduler:
            raise ValueError("the Dask engine needs --scheduler ADDRESS (tcp://host:8786)")
        return DaskEngine(scheduler)
    if engine != "local":
        raise ValueError(f"unknown engine '{engine}': use local or dask")
    return LocalPool(workers or 1) if (workers or 1) > 1 else Engine()


def default_workers() -> int:
    return os.cpu_count() or 1
