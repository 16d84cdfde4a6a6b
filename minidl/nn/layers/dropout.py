"""Inverted dropout: while training, zero each element with probability p and scale the rest."""

from __future__ import annotations

import numbers

import numpy as np

from ..._validate import as_generator
from ..checks import checked_dout, checked_input
from ..module import Module
from ..registry import register_module


def own_generator(rng) -> np.random.Generator:
    """A PCG64 Generator that only the layer draws from.

    A caller's Generator is not shared but seeds the layer's stream with one draw:
    the masks stay reproducible from it, never interleave with its other draws
    (weights, data order), and the layer's state is a dict of plain ints.
    """
    if isinstance(rng, np.random.Generator):
        return np.random.default_rng(int(rng.integers(2**63)))
    return as_generator(rng)


@register_module
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
        self.rng = own_generator(rng)
        self.mask = None  # the last training mask, scaled by 1/(1 − p)

    def rng_state(self) -> dict:
        """The mask Generator's state (PCG64: a dict of ints and strings), JSON-serialisable."""
        return self.rng.bit_generator.state

    def set_rng_state(self, state: dict) -> None:
        """Restore a state from ``rng_state()``; the next masks repeat those drawn after it."""
        try:
            self.rng.bit_generator.state = state
        except (TypeError, ValueError, KeyError) as err:
            raise ValueError(
                f"{self!r}.set_rng_state: not a PCG64 state from rng_state() ({err})"
            ) from None

    def forward(self, x) -> np.ndarray:
        """out = X ⊙ M/(1 − p) in training mode, X in evaluation mode (or when p = 0)."""
        x = checked_input(self, x)
        if not self.training or self.p == 0:
            self.cache = np.broadcast_to(np.ones((), x.dtype), x.shape)  # dX = dY; a view, no copy
            return x
        if not (self.fix_mask and self.mask is not None and self.mask.shape == x.shape):
            self.mask = self.draw_mask(x.shape, x.dtype)
        self.cache = self.mask.astype(x.dtype, copy=False)
        return x * self.cache

    def draw_mask(self, shape: tuple, dtype) -> np.ndarray:
        """M/(1 − p) with M[i] = 1[U[i] ≥ p], U uniform on [0, 1) drawn in float32 (p is resolved
        to 2⁻²⁴). The planned kernel draws the same way."""
        keep = self.rng.random(shape, dtype=np.float32) >= self.p
        return keep * np.dtype(dtype).type(1 / (1 - self.p))

    def backward(self, dout) -> np.ndarray:
        """out = X ⊙ M/(1 − p)  ⇒  dX = dY ⊙ M/(1 − p), the cached scaled mask (dX = dY in eval)."""
        scaled_mask = self.cached()
        return checked_dout(self, dout, scaled_mask.shape) * scaled_mask

    def get_config(self) -> dict:
        return {"p": self.p}

    def extra_repr(self) -> str:
        return f"p={self.p:g}"
