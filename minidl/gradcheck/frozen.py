"""Hold a module still while it is checked, and leave it exactly as it was found.

A gradient check runs ``forward`` hundreds of times on nudged copies of the
same batch, so the forward must be a deterministic function of its input and
parameters, and the check must leave no trace:

- Dropout-like layers (any module with a ``fix_mask`` attribute) reuse one mask
  for the whole check; their random stream (``rng_state``) is rewound afterwards;
- buffers (BatchNorm's running statistics, which every training forward updates)
  are restored;
- every parameter's ``.grad`` is restored, so a check between two training steps
  does not disturb accumulated gradients.
"""

from __future__ import annotations

from contextlib import contextmanager

from ..nn.snapshot import undisturbed


@contextmanager
def frozen(module):
    """Within the block, ``module``'s forward is deterministic; on exit its state is restored.

    Example:
        >>> from minidl import Dropout
        >>> layer, x = Dropout(0.5, rng=0), np.ones((2, 3))
        >>> with frozen(layer):
        ...     same = bool((layer(x) == layer(x)).all())   # one mask for the whole block
        >>> same, layer.fix_mask
        (True, False)
    """
    grads = [(param, param.grad.copy()) for param in module.parameters()]
    masks = [(m, m.fix_mask) for _, m in module.named_modules() if hasattr(m, "fix_mask")]
    for m, _ in masks:
        m.fix_mask = True
    try:
        with undisturbed(module):  # buffers, RNG streams, caches and modes come back on exit
            yield module
    finally:
        for param, grad in grads:
            param.grad[...] = grad
        for m, fixed in masks:
            m.fix_mask = fixed
