"""Central finite differences: the first, model-free opinion on a gradient.

``∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / 2h`` has truncation error O(h²)
and rounding error O(ε/h) (ε = machine epsilon), so the best step balances
them at ``h ≈ ∛ε · max(1, |x_i|)`` — about 6e-6 in float64
(``backprop-calculus-curriculum.md`` §8). In float32 that step is ~5e-3 and
the estimate only agrees to ~1e-3: good for finding gross bugs, too coarse to
prove a backward right, hence the warning. float16 is refused outright.
"""

from __future__ import annotations

import warnings

import numpy as np

# (rtol, atol floor) of finite-difference checks per dtype; report.py says how they apply.
TOLERANCES = {
    np.dtype("float64"): (1e-6, 1e-3),
    np.dtype("float32"): (2e-2, 1e-1),
}


def tolerances(dtype, rtol=None, atol=None, table=TOLERANCES) -> tuple[float, float]:
    """``(rtol, atol)``: the given values, or the defaults ``table`` holds for ``dtype``."""
    default_rtol, default_atol = table[np.dtype(dtype)]
    return (default_rtol if rtol is None else rtol, default_atol if atol is None else atol)


class PrecisionWarning(UserWarning):
    """Finite differences run in a precision too low to certify a gradient."""


def default_eps(x: np.ndarray) -> np.ndarray:
    """Per-element step ``∛ε · max(1, |x|)`` for ``x``'s dtype."""
    cbrt_eps = np.cbrt(np.finfo(x.dtype).eps)
    return cbrt_eps * np.maximum(1.0, np.abs(x))


def check_precision(x: np.ndarray, where: str = "numerical_grad") -> None:
    """Refuse float16 and warn on float32 (see the module docstring)."""
    if x.dtype == np.float16:
        raise TypeError(f"{where}: float16 is too coarse for finite differences; use float64")
    if x.dtype == np.float32:
        warnings.warn(
            f"{where}: finite differences in float32 agree only to ~1e-3; "
            "run gradient checks in float64 (dtype='float64') to certify a backward",
            PrecisionWarning, stacklevel=3,
        )
    if x.dtype.kind != "f":
        raise TypeError(f"{where}: expected a floating-point array, got {x.dtype}")


def central_differences(f, x: np.ndarray, eps=None):
    """Perturb each element of ``x`` in place (and restore it) to evaluate ``f`` at ±h.

    Returns ``(f_plus, f_minus, h)``, arrays of x's shape, so callers can form the
    central difference and, where needed, the one-sided ones.
    """
    h = default_eps(x) if eps is None else np.broadcast_to(np.asarray(eps, dtype=x.dtype), x.shape)
    f_plus = np.empty(x.shape, dtype=np.float64)
    f_minus = np.empty(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h[index]
        f_plus[index] = f(x)
        x[index] = original - h[index]
        f_minus[index] = f(x)
        x[index] = original
    return f_plus, f_minus, np.asarray(h, dtype=np.float64)


def numerical_grad(f, x, eps=None) -> np.ndarray:
    """Estimate ∇f(x) by central differences.

    Args:
        f: a function of the array ``x`` returning a scalar. ``x`` is perturbed in
            place and restored, so ``f`` may also read it through a closure.
        x: a floating-point ndarray (float64 recommended; float32 warns, float16 raises).
        eps: step size (scalar or per element); default ``∛ε · max(1, |x|)``.

    Returns:
        An array of ``x``'s shape.

    Example:
        >>> numerical_grad(lambda v: float((v ** 2).sum()), np.array([1.0, -2.0]))
        array([ 2., -4.])
    """
    if not isinstance(x, np.ndarray):
        raise TypeError("numerical_grad: x must be a numpy array (it is perturbed in place)")
    check_precision(x)
    f_plus, f_minus, h = central_differences(f, x, eps)
    return ((f_plus - f_minus) / (2 * h)).astype(x.dtype, copy=False)
