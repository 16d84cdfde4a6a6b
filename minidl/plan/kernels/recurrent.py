"""Planned recurrent layers: what RNN, LSTM and GRU kernels share, and the RNN kernel.

The teaching layers (``nn/layers/recurrent.py``) do every product step by step. A planned
kernel does the same arithmetic with the products that do not depend on the previous
step taken out of the time loop:

- forward: ``X Wx (+ b)`` for all T steps is one GEMM before the loop; each step adds
  ``h_{t−1} Wh`` (the one product the recurrence forces into the loop) and squashes the
  gates in place;
- backward: each step writes its dA into one (T, N, width) buffer, so after the loop
  ``dWx = Xᵀ dA``, ``dWh = H_{t−1}ᵀ dA``, ``db = Σ dA`` and ``dX = dA Wxᵀ`` are one GEMM
  (or one sum) each over all N·T rows.

Arrays are time-major inside, (T, N, ·), so a step's slice is one contiguous (N, ·)
block for BLAS and the element-wise calls; the (N, T, D) input and (N, T, H) output are
transposed once at the edges. Every array comes from the workspace.

σ is computed as the layers compute it, σ(a) = ½(1 + tanh(a/2)). The ½ before the tanh is
folded into scaled copies of Wx, Wh and b (scaling by a power of two is exact, so the
products are the teaching layer's, halved), which lets one ``tanh`` call cover every gate.
"""

from __future__ import annotations

import numpy as np

from ...nn.checks import checked_dout, checked_input
from .base import Kernel


class GateVectors:
    """Per-column constants of a layer's gates (blocks of H columns, "s" σ or "t" tanh):
    ``pre`` ½ | 1 (the scale before the tanh, and after it), ``post`` ½ | 0 (σ = ½ tanh + ½),
    ``is_sigmoid`` 1 | 0 (for the derivatives) and ``tanh_blocks``, the tanh gates' columns."""

    def __init__(self, kinds: str, hidden: int, dtype):
        def vector(sigmoid, other):
            return np.repeat(np.array([sigmoid if k == "s" else other for k in kinds], dtype), hidden)
        self.key = (kinds, hidden, np.dtype(dtype))
        self.pre, self.post = vector(0.5, 1), vector(0.5, 0)
        self.is_sigmoid = vector(1, 0)
        self.tanh_blocks = [slice(k * hidden, (k + 1) * hidden)
                            for k, kind in enumerate(kinds) if kind == "t"]


class RecurrentKernel(Kernel):
    """The edges every recurrent kernel shares: the input checked and laid out time-major,
    the output in the layer's shape, dout per step, and the GEMMs after the backward loop.
    As the layer does, a kernel starts from zero states, leaves copies of the last ones in
    ``layer.final_state`` and of ∂L/∂(initial state) in ``layer.dstate``."""

    gate_kinds = "t"  # per block of H columns in Wx/Wh: "s" σ, "t" tanh

    @classmethod
    def supports(cls, layer) -> bool:
        # the kernels are held to the layers in float32 and float64; a float16 layer keeps its
        # own methods, the reference arithmetic
        return layer.dtype in (np.float32, np.float64)

    def _time_major(self, x, ws) -> np.ndarray:
        """The input as (T, N, D) (checked as the layer checks it when it is not already a
        float (N, T, D) array of the layer's dtype)."""
        layer = self.layer
        if not (isinstance(x, np.ndarray) and x.ndim == 3 and x.shape[0] and x.dtype == layer.dtype
                and x.shape[2] == layer.input_size):
            x = checked_input(layer, x, (None, None, layer.input_size), layer.dtype)
        n, t_len, d = x.shape
        self.n, self.t_len = n, t_len
        xt = ws.array(self, "xt", (t_len, n, d), layer.dtype)
        np.copyto(xt, x.transpose(1, 0, 2))
        self.xt = xt
        return xt

    def _gate_vectors(self) -> GateVectors:
        """The layer's ``GateVectors``, made once (again only if its size or dtype changed)."""
        layer = self.layer
        key = (self.gate_kinds, layer.hidden_size, np.dtype(layer.dtype))
        if getattr(self, "_vectors", None) is None or self._vectors.key != key:
            self._vectors = GateVectors(*key)
        return self._vectors

    def _scaled(self, name: str, ws) -> np.ndarray:
        """The parameter ``name`` ⊙ ``pre`` (per column) in a reused array: σ's ½ folded in."""
        array = self.layer._params[name].data
        out = ws.array(self, name, array.shape, array.dtype)
        return np.multiply(array, self._gate_vectors().pre, out=out)

    def _input_gates(self, x, bias: str, ws) -> np.ndarray:
        """(X Wx + bias) ⊙ pre for every step at once: one GEMM over all T·N rows → (T, N, width)."""
        xt = self._time_major(x, ws)
        rows, width = self.t_len * self.n, self.layer._params["Wx"].data.shape[1]
        gates = ws.array(self, "gates", (self.t_len, self.n, width), self.layer.dtype)
        np.matmul(xt.reshape(rows, -1), self._scaled("Wx", ws), out=gates.reshape(rows, width))
        gates += self._scaled(bias, ws)
        return gates

    def _slopes(self, gates: np.ndarray, ws) -> np.ndarray:
        """Every step's gate derivatives from the squashed gates: σ′ = σ(1 − σ) on σ gates,
        tanh′ = 1 − a² on tanh gates, as (k − a) ⊙ a + (1 − k) with k = 1 | 0."""
        vectors = self._gate_vectors()
        slope = ws.array(self, "slope", gates.shape, gates.dtype)
        np.subtract(vectors.is_sigmoid, gates, out=slope)
        slope *= gates
        for block in vectors.tanh_blocks:  # only those columns get the 1 (a pass over them alone)
            slope[..., block] += 1
        return slope

    def _last_dh(self, dY, ws, name: str = "dh") -> np.ndarray:
        """dh before the backward loop: dY_T when only the last step has an output (dY is
        (N, H)), else zeros (each step adds its own dY_t)."""
        dh = ws.array(self, name, (self.n, self.layer.hidden_size), self.layer.dtype)
        if self.layer.return_sequences:
            dh[...] = 0
        else:
            dh[...] = dY
        return dh

    def _output(self, hs: np.ndarray, ws) -> np.ndarray:
        """hs: (T + 1, N, H) with h_0 first → (N, T, H) (a copy) or h_T (N, H), as the layer."""
        layer = self.layer
        if not layer.return_sequences:
            return hs[-1]
        out = ws.array(self, "out", (self.n, self.t_len, layer.hidden_size), layer.dtype)
        np.copyto(out, hs[1:].transpose(1, 0, 2))
        return out

    def _dout_per_step(self, dout):
        """dY as (T, N, H) (a strided view of dout), or None when only the last step has one
        (``return_sequences=False``: dout is dY_T itself, checked and returned as (N, H))."""
        layer = self.layer
        n, H = self.n, layer.hidden_size
        shape = (n, self.t_len, H) if layer.return_sequences else (n, H)
        if not (isinstance(dout, np.ndarray) and dout.shape == shape and dout.dtype == layer.dtype):
            dout = checked_dout(layer, dout, shape, layer.dtype)
        return dout.transpose(1, 0, 2) if layer.return_sequences else dout

    def _gemms_after_the_loop(self, dA: np.ndarray, h_prev: np.ndarray, dAh: np.ndarray | None,
                              ws, need_dx: bool):
        """dWx = Xᵀ dA, dWh = H_{t−1}ᵀ dAh (dAh = dA unless given), each one GEMM over all
        T·N rows into ``.grad``, then dX = dA Wxᵀ back in (N, T, D) when asked for."""
        layer = self.layer
        rows = self.t_len * self.n
        dA2 = dA.reshape(rows, -1)                                   # (T·N, width)
        dAh2 = dA2 if dAh is None else dAh.reshape(rows, -1)
        Wx = layer._params["Wx"]
        np.matmul(self.xt.reshape(rows, -1).T, dA2, out=Wx.grad)      # dWx = Xᵀ dA, (D, width)
        np.matmul(h_prev.reshape(rows, -1).T, dAh2, out=layer._params["Wh"].grad)  # (H, width)
        if not need_dx:
            return None
        dxt = ws.array(self, "dxt", self.xt.shape, layer.dtype)
        np.matmul(dA2, Wx.data.T, out=dxt.reshape(rows, -1))         # dX = dA Wxᵀ, (T·N, D)
        dx = ws.array(self, "dx", (self.n, self.t_len, layer.input_size), layer.dtype)
        np.copyto(dx, dxt.transpose(1, 0, 2))
        return dx


class RNNKernel(RecurrentKernel):
    """``RNN``: h_t = tanh(x_t Wx + h_{t−1} Wh + b), with X Wx + b for all steps before the loop."""

    @property
    def output_is_scratch(self) -> bool:
        return self.layer.return_sequences  # else the output is h_T, which backward reads

    def forward(self, x, ws):
        layer = self.layer
        gates = self._input_gates(x, "b", ws)                          # X Wx + b, (T, N, H)
        T, n, H = self.t_len, self.n, layer.hidden_size
        Wh = layer._params["Wh"].data
        hs = ws.array(self, "hs", (T + 1, n, H), layer.dtype)         # h_0 … h_T
        tmp = ws.array(self, "tmp", (n, H), layer.dtype)
        hs[0] = 0
        for t in range(T):
            a = gates[t]
            a += np.matmul(hs[t], Wh, out=tmp)                        # + h_{t−1} Wh
            np.tanh(a, out=hs[t + 1])
        self.hs = hs
        layer.final_state = hs[-1].copy()
        return self._output(hs, ws)

    def backward(self, dout, ws, need_dx: bool):
        """For t = T … 1: da_t = (dY_t + dh_t) ⊙ (1 − h_t²), dh_{t−1} = da_t Whᵀ; then
        dWx = Xᵀ dA, dWh = H_{t−1}ᵀ dA, db = Σ dA (``recurrent.md`` §1), dX = dA Wxᵀ."""
        layer = self.layer
        T, n, H = self.t_len, self.n, layer.hidden_size
        hs, Wh = self.hs, layer._params["Wh"].data
        dY = self._dout_per_step(dout)
        dA = self._slopes(hs[1:], ws)                                 # 1 − h_t², every step
        dh = self._last_dh(dY, ws)                                    # what step t + 1 sends back
        for t in reversed(range(T)):
            if layer.return_sequences:
                dh += dY[t]
            da = dA[t]
            da *= dh                                                  # da_t, (N, H)
            np.matmul(da, Wh.T, out=dh)                               # dh_{t−1} without its dY
        layer.dstate = dh.copy()
        np.add.reduce(dA.reshape(T * n, H), axis=0, out=layer._params["b"].grad)  # db = Σ dA
        return self._gemms_after_the_loop(dA, hs[:-1], None, ws, need_dx)
