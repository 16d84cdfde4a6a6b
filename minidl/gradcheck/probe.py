"""The scalar probe ``L = Σ G ⊙ out`` and the backward passes every module check shares.

A module maps x to an array ``out``; a gradient check needs one scalar, so the
output is contracted with a random upstream gradient G: ``L = Σ G ⊙ out``. Then
``∂L/∂out = G`` exactly, and ``backward(G)`` must return ∂L/∂x and accumulate
∂L/∂θ for every parameter. A random G (rather than all ones) makes every output
element count with its own weight, so a bug cannot hide in a symmetric sum.
"""

from __future__ import annotations

import numpy as np


def probe(module, x: np.ndarray, rng: np.random.Generator):
    """Draw G of the output's shape and return ``(G, loss)`` with ``loss() = Σ G ⊙ module(x)``.

    ``loss`` re-reads ``x`` and the parameters on every call, so callers may nudge
    them in place between calls (``loss`` ignores its optional argument for that reason).
    """
    G = rng.standard_normal(np.shape(module.forward(x))).astype(x.dtype)

    def loss(_=None) -> float:
        return float(np.sum(G * module.forward(x), dtype=np.float64))

    return G, loss


def run_backward_twice(module, loss, G, named):
    """Forward once, then ``backward(G)`` twice from zeroed gradients.

    Returns ``(L, dx, first, notes)``: the loss, ∂L/∂x and each named parameter's
    gradient after the first call (float64), and per parameter an empty note when
    the second call doubled the gradient, else a note that it overwrote instead of
    adding (the accumulation contract of SPEC §2).
    """
    module.zero_grad()
    f0 = loss()
    dx = np.array(module.backward(G), dtype=np.float64)
    first = {name: param.grad.astype(np.float64) for name, param in named}
    module.backward(G)
    notes = {}
    for name, param in named:
        doubled = np.allclose(param.grad, 2 * first[name], rtol=1e-9, atol=1e-12)
        notes[name] = "" if doubled else "backward overwrote .grad instead of accumulating (+=)"
    return f0, dx, first, notes
