"""Recompute (gradient checkpointing): keep activations only at segment boundaries, recompute the rest.

Backward needs every layer's forward cache (``backprop-mlp-layers.md`` §10), so a plain
forward pass of L layers holds O(L) activations. Cutting the layers into k segments and
keeping only each segment's *input* holds O(k) boundary activations plus one segment's
caches at a time; the price is a second forward pass of each segment during backward
(``backprop-calculus-curriculum.md`` §7, "trade computation for memory"). With
k ≈ √L both terms are O(√L).

The recomputation must reproduce the first forward exactly, so that gradients are
bit-identical to the plain path: each segment's random layers (Dropout) get their RNG
state from before the first forward back, and layers with running statistics
(BatchNorm) get their buffers restored afterwards, so they are updated once, not twice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SegmentStart:
    """What the forward pass keeps for one segment: its input and its layers' RNG states."""

    layers: list
    x: object
    rng_states: dict


def split(layers: list, segments: int) -> list[list]:
    """``layers`` cut into ``segments`` contiguous runs of near-equal length."""
    size, extra = divmod(len(layers), segments)
    runs, start = [], 0
    for i in range(segments):
        stop = start + size + (i < extra)
        runs.append(layers[start:stop])
        start = stop
    return [run for run in runs if run]


def _modules(layers):
    for layer in layers:
        for _, module in layer.named_modules():
            yield module


def _rng_states(layers) -> dict:
    return {id(m): m.rng_state() for m in _modules(layers) if hasattr(m, "rng_state")}


def _drop_caches(layers) -> None:
    for module in _modules(layers):
        module.cache = None


def forward(layers: list, segments: int, x):
    """Run ``layers`` on ``x`` keeping only each segment's input; returns (output, starts)."""
    starts = []
    for run in split(layers, segments):
        starts.append(SegmentStart(run, x, _rng_states(run)))
        for layer in run:
            x = layer(x)
        _drop_caches(run)
    return x, starts


def _recompute(start: SegmentStart) -> None:
    """Replay a segment's forward from its stored input, as it ran the first time."""
    modules = {id(m): m for m in _modules(start.layers)}
    for key, state in start.rng_states.items():
        modules[key].set_rng_state(state)
    buffers = [(m, {k: v.copy() for k, v in m.state_dict().items()})
               for m in modules.values() if list(m.named_buffers())]
    x = start.x
    for layer in start.layers:
        x = layer(x)
    for module, state in buffers:  # running statistics move once per step, not twice
        module.load_state_dict(state)


def backward(starts: list, dout):
    """Backward through the segments, last first, recomputing each one's caches just before."""
    for start in reversed(starts):
        _recompute(start)
        for layer in reversed(start.layers):
            dout = layer.backward(dout)
        _drop_caches(start.layers)
    return dout
