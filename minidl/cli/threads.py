"""BLAS threads for the commands: report them, and set them with ``--threads``.

numpy's BLAS (OpenBLAS here) reads its thread count once, when numpy is imported,
from ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS``; by default
it uses every core. threadpoolctl can change it later but is not a dependency, so
``--threads N`` runs the same command again in a child process with those variables
set. Setting them yourself (``OPENBLAS_NUM_THREADS=1 minidl train``) does the same.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from ..training.callbacks import Callback

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def blas_info() -> tuple[str, int]:
    """The BLAS library numpy uses, and its thread count (from the environment, else all cores)."""
    config = np.show_config(mode="dicts") or {}
    blas = config.get("Build Dependencies", {}).get("blas", {})
    name = f"{blas.get('name', 'unknown BLAS')} {blas.get('version', '')}".strip()
    for variable in THREAD_VARIABLES:
        value = os.environ.get(variable, "")
        if value.isdigit() and int(value) > 0:
            return name, int(value)
    return name, os.cpu_count() or 1


def threads_from_flag(args, parser) -> int | None:
    """Honour ``--threads N``: the exit status of the command rerun with N threads, or None to
    go on here (no flag, or already running with N)."""
    if args.threads is None:
        return None
    if args.threads < 1:
        parser.error(f"--threads must be ≥ 1, got {args.threads}")
    return rerun_with_threads(args.threads)


def rerun_with_threads(threads: int) -> int | None:
    """Run this command again with ``threads`` BLAS threads; None if already so configured."""
    if os.environ.get("OPENBLAS_NUM_THREADS") == str(threads):
        return None
    env = dict(os.environ, **{variable: str(threads) for variable in THREAD_VARIABLES})
    return subprocess.call([sys.executable, "-m", "minidl", *sys.argv[1:]], env=env)


class ThreadCollapseWatch(Callback):
    """Warn once when an epoch runs far slower than the first one did.

    A multi-threaded BLAS on cores another process is using can slow down tenfold (its
    threads wait for each other); one thread does not. Every epoch does the same work, so
    the first one is the reference: an epoch ``SLOWDOWN``× slower than it, with more than
    one BLAS thread, gets the hint.
    """

    SLOWDOWN = 4.0

    def __init__(self, log, threads: int | None = None):
        self.log = log
        self.threads = blas_info()[1] if threads is None else threads
        self.reference, self.warned = None, False

    def on_epoch_end(self, trainer, record: dict) -> None:
        seconds = record["seconds"]
        if self.reference is None:
            self.reference = max(seconds, 1e-9)
            return
        if self.warned or self.threads <= 1 or seconds < self.SLOWDOWN * self.reference:
            return
        self.warned = True
        self.log(f"warning: epoch {record['epoch']} ran {seconds / self.reference:.0f}× slower than "
                 f"epoch 1 with {self.threads} BLAS threads; another process may be using the cores, "
                 "which stalls a multi-threaded BLAS. Try --threads 1 (README, Performance)")
