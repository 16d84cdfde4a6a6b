"""The architectures ``minidl bench --model NAME`` times besides the default MLP.

Each lives in its own module (``minidl.bench.<name>``) that defines ``MODEL``, a
``BenchModel``: how to describe the setup, how to build its contestants (each a
``run()`` that trains over the given samples once) and which of them the ratio columns
are taken against. The modules are imported only when asked for, so one model's
contestants (which may build PyTorch twins) cost nothing to the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

BENCH_MODULES = {"cnn": "minidl.bench.cnn", "lstm": "minidl.bench.lstm", "vit": "minidl.bench.vit"}


@dataclass(frozen=True)
class BenchModel:
    """One benchmarked architecture.

    ``describe(batch_size, dtype)``: the line under the machine header saying what is timed.
    ``contestants(x, y, batch_size, dtype, seed, threads, use_torch)``: ``name → run()`` over
    the flat Fashion-MNIST rows ``x`` (N, 784) and labels ``y``; every contestant trains the
    same architecture from the same weights on the same batches in the same order.
    ``references``: the ratio columns, ``label → contestant`` (absent contestants are skipped).
    ``default_limit``: samples per timed round when ``--limit`` is not given.
    """

    describe: Callable[[int, str], str]
    contestants: Callable[..., dict]
    references: dict
    default_limit: int


def bench_model(name: str) -> BenchModel:
    """The ``BenchModel`` called ``name`` (one of ``BENCH_MODULES``)."""
    return importlib.import_module(BENCH_MODULES[name]).MODEL
