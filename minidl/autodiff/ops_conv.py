"""The ops a convolution is written with: zero padding, sliding windows and a contraction.

Each states its derivative in one line (docs/derivations/convolution.md): padding's adjoint
crops, the windows' adjoint adds every window's gradient back onto the pixels it read
(a scatter-add, so overlapping windows add up), and an einsum's adjoint is an einsum.
"""

import numpy as np

from .tensor import as_tensor, from_op


def pad2d(x, p: int):
    """y = x with p zeros around the last two axes;  ∂L/∂x = ∂L/∂y cropped by p."""
    if p == 0:
        return x
    h, w = x.shape[-2:]
    width = [(0, 0)] * (x.ndim - 2) + [(p, p), (p, p)]
    return from_op(np.pad(x.data, width), "pad2d", (x,),
                   vjp=lambda g, y: (g[..., p:p + h, p:p + w],),
                   jvp=lambda y, t: pad2d(t, p))


def windows(x, kh: int, kw: int, stride: int, dilation: int = 1):
    """y[n,c,i,j,k,l] = x[n,c,s·i+d·k,s·j+d·l] (N, C, H', W', kh, kw), taps d apart;
    ∂L/∂x[n,c,s·i+d·k,s·j+d·l] += ∂L/∂y[n,c,i,j,k,l] (``add_windows``)."""
    d = dilation
    spans = (d * (kh - 1) + 1, d * (kw - 1) + 1)  # the pixels one window covers
    view = np.lib.stride_tricks.sliding_window_view(x.data, spans, axis=(2, 3))
    data = np.ascontiguousarray(view[:, :, ::stride, ::stride, ::d, ::d])
    return from_op(data, "windows", (x,),
                   vjp=lambda g, y: (add_windows(g, x.shape, stride, d),),
                   jvp=lambda y, t: windows(t, kh, kw, stride, d))


def add_windows(g, shape, stride: int, dilation: int = 1):
    """z = zeros(shape), z[n,c,s·i+d·k,s·j+d·l] += g[n,c,i,j,k,l];  its adjoint is ``windows``."""
    data = np.zeros(shape, dtype=g.dtype)
    _, _, ho, wo, kh, kw = g.shape
    s, d = stride, dilation
    for k in range(kh):
        for l in range(kw):  # noqa: E741  (kernel column, as in the derivation)
            data[:, :, d * k:d * k + s * ho:s, d * l:d * l + s * wo:s] += g.data[:, :, :, :, k, l]
    return from_op(data, "add_windows", (g,),
                   vjp=lambda gz, z: (windows(gz, kh, kw, s, d),),
                   jvp=lambda z, t: add_windows(t, shape, s, d))


def einsum(spec: str, a, b):
    """c = einsum(spec, a, b) for two operands whose every index appears in the other or in c,
    each once per operand;  ∂L/∂a = einsum(c-indices, b → a-indices) and likewise for b."""
    a, b = as_tensor(a), as_tensor(b)
    inputs, out = spec.replace(" ", "").split("->")
    ia, ib = inputs.split(",")
    for mine, other in ((ia, ib), (ib, ia)):
        if len(set(mine)) != len(mine) or not set(mine) <= set(other) | set(out):
            raise ValueError(f"einsum {spec!r}: each operand's indices must be distinct and "
                             "appear in the other operand or the output")
    return from_op(np.einsum(spec, a.data, b.data, optimize=True), "einsum", (a, b),
                   vjp=lambda g, c: (einsum(f"{out},{ib}->{ia}", g, b),
                                     einsum(f"{ia},{out}->{ib}", a, g)),
                   jvp=lambda c, ta, tb: einsum(spec, ta, b) + einsum(spec, a, tb))
