"""Planned GRU: PyTorch's equations as ``nn/layers/recurrent.py`` writes them, with the input
GEMM before the time loop, gates squashed in place, and the weight GEMMs after the backward
loop (``recurrent.py`` in this folder says how)."""

from __future__ import annotations

import numpy as np

from .recurrent import RecurrentKernel


class GRUKernel(RecurrentKernel):
    """``GRU``, gates r, z, n: Ax = x_t Wx + bx (every step at once), Ah = h_{t−1} Wh + bh,
    r, z = σ(Ax + Ah), n = tanh(Ax_n + r ⊙ Ah_n), h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}.
    Ax is squashed in place into [r | z | n]; Ah is kept per step (Ah_n for backward)."""

    gate_kinds = "sst"

    def forward(self, x, ws):
        layer = self.layer
        gates = self._input_gates(x, "bx", ws)                  # Ax (r, z halved), every step
        T, n, H, dtype = self.t_len, self.n, layer.hidden_size, layer.dtype
        Wh = self._scaled("Wh", ws)                             # Ah_n stays unscaled: r multiplies it
        bh = self._scaled("bh", ws)
        ah = ws.array(self, "ah", (T, n, 3 * H), dtype)
        hs = ws.array(self, "hs", (T + 1, n, H), dtype)
        tmp = ws.array(self, "tmp", (n, H), dtype)
        hs[0] = 0
        for t in range(T):
            a, h_t = gates[t], hs[t + 1]
            np.matmul(hs[t], Wh, out=ah[t])
            ah[t] += bh                                         # Ah (r, z halved)
            rz = a[:, :2 * H]
            rz += ah[t, :, :2 * H]
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5                                           # r, z = σ(Ax + Ah)
            r, z, n_gate = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
            n_gate += np.multiply(r, ah[t, :, 2 * H:], out=tmp)
            np.tanh(n_gate, out=n_gate)                         # n = tanh(Ax_n + r ⊙ Ah_n)
            np.subtract(1, z, out=tmp)
            tmp *= n_gate
            np.multiply(z, hs[t], out=h_t)
            h_t += tmp                                          # h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
        self.gates, self.ah, self.hs = gates, ah, hs
        layer.final_state = hs[-1].copy()
        return self._output(hs, ws)

    def backward(self, dout, ws, need_dx: bool):
        """BPTT through the GRU (``recurrent.md`` §3), for t = T … 1 with dh = dY_t + dh_t:

        dn = dh ⊙ (1 − z),  dz = dh ⊙ (h_{t−1} − n),  dAn = dn ⊙ (1 − n²),  dr = dAn ⊙ Ah_n,
        dAx = [dr ⊙ r(1−r) | dz ⊙ z(1−z) | dAn],  dAh = [dr ⊙ r(1−r) | dz ⊙ z(1−z) | dAn ⊙ r],
        dh_{t−1} = dh ⊙ z + dAh Whᵀ;  then dWx = Xᵀ dAx, dWh = H_{t−1}ᵀ dAh, dbx = Σ dAx,
        dbh = Σ dAh, dX = dAx Wxᵀ over all steps at once. The gates' derivatives
        [r(1−r) | z(1−z) | 1−n²] are computed for every step before the loop.
        """
        layer = self.layer
        H, dtype, T, n = layer.hidden_size, layer.dtype, self.t_len, self.n
        gates, ah, hs, Wh = self.gates, self.ah, self.hs, layer._params["Wh"].data
        dY = self._dout_per_step(dout)
        slope = self._slopes(gates, ws)
        dAx, dAh = ws.array(self, "dAx", gates.shape, dtype), ws.array(self, "dAh", gates.shape, dtype)
        dh, dh_next = ws.array(self, "dh", (n, H), dtype), self._last_dh(dY, ws, "dh_next")
        tmp = ws.array(self, "tmp", (n, H), dtype)
        for t in reversed(range(T)):
            if layer.return_sequences:
                np.add(dh_next, dY[t], out=dh)
            else:
                dh, dh_next = dh_next, dh                         # dh = dh_t (no dY before T)
            a, dax, dah = gates[t], dAx[t], dAh[t]
            r, z, n_gate = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
            dAn = np.multiply(dh, np.subtract(1, z, out=tmp), out=dax[:, 2 * H:])       # dn
            np.multiply(dh, np.subtract(hs[t], n_gate, out=tmp), out=dax[:, H:2 * H])  # dz
            dAn *= slope[t, :, 2 * H:]                                                 # dAn
            np.multiply(dAn, ah[t, :, 2 * H:], out=dax[:, :H])                         # dr
            dax[:, :2 * H] *= slope[t, :, :2 * H]                                      # dAr, dAz
            dah[:, :2 * H] = dax[:, :2 * H]
            np.multiply(dAn, r, out=dah[:, 2 * H:])
            np.matmul(dah, Wh.T, out=dh_next)
            dh_next += np.multiply(dh, z, out=tmp)               # dh_{t−1} without its dY
        layer.dstate = dh_next.copy()
        params = layer._params
        np.add.reduce(dAx.reshape(T * n, 3 * H), axis=0, out=params["bx"].grad)   # dbx = Σ dAx
        np.add.reduce(dAh.reshape(T * n, 3 * H), axis=0, out=params["bh"].grad)   # dbh = Σ dAh
        return self._gemms_after_the_loop(dAx, hs[:-1], dAh, ws, need_dx)
