"""``Sequential``: modules applied in order, differentiated in reverse order."""

from __future__ import annotations

from collections.abc import Iterator

from . import recompute
from .module import Module
from .registry import register_module


@register_module
class Sequential(Module):
    """A chain ``x → m₀ → m₁ → … → out``.

    ``forward`` runs the modules in order; ``backward(dout)`` runs their
    backward passes in reverse (the chain rule read right to left,
    ``backprop-mlp-layers.md`` §4) and returns ∂L/∂x of the input.

    Parameters are named by position: ``0.W``, ``0.b``, ``2.W``, …

    With ``recompute_segments=k`` the layers are cut into k segments and forward
    keeps only each segment's input; backward recomputes a segment's activations just
    before differentiating it (``minidl.nn.recompute``). Gradients are bit-identical
    to the plain path; memory for activations drops from O(L) to O(k + L/k).

    Example:
        >>> model = Sequential(Dense(4, 8, rng=0), ReLU(), Dense(8, 3, rng=1))
        >>> model(np.zeros((5, 4))).shape
        (5, 3)
    """

    def __init__(self, *modules: Module, recompute_segments: int | None = None):
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: argument {i} must be a Module, got {type(module).__name__}"
                )
        if recompute_segments is not None and not (
                isinstance(recompute_segments, int) and 1 <= recompute_segments <= max(len(modules), 1)):
            raise ValueError(f"Sequential: recompute_segments must be an integer in [1, {len(modules)}] "
                             f"(the number of modules), got {recompute_segments!r}")
        _refuse_reuse(modules)
        self.layers = list(modules)
        self.recompute_segments = recompute_segments

    def children(self) -> Iterator[tuple[str, Module]]:
        for i, module in enumerate(self.layers):
            yield str(i), module

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def forward(self, x):
        if self.recompute_segments:
            x, self.cache = recompute.forward(self.layers, self.recompute_segments, x)
            return x
        for module in self.layers:
            x = module(x)
        return x

    def backward(self, dout):
        """dL/dx = J₀ᵀ J₁ᵀ … J_kᵀ dout: each module's backward, last to first."""
        if self.recompute_segments:
            return recompute.backward(self.cached(), dout)
        for module in reversed(self.layers):
            dout = module.backward(dout)
        return dout

    def get_config(self) -> dict:
        return {"recompute_segments": self.recompute_segments} if self.recompute_segments else {}


def _refuse_reuse(modules) -> None:
    """One module object in two places would keep one cache for two calls, so the first
    call's backward would read the second call's input: refuse it (share a Parameter instead)."""
    seen: dict[int, str] = {}
    for i, module in enumerate(modules):
        for name, sub in module.named_modules(f"{i}."):
            where = name.rstrip(".")
            if id(sub) in seen:
                raise ValueError(f"Sequential: {sub!r} appears twice (at {seen[id(sub)]} and {where}); "
                                 "a module keeps one forward cache, so use a new instance (to tie "
                                 "weights, assign the same Parameter to both)")
            seen[id(sub)] = where
