"""Planned LSTM: the cell of ``nn/layers/recurrent.py`` with the input GEMM before the time
loop, gates squashed in place, and the weight GEMMs after the backward loop
(``recurrent.py`` in this folder says how)."""

from __future__ import annotations

import numpy as np

from .recurrent import RecurrentKernel


class LSTMKernel(RecurrentKernel):
    """``LSTM``, gates i, f, g, o: A_t = x_t Wx + h_{t−1} Wh + b, i, f, o = σ(·), g = tanh(·),
    c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t); A_t is squashed in place into the gates.
    Kept for backward: the gates, every c_t and tanh(c_t), every h_{t−1}."""

    gate_kinds = "ssts"

    def forward(self, x, ws):
        layer = self.layer
        gates = self._input_gates(x, "b", ws)                   # (X Wx + b)/2 (g: ·1), every step
        T, n, H, dtype = self.t_len, self.n, layer.hidden_size, layer.dtype
        vectors = self._gate_vectors()
        pre, post = vectors.pre, vectors.post                   # σ(a) = ½(1 + tanh(a/2))
        Wh = self._scaled("Wh", ws)
        hs = ws.array(self, "hs", (T + 1, n, H), dtype)
        cs = ws.array(self, "cs", (T + 1, n, H), dtype)
        tanh_c = ws.array(self, "tanh_c", (T, n, H), dtype)
        tmp4, tmp = ws.array(self, "tmp4", (n, 4 * H), dtype), ws.array(self, "tmp", (n, H), dtype)
        hs[0], cs[0] = 0, 0
        for t in range(T):
            a = gates[t]
            a += np.matmul(hs[t], Wh, out=tmp4)                 # + h_{t−1} Wh (halved likewise)
            np.tanh(a, out=a)
            a *= pre
            a += post                                           # σ = ½ tanh + ½ (g: tanh itself)
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            c = np.multiply(f, cs[t], out=cs[t + 1])
            c += np.multiply(i, g, out=tmp)                     # c_t = f ⊙ c_{t−1} + i ⊙ g
            np.multiply(o, np.tanh(c, out=tanh_c[t]), out=hs[t + 1])   # h_t = o ⊙ tanh(c_t)
        self.gates, self.hs, self.cs, self.tanh_c = gates, hs, cs, tanh_c
        layer.final_state = (hs[-1].copy(), cs[-1].copy())
        return self._output(hs, ws)

    def backward(self, dout, ws, need_dx: bool):
        """BPTT through the cell (``recurrent.md`` §2), for t = T … 1 with dh = dY_t + dh_t:

        do = dh ⊙ tanh(c_t),  dc = dc_t + dh ⊙ o ⊙ (1 − tanh² c_t),
        di = dc ⊙ g,  df = dc ⊙ c_{t−1},  dg = dc ⊙ i,  dc_{t−1} = dc ⊙ f,
        dA_t = [di | df | dg | do] ⊙ [i(1−i) | f(1−f) | 1−g² | o(1−o)],  dh_{t−1} = dA_t Whᵀ;
        then dWx = Xᵀ dA, dWh = H_{t−1}ᵀ dA, db = Σ dA, dX = dA Wxᵀ over all steps at once.
        The gates' derivatives and o ⊙ (1 − tanh² c_t) are computed for every step before the loop.
        """
        layer = self.layer
        H, dtype, T, n = layer.hidden_size, layer.dtype, self.t_len, self.n
        gates, cs, tanh_c, Wh = self.gates, self.cs, self.tanh_c, layer._params["Wh"].data
        dY = self._dout_per_step(dout)
        slope = self._slopes(gates, ws)
        o_dtanh = ws.array(self, "o_dtanh", tanh_c.shape, dtype)  # o ⊙ (1 − tanh² c_t)
        np.multiply(tanh_c, tanh_c, out=o_dtanh)
        np.subtract(1, o_dtanh, out=o_dtanh)
        o_dtanh *= gates[:, :, 3 * H:]
        dA = ws.array(self, "dA", gates.shape, dtype)
        dh, dc = self._last_dh(dY, ws), ws.array(self, "dc", (n, H), dtype)
        tmp = ws.array(self, "tmp", (n, H), dtype)
        dc[...] = 0
        for t in reversed(range(T)):
            if layer.return_sequences:
                dh += dY[t]
            a, da = gates[t], dA[t]
            np.multiply(dh, tanh_c[t], out=da[:, 3 * H:])                  # do
            dc += np.multiply(dh, o_dtanh[t], out=tmp)                     # dc
            np.multiply(dc, a[:, 2 * H:3 * H], out=da[:, :H])              # di = dc ⊙ g
            np.multiply(dc, cs[t], out=da[:, H:2 * H])                     # df = dc ⊙ c_{t−1}
            np.multiply(dc, a[:, :H], out=da[:, 2 * H:3 * H])              # dg = dc ⊙ i
            da *= slope[t]                                                 # dA_t, (N, 4H)
            np.matmul(da, Wh.T, out=dh)                                    # dh_{t−1}, (N, H)
            dc *= a[:, H:2 * H]                                            # dc_{t−1} = dc ⊙ f
        layer.dstate = (dh.copy(), dc.copy())
        np.add.reduce(dA.reshape(T * n, 4 * H), axis=0, out=layer._params["b"].grad)  # db = Σ dA
        return self._gemms_after_the_loop(dA, self.hs[:-1], None, ws, need_dx)
