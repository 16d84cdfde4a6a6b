"""Input checks shared by the public edges of the library.

Each helper raises an exception whose message names the module (``where``),
what was expected and what arrived, so a student sees the mistake in their
own terms instead of a numpy broadcasting traceback from deep inside.
"""

from __future__ import annotations

import numbers

import numpy as np

FLOAT_DTYPES = ("float16", "float32", "float64")


def as_generator(rng) -> np.random.Generator:
    """Turn ``rng`` (None, an int seed or a Generator) into a numpy Generator.

    ``None`` draws fresh OS entropy, like an unseeded PyTorch layer; pass a seed
    for reproducible results. The global ``np.random`` state is never touched.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be None, an int seed or a numpy Generator, got {type(rng).__name__}")


def as_float_dtype(dtype, where: str) -> np.dtype:
    """Return ``dtype`` as a numpy floating dtype, or raise naming the choices."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.name not in FLOAT_DTYPES:
        raise TypeError(f"{where}: dtype must be one of {', '.join(FLOAT_DTYPES)}, got {dtype!r}")
    return resolved


def as_array(x, where: str) -> np.ndarray:
    """Convert ``x`` to an ndarray of real numbers, refusing strings, objects and complex."""
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: expected an array of real numbers, got dtype {array.dtype}")
    return array


def positive_int(value, name: str, where: str) -> int:
    """Check that ``value`` is a positive integer (booleans refused) and return it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}")
    return int(value)


def check_shape(array: np.ndarray, expected: tuple, where: str, what: str = "input") -> None:
    """Raise ``ValueError`` unless ``array.shape`` matches ``expected``.

    ``expected`` may hold ``None`` for a free dimension (printed as ``N``).
    """
    ok = array.ndim == len(expected) and all(
        e is None or e == s for e, s in zip(expected, array.shape)
    )
    if not ok:
        shown = "(" + ", ".join("N" if e is None else str(e) for e in expected)
        shown += ",)" if len(expected) == 1 else ")"
        raise ValueError(f"{where}: expected {what} of shape {shown}, got {array.shape}")
