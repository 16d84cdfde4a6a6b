"""Recurrent layers on batch-first sequences (N, T, D): ``RNN`` (tanh), ``LSTM``, ``GRU``.

Each backward is backpropagation through time, the loop over t = T … 1 written as the
recurrence of ``docs/derivations/recurrent.md``. ``forward(x, state=None)`` takes an
optional initial state and leaves the final one in ``final_state`` (for truncated BPTT:
pass it as the next batch's state); after backward, ``dstate`` holds ∂L/∂(initial state).
"""

from __future__ import annotations

import numpy as np

from ..._validate import as_float_dtype, as_generator, positive_int
from ..checks import checked_dout, checked_input
from ..module import Module, Parameter
from ..registry import register_module


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = 1 / (1 + e^{−a}), written through tanh so large |a| never overflows."""
    return 0.5 * (1 + np.tanh(0.5 * a))


class _Recurrent(Module):
    """What the three layers share: sizes, PyTorch's U(−1/√H, 1/√H) draw, state checks."""

    gates = 1  # blocks of H columns in Wx and Wh

    def __init__(self, input_size: int, hidden_size: int, *, return_sequences: bool = True,
                 rng=None, dtype="float32"):
        where = f"{type(self).__name__}({input_size} → {hidden_size})"
        self.input_size = positive_int(input_size, "input_size", where)
        self.hidden_size = positive_int(hidden_size, "hidden_size", where)
        self.return_sequences = bool(return_sequences)
        self.dtype = as_float_dtype(dtype, where)
        rng, bound, width = as_generator(rng), 1 / np.sqrt(self.hidden_size), self.gates * self.hidden_size

        def draw(shape):
            return Parameter(rng.uniform(-bound, bound, shape).astype(self.dtype))

        self.Wx = draw((self.input_size, width))
        self.Wh = draw((self.hidden_size, width))
        self._init_biases(draw, width)
        self.final_state = self.dstate = None

    def _init_biases(self, draw, width: int) -> None:
        self.b = draw((width,))

    def _inputs(self, x, state):
        x = checked_input(self, x, (None, None, self.input_size), self.dtype)
        n = x.shape[0]
        if state is None:
            return x, np.zeros((n, self.hidden_size), self.dtype)
        state = np.asarray(state, dtype=self.dtype)
        if state.shape != (n, self.hidden_size):
            raise ValueError(f"{self!r}.forward: expected an initial state of shape "
                             f"({n}, {self.hidden_size}), got {state.shape}")
        return x, state

    def _dout_per_step(self, dout, n: int, t: int) -> np.ndarray:
        """dY_t for every step: dout itself, or zeros with dout at the last step."""
        if self.return_sequences:
            return checked_dout(self, dout, (n, t, self.hidden_size), self.dtype)
        last = checked_dout(self, dout, (n, self.hidden_size), self.dtype)
        dY = np.zeros((n, t, self.hidden_size), self.dtype)
        dY[:, -1] = last
        return dY

    def _output(self, hs: np.ndarray) -> np.ndarray:
        """hs: (N, T + 1, H) with h_0 first → (N, T, H) or the last state (N, H)."""
        return hs[:, 1:] if self.return_sequences else hs[:, -1]

    def get_config(self) -> dict:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size,
                "return_sequences": self.return_sequences, "dtype": self.dtype.name}

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({getattr(self, 'input_size', '?')} → "
                f"{getattr(self, 'hidden_size', '?')})")


@register_module
class RNN(_Recurrent):
    """Elman RNN ``h_t = tanh(x_t Wx + h_{t−1} Wh + b)`` (``recurrent.md`` §1).

    Args:
        input_size: D; hidden_size: H; return_sequences: all h_t (N, T, H) or the last (N, H).
        rng: seed or Generator; dtype: ``"float32"`` (default) or ``"float64"``.

    Shape:
        X: (N, T, D), state h_0: (N, H) (zeros by default) → (N, T, H) or (N, H).

    Attributes:
        Wx: (D, H), Wh: (H, H), b: (H,); torch.nn.RNN's weight_ih = Wxᵀ, weight_hh = Whᵀ,
        b = b_ih + b_hh.

    Example:
        >>> RNN(3, 4, rng=0)(np.zeros((2, 5, 3))).shape
        (2, 5, 4)
    """

    def forward(self, x, state=None) -> np.ndarray:
        """h_t = tanh(x_t Wx + h_{t−1} Wh + b) for t = 1 … T, caching X and every h_t."""
        x, h0 = self._inputs(x, state)
        n, t_len, _ = x.shape
        hs = np.empty((n, t_len + 1, self.hidden_size), self.dtype)  # h_0 … h_T
        hs[:, 0] = h0
        for t in range(t_len):
            hs[:, t + 1] = np.tanh(x[:, t] @ self.Wx + hs[:, t] @ self.Wh + self.b)
        self.cache = (x, hs)
        self.final_state = hs[:, -1].copy()
        return self._output(hs)

    def backward(self, dout) -> np.ndarray:
        """BPTT (``recurrent.md`` §1), for t = T … 1 with dh = dY_T at the start:

        da_t = dh_t ⊙ (1 − h_t²),  dx_t = da_t Wxᵀ,  dh_{t−1} = dY_{t−1} + da_t Whᵀ,
        dWx += Σ_t x_tᵀ da_t,  dWh += Σ_t h_{t−1}ᵀ da_t,  db += Σ_t Σ_n da_t[n].
        The dh_0 left at the end is ``dstate``, ∂L/∂(initial state).
        """
        x, hs = self.cached()
        n, t_len, _ = x.shape
        dY = self._dout_per_step(dout, n, t_len)
        dx = np.empty_like(x)
        dh = np.zeros((n, self.hidden_size), self.dtype)   # what step t + 1 sent back
        for t in reversed(range(t_len)):
            h_prev, h = hs[:, t], hs[:, t + 1]
            da = (dh + dY[:, t]) * (1 - h * h)             # (N, H)
            self.dWx += x[:, t].T @ da                     # (D, H)
            self.dWh += h_prev.T @ da                      # (H, H)
            self.db += da.sum(axis=0)                      # (H,)
            dx[:, t] = da @ self.Wx.T                      # (N, D)
            dh = da @ self.Wh.T                            # (N, H), dh_{t−1} without its dY
        self.dstate = dh
        return dx


@register_module
class LSTM(_Recurrent):
    """Long short-term memory, PyTorch's gate order i, f, g, o (``recurrent.md`` §2).

    ``A = x_t Wx + h_{t−1} Wh + b``; ``i, f, o = σ(A_i, A_f, A_o)``, ``g = tanh(A_g)``;
    ``c_t = f ⊙ c_{t−1} + i ⊙ g``; ``h_t = o ⊙ tanh(c_t)``.

    Shape:
        X: (N, T, D), state (h_0, c_0): two (N, H) arrays (zeros by default) → (N, T, H) or (N, H).
        ``final_state`` is (h_T, c_T).

    Attributes:
        Wx: (D, 4H), Wh: (H, 4H), b: (4H,), columns [i | f | g | o]; torch.nn.LSTM's
        weight_ih = Wxᵀ, weight_hh = Whᵀ, b = b_ih + b_hh.

    Example:
        >>> LSTM(3, 4, return_sequences=False, rng=0)(np.zeros((2, 5, 3))).shape
        (2, 4)
    """

    gates = 4

    def forward(self, x, state=None) -> np.ndarray:
        """The cell equations for t = 1 … T, caching X, the gates and every h_t, c_t."""
        h0, c0 = (None, None) if state is None else state
        x, h0 = self._inputs(x, h0)
        c0 = self._inputs(x, c0)[1]
        n, t_len, _ = x.shape
        H = self.hidden_size
        hs = np.empty((n, t_len + 1, H), self.dtype)
        cs = np.empty((n, t_len + 1, H), self.dtype)
        gates = np.empty((n, t_len, 4 * H), self.dtype)   # i, f, g, o after their squashing
        hs[:, 0], cs[:, 0] = h0, c0
        for t in range(t_len):
            a = x[:, t] @ self.Wx + hs[:, t] @ self.Wh + self.b      # (N, 4H)
            i, f = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H])
            g, o = np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
            cs[:, t + 1] = f * cs[:, t] + i * g
            hs[:, t + 1] = o * np.tanh(cs[:, t + 1])
            gates[:, t] = np.concatenate([i, f, g, o], axis=1)
        self.cache = (x, hs, cs, gates)
        self.final_state = (hs[:, -1].copy(), cs[:, -1].copy())
        return self._output(hs)

    def backward(self, dout) -> np.ndarray:
        """BPTT through the cell (``recurrent.md`` §2), for t = T … 1:

        do = dh ⊙ tanh(c_t),  dc = dc_t + dh ⊙ o ⊙ (1 − tanh² c_t),
        di = dc ⊙ g,  dg = dc ⊙ i,  df = dc ⊙ c_{t−1},  dc_{t−1} = dc ⊙ f,
        dA = [di ⊙ i(1−i) | df ⊙ f(1−f) | dg ⊙ (1−g²) | do ⊙ o(1−o)],
        dx_t = dA Wxᵀ,  dh_{t−1} = dY_{t−1} + dA Whᵀ,
        dWx += Σ_t x_tᵀ dA,  dWh += Σ_t h_{t−1}ᵀ dA,  db += Σ_t Σ_n dA[n].
        ``dstate`` is (dh_0, dc_0).
        """
        x, hs, cs, gates = self.cached()
        n, t_len, _ = x.shape
        H = self.hidden_size
        dY = self._dout_per_step(dout, n, t_len)
        dx = np.empty_like(x)
        dh = np.zeros((n, H), self.dtype)   # from step t + 1 through Wh
        dc = np.zeros((n, H), self.dtype)   # from step t + 1 through its forget gate
        for t in reversed(range(t_len)):
            i, f, g, o = (gates[:, t, k * H:(k + 1) * H] for k in range(4))
            tanh_c = np.tanh(cs[:, t + 1])
            dh = dh + dY[:, t]
            do = dh * tanh_c
            dc = dc + dh * o * (1 - tanh_c * tanh_c)
            di, dg, df = dc * g, dc * i, dc * cs[:, t]
            dA = np.concatenate([di * i * (1 - i), df * f * (1 - f),
                                 dg * (1 - g * g), do * o * (1 - o)], axis=1)   # (N, 4H)
            self.dWx += x[:, t].T @ dA          # (D, 4H)
            self.dWh += hs[:, t].T @ dA         # (H, 4H)
            self.db += dA.sum(axis=0)           # (4H,)
            dx[:, t] = dA @ self.Wx.T           # (N, D)
            dh = dA @ self.Wh.T                 # (N, H)
            dc = dc * f                         # dc_{t−1}
        self.dstate = (dh, dc)
        return dx


@register_module
class GRU(_Recurrent):
    """Gated recurrent unit, PyTorch's equations and gate order r, z, n (``recurrent.md`` §3).

    ``Ax = x_t Wx + bx``, ``Ah = h_{t−1} Wh + bh``; ``r = σ(Ax_r + Ah_r)``,
    ``z = σ(Ax_z + Ah_z)``, ``n = tanh(Ax_n + r ⊙ Ah_n)``, ``h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}``.

    Shape:
        X: (N, T, D), state h_0: (N, H) (zeros by default) → (N, T, H) or (N, H).

    Attributes:
        Wx: (D, 3H), Wh: (H, 3H), bx, bh: (3H,), columns [r | z | n]; torch.nn.GRU's
        weight_ih = Wxᵀ, weight_hh = Whᵀ, bias_ih = bx, bias_hh = bh.

    Example:
        >>> GRU(3, 4, rng=0)(np.zeros((2, 5, 3))).shape
        (2, 5, 4)
    """

    gates = 3

    def _init_biases(self, draw, width: int) -> None:
        self.bx = draw((width,))
        self.bh = draw((width,))

    def forward(self, x, state=None) -> np.ndarray:
        """The GRU equations for t = 1 … T, caching X, r, z, n, Ah_n and every h_t."""
        x, h0 = self._inputs(x, state)
        n_batch, t_len, _ = x.shape
        H = self.hidden_size
        hs = np.empty((n_batch, t_len + 1, H), self.dtype)
        saved = np.empty((n_batch, t_len, 4 * H), self.dtype)   # r, z, n, Ah_n per step
        hs[:, 0] = h0
        for t in range(t_len):
            ax = x[:, t] @ self.Wx + self.bx     # (N, 3H)
            ah = hs[:, t] @ self.Wh + self.bh    # (N, 3H)
            r = _sigmoid(ax[:, :H] + ah[:, :H])
            z = _sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
            n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
            hs[:, t + 1] = (1 - z) * n + z * hs[:, t]
            saved[:, t] = np.concatenate([r, z, n, ah[:, 2 * H:]], axis=1)
        self.cache = (x, hs, saved)
        self.final_state = hs[:, -1].copy()
        return self._output(hs)

    def backward(self, dout) -> np.ndarray:
        """BPTT through the GRU (``recurrent.md`` §3), for t = T … 1:

        dn = dh ⊙ (1 − z),  dz = dh ⊙ (h_{t−1} − n),  dAn = dn ⊙ (1 − n²),  dr = dAn ⊙ Ah_n,
        dAx = [dr ⊙ r(1−r) | dz ⊙ z(1−z) | dAn],  dAh = [dr ⊙ r(1−r) | dz ⊙ z(1−z) | dAn ⊙ r],
        dx_t = dAx Wxᵀ,  dh_{t−1} = dY_{t−1} + dh ⊙ z + dAh Whᵀ,
        dWx += Σ_t x_tᵀ dAx,  dWh += Σ_t h_{t−1}ᵀ dAh,  dbx += Σ dAx,  dbh += Σ dAh.
        """
        x, hs, saved = self.cached()
        n_batch, t_len, _ = x.shape
        H = self.hidden_size
        dY = self._dout_per_step(dout, n_batch, t_len)
        dx = np.empty_like(x)
        dh_next = np.zeros((n_batch, H), self.dtype)   # from step t + 1
        for t in reversed(range(t_len)):
            r, z, n, ah_n = (saved[:, t, k * H:(k + 1) * H] for k in range(4))
            h_prev = hs[:, t]
            dh = dh_next + dY[:, t]
            dn = dh * (1 - z)
            dz = dh * (h_prev - n)
            dAn = dn * (1 - n * n)
            dr = dAn * ah_n
            dAr, dAz = dr * r * (1 - r), dz * z * (1 - z)
            dAx = np.concatenate([dAr, dAz, dAn], axis=1)        # (N, 3H)
            dAh = np.concatenate([dAr, dAz, dAn * r], axis=1)    # (N, 3H)
            self.dWx += x[:, t].T @ dAx       # (D, 3H)
            self.dWh += h_prev.T @ dAh        # (H, 3H)
            self.dbx += dAx.sum(axis=0)
            self.dbh += dAh.sum(axis=0)
            dx[:, t] = dAx @ self.Wx.T        # (N, D)
            dh_next = dh * z + dAh @ self.Wh.T
        self.dstate = dh_next
        return dx
