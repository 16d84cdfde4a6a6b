"""Leaving a model as it was: its random layers' RNG states, and ``undisturbed`` forward passes.

Code that measures or checks a model (the memory report, graph pictures, gradient checks)
runs forward passes that would otherwise move BatchNorm's running statistics, advance
Dropout's random stream and overwrite the layers' caches; resumable checkpoints store the
RNG states so that a resumed run draws the same masks.
"""

from __future__ import annotations

from contextlib import contextmanager


def rng_states(model) -> dict:
    """``{dotted name: RNG state}`` of every sub-module that draws random numbers (Dropout)."""
    return {name: m.rng_state() for name, m in model.named_modules() if hasattr(m, "rng_state")}


def set_rng_states(model, states: dict) -> None:
    """Put back what ``rng_states`` returned: random layers continue exactly from there."""
    modules = dict(model.named_modules())
    for name, state in states.items():
        modules[name].set_rng_state(state)


@contextmanager
def undisturbed(model):
    """Forward passes inside this block leave no trace on ``model``.

    On exit the buffers (running statistics), the random layers' RNG states, every
    forward cache and every train/eval flag are what they were on entry.
    """
    modules = [m for _, m in model.named_modules()]
    buffers = [(array, array.copy()) for array in model.buffers()]
    rng = rng_states(model)
    saved = [(m, m.cache, m.training) for m in modules]
    try:
        yield model
    finally:
        for array, values in buffers:
            array[...] = values
        set_rng_states(model, rng)
        for m, cache, training in saved:
            m.cache = cache
            m.__dict__["_training"] = training
