"""Finite differences: the first, model-free opinion on a gradient (central by default).

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


# Each scheme's truncation order p (error ~ C·h^p) and default step, the h balancing that
# truncation against rounding (~ε/h): h ≈ ε^(1/(p+1)) · max(1, |x|).
SCHEMES = {"forward": 1, "central": 2, "fourth": 4, "richardson": 4, "complex": None}


def scheme_eps(x: np.ndarray, scheme: str) -> np.ndarray:
    """The default per-element step of ``scheme`` for ``x``'s dtype (see SCHEMES)."""
    order = SCHEMES[scheme]
    if order is None:  # the complex step has no subtraction, so no cancellation: h can be tiny
        return np.full(x.shape, 1e-20)
    return np.finfo(x.dtype).eps ** (1.0 / (order + 1)) * np.maximum(1.0, np.abs(x))


def _shifted(f, x, index, offsets, h):
    """f at x with element ``index`` moved by each multiple of h in ``offsets`` (restored)."""
    original, values = x[index], []
    for k in offsets:
        x[index] = original + k * h
        values.append(float(np.real(f(x))))
    x[index] = original
    return values


def _estimate(f, x, index, h, scheme, f0):
    """One partial derivative ∂f/∂x[index] by ``scheme`` with step h."""
    if scheme == "forward":  # (f(x+h) − f(x)) / h, error O(h)
        (plus,) = _shifted(f, x, index, (1,), h)
        return (plus - f0) / h
    if scheme == "central":  # (f(x+h) − f(x−h)) / 2h, error O(h²)
        plus, minus = _shifted(f, x, index, (1, -1), h)
        return (plus - minus) / (2 * h)
    if scheme == "fourth":  # (−f₂ + 8f₁ − 8f₋₁ + f₋₂) / 12h, error O(h⁴)
        p2, p1, m1, m2 = _shifted(f, x, index, (2, 1, -1, -2), h)
        return (-p2 + 8 * p1 - 8 * m1 + m2) / (12 * h)
    if scheme == "richardson":  # D(h) = central; (4 D(h/2) − D(h)) / 3 cancels the h² term
        p1, m1, ph, mh = _shifted(f, x, index, (1, -1, 0.5, -0.5), h)
        return (4 * (ph - mh) / h - (p1 - m1) / (2 * h)) / 3
    # complex step: f(x + ih) = f(x) + ih f'(x) − h² f''/2 + …, so Im f(x + ih) / h, error O(h²)
    original = x[index]
    x[index] = original + 1j * h
    value = np.imag(f(x)) / h
    x[index] = original
    return float(value)


def numerical_grad(f, x, eps=None, scheme: str = "central") -> np.ndarray:
    """Estimate ∇f(x) by finite differences (central by default).

    Args:
        f: a function of the array ``x`` returning a scalar. ``x`` is perturbed in
            place and restored, so ``f`` may also read it through a closure — except for
            ``scheme="complex"``, where f receives a complex copy of x as its argument.
        x: a floating-point ndarray (float64 recommended; float32 warns, float16 raises).
        eps: step size (scalar or per element); default the scheme's ``ε^(1/(p+1))·max(1,|x|)``
            (``∛ε·max(1,|x|)`` for central), 1e-20 for complex.
        scheme: "forward" (O(h)), "central" (O(h²)), "fourth" (4th-order central, O(h⁴)),
            "richardson" (Richardson extrapolation of central, O(h⁴)) or "complex"
            (complex step Im f(x+ih)/h: no cancellation; f must accept complex input).

    Returns:
        An array of ``x``'s shape.

    Example:
        >>> numerical_grad(lambda v: float((v ** 2).sum()), np.array([1.0, -2.0]))
        array([ 2., -4.])
        >>> numerical_grad(lambda v: (v ** 3).sum(), np.array([2.0]), scheme="complex")
        array([12.])
    """
    if not isinstance(x, np.ndarray):
        raise TypeError("numerical_grad: x must be a numpy array (it is perturbed in place)")
    if scheme not in SCHEMES:
        raise ValueError(f"numerical_grad: scheme must be one of {', '.join(SCHEMES)}, "
                         f"got {scheme!r}")
    check_precision(x)
    if scheme == "central":
        f_plus, f_minus, h = central_differences(f, x, eps)
        return ((f_plus - f_minus) / (2 * h)).astype(x.dtype, copy=False)
    h = scheme_eps(x, scheme) if eps is None else \
        np.broadcast_to(np.asarray(eps, dtype=np.float64), x.shape)
    target = x.astype(np.complex128) if scheme == "complex" else x
    f0 = float(np.real(f(target))) if scheme == "forward" else None
    estimate = np.empty(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        estimate[index] = _estimate(f, target, index, float(h[index]), scheme, f0)
    return estimate.astype(x.dtype, copy=False)
