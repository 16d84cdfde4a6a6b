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


def rerun_with_threads(threads: int) -> int | None:
    """Run this command again with ``threads`` BLAS threads; None if already so configured."""
    if os.environ.get("OPENBLAS_NUM_THREADS") == str(threads):
        return None
    env = dict(os.environ, **{variable: str(threads) for variable in THREAD_VARIABLES})
    return subprocess.call([sys.executable, "-m", "minidl", *sys.argv[1:]], env=env)
