"""Planned GELU, ``X Φ(X)``, with a float32 Φ that costs a few dozen array passes, not hundreds."""

from __future__ import annotations

import math

import numpy as np

from ...nn.checks import checked_input
from ...nn.layers.gelu import TANH_CUBIC, _normal_cdf
from .base import Kernel

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)
# erfc(z) ≈ t·exp(−z² + Σ_k c_k t^k), t = 1/(1 + z/2), z ≥ 0: a Chebyshev fit with fractional
# error below 1.2e-7 for every z (Press et al., Numerical Recipes, §6.2), so Φ keeps float32's
# own relative precision in both tails. c_0 first.
ERFC_COEFFICIENTS = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
                     0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277)


def normal_cdf_float32(x: np.ndarray, out: np.ndarray, tmp: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """Φ(x) = ½ erfc(−x/√2) into ``out``, with the fit above: for z = |x|/√2, h = ½ erfc(z)
    is Φ(−|x|), and Φ(x) = h + s (1 − 2h) with s = (sign x + 1)/2 (0, ½ or 1), which is h
    itself for x < 0 (keeping the left tail's relative precision) and 1 − h for x > 0.
    ``tmp``, ``acc``: arrays of x's shape and dtype."""
    z = np.abs(x, out=tmp)
    z *= 1 / math.sqrt(2)
    t = np.multiply(z, 0.5, out=out)
    t += 1
    np.divide(1, t, out=t)                       # t = 1/(1 + z/2)
    np.multiply(t, ERFC_COEFFICIENTS[-1], out=acc)
    acc += ERFC_COEFFICIENTS[-2]
    for c in ERFC_COEFFICIENTS[-3::-1]:          # Horner: Σ_k c_k t^k
        acc *= t
        acc += c
    acc -= np.multiply(z, z, out=tmp)            # − z²
    np.exp(acc, out=acc)
    acc *= t
    acc *= 0.5                                   # h = ½ erfc(z) = Φ(−|x|)
    # the select by arithmetic: a masked copy on a random sign pattern ran 100× slower
    s = np.sign(x, out=tmp)
    s += 1
    s *= 0.5                                     # s = (sign x + 1)/2
    np.multiply(acc, -2, out=out)
    out += 1
    out *= s                                     # s (1 − 2h)
    out += acc
    return out


class GELUKernel(Kernel):
    """``GELU``'s equations into reused arrays: Y = X Φ(X), dX = dY ⊙ (Φ(X) + X φ(X)) (the
    tanh form: Y = ½X(1 + tanh u), its derivative as the layer's; attention.md §5).

    Φ in float64 is the layer's own (``minidl._special.erf``, float64-accurate); in float32
    it is ``normal_cdf_float32``, within float32 rounding of it and some ten times cheaper."""

    def forward(self, x, ws):
        layer = self.layer
        dtype = layer.dtype
        if not (isinstance(x, np.ndarray) and x.dtype == dtype and x.ndim and x.shape[0]):
            x = checked_input(layer, x, dtype=dtype)
        self.x = x
        self.tanh_form = layer.approximate == "tanh"
        cdf = ws.array(self, "cdf", x.shape, dtype)  # Φ(X), or tanh u
        out = ws.array(self, "out", x.shape, dtype)
        if self.tanh_form:
            np.multiply(x, x, out=cdf)
            cdf *= x
            cdf *= TANH_CUBIC
            cdf += x
            cdf *= _SQRT_2_OVER_PI
            np.tanh(cdf, out=cdf)                  # tanh u, u = √(2/π)(x + 0.044715 x³)
            np.add(cdf, 1, out=out)
            out *= x
            out *= 0.5
        else:
            if dtype == np.float32:
                normal_cdf_float32(x, cdf, out, ws.array(self, "acc", x.shape, dtype))
            else:
                np.copyto(cdf, _normal_cdf(x))
            np.multiply(x, cdf, out=out)
        self.cdf = cdf
        return out

    def backward(self, dout, ws, need_dx: bool):
        """dX = dY ⊙ (Φ(X) + X φ(X)), φ(x) = e^{−x²/2}/√(2π); tanh form:
        dX = dY ⊙ (½(1 + tanh u) + ½ X (1 − tanh² u) √(2/π)(1 + 3·0.044715 X²))."""
        if not need_dx:
            return None
        x, cdf = self.x, self.cdf
        dx = dout if self.dout_is_scratch else ws.array(self, "dx", x.shape, x.dtype)
        slope = ws.array(self, "slope", x.shape, x.dtype)
        if self.tanh_form:
            t, tmp = cdf, ws.array(self, "out", x.shape, x.dtype)
            np.multiply(x, x, out=slope)
            slope *= 3 * TANH_CUBIC
            slope += 1
            slope *= _SQRT_2_OVER_PI               # √(2/π)(1 + 3c x²)
            np.multiply(t, t, out=tmp)
            np.subtract(1, tmp, out=tmp)           # 1 − tanh² u
            slope *= tmp
            slope *= x
            slope *= 0.5
            np.add(t, 1, out=tmp)
            tmp *= 0.5
            slope += tmp
        else:
            np.multiply(x, -0.5, out=slope)
            slope *= x
            np.exp(slope, out=slope)
            slope *= x
            slope /= _SQRT_2PI                     # x φ(x)
            slope += cdf
        return np.multiply(dout, slope, out=dx)
