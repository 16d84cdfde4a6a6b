"""Inverted dropout: while training, zero each element with probability p and scale the rest."""

from __future__ import annotations

import numbers

import numpy as np

from .._validate import as_array, as_generator
from ..module import Module


def own_generator(rng) -> np.random.Generator:
    """A PCG64 Generator that only the layer draws from.

    A caller's Generator is not shared but seeds the layer's stream with one draw:
    the masks stay reproducible from it, never interleave with its other draws
    (weights, data order), and the layer's state is a dict of plain ints.
    """
    if isinstance(rng, np.random.Generator):
        return np.random.default_rng(int(rng.integers(2**63)))
    return as_generator(rng)


class Dropout(Module):
    """Inverted dropout: ``out = X ⊙ M / (1 − p)`` with ``M ~ Bernoulli(1 − p)`` per element.

    Dividing the kept elements by ``1 − p`` while training keeps ``E[out] = X``,
    so evaluation mode is the identity with no rescaling.

    Args:
        p: probability of zeroing an element, in [0, 1); ``p = 0`` is the identity.
        rng: seed or ``numpy.random.Generator`` for the masks. The layer always owns
            its Generator (a Generator given here seeds it, see ``own_generator``).

    Shape:
        X: (N, *) → out: the same shape and dtype (integer input becomes float64).

    Attributes:
        p: the drop probability.
        fix_mask: ``False`` (default) draws a fresh mask on every training forward.
            ``True`` reuses the last training mask while the input's shape matches it
            (a new shape draws a new one), making forward a deterministic function of
            X, as finite differences need.

    Reproducing masks: ``rng_state()`` returns the Generator's state as plain,
    JSON-serialisable Python; ``set_rng_state(state)`` restores it, after which the
    same masks are drawn again in the same order (a gradient-checkpoint recompute,
    or a resumed training run). ``save``/``load`` keep ``p``, not the stream.

    Example:
        >>> layer = Dropout(0.5, rng=0)
        >>> state = layer.rng_state()
        >>> a = layer(np.ones((2, 4)))              # elements are 0 or 2
        >>> layer.set_rng_state(state)
        >>> bool((layer(np.ones((2, 4))) == a).all())
        True
    """

    def __init__(self, p: float = 0.5, *, rng=None):
        valid = isinstance(p, numbers.Real) and not isinstance(p, bool) and 0 <= p < 1
        if not valid:
            raise ValueError(f"Dropout: p must be a probability in [0, 1), got {p!r}")
        self.p = float(p)
        self.fix_mask = False
        self._rng = own_generator(rng)
        self._mask = None  # the last training mask, scaled by 1/(1 − p)
        self._cache = None

    def rng_state(self) -> dict:
        """The mask Generator's state (PCG64: a dict of ints and strings), JSON-serialisable."""
        return self._rng.bit_generator.state

    def set_rng_state(self, state: dict) -> None:
        """Restore a state from ``rng_state()``; the next masks repeat those drawn after it."""
        try:
            self._rng.bit_generator.state = state
        except (TypeError, ValueError, KeyError) as err:
            raise ValueError(
                f"{self!r}.set_rng_state: not a PCG64 state from rng_state() ({err})"
            ) from None

    def forward(self, x) -> np.ndarray:
        """out = X ⊙ M/(1 − p) in training mode, X in evaluation mode (or when p = 0)."""
        x = as_array(x, f"{self!r}.forward")
        if x.dtype.kind != "f":
            x = x.astype(np.float64)
        if not self.training or self.p == 0:
            # A zero-stride view of ones: backward stays one formula and allocates no mask.
            self._cache = np.broadcast_to(np.ones((), dtype=x.dtype), x.shape)
            return x
        reuse = self.fix_mask and self._mask is not None and self._mask.shape == x.shape
        if not reuse:
            keep = np.greater_equal(self._uniform_bits(x.shape), self._threshold(),
                                    out=self._array("keep", x.shape, bool))
            self._mask = np.multiply(keep, x.dtype.type(1 / (1 - self.p)),
                                     out=self._array("mask", x.shape, x.dtype))
        self._cache = self._mask.astype(x.dtype, copy=False)
        return np.multiply(x, self._cache, out=self._array("out", x.shape, x.dtype))

    def _uniform_bits(self, shape: tuple) -> np.ndarray:
        """Uniform 32-bit integers, straight from the bit generator: 40% faster than drawing
        floats (numpy makes each float with a call of its own), one seed, one mask for any dtype.
        ``random_raw`` has no ``out=``: this is the one array a training step allocates."""
        count = int(np.prod(shape))
        return self._rng.bit_generator.random_raw((count + 1) // 2).view(np.uint32)[:count].reshape(shape)

    def _threshold(self) -> np.uint32:
        """T with P(U ≥ T) = 1 − p for U uniform on [0, 2³²): keep the element (to within 2⁻³²)."""
        return np.uint32(min(round(self.p * 2**32), 2**32 - 1))

    def backward(self, dout) -> np.ndarray:
        """out = X ⊙ M/(1 − p)  ⇒  dX = dY ⊙ M/(1 − p), the cached scaled mask (dX = dY in eval)."""
        scaled_mask = self._cached()
        dout = self._check_dout(dout, scaled_mask.shape)
        dtype = np.result_type(dout, scaled_mask)
        return np.multiply(dout, scaled_mask, out=self._array("dx", dout.shape, dtype))

    def get_config(self) -> dict:
        return {"p": self.p}

    def extra_repr(self) -> str:
        return f"p={self.p:g}"
