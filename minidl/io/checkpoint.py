"""Resumable training checkpoints: everything needed to continue a run bit for bit.

One ``.npz`` (atomic, pickle-free, see ``minidl.io.npz``) holds the model's
weights, the optimizer's buffers, and as JSON metadata: the architecture, the
optimizer's hyper-parameters and step count, the epoch and global step reached,
the data loader's RNG state, each random layer's RNG state (Dropout masks), the
history so far and the run's configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..nn.snapshot import rng_states
from .checkpoint_checks import _Fail, check_against_model, check_records
from .model_file import architecture, model_from_record
from .npz import FileFormatError, read_npz, write_npz
from .validate import check_architecture

KIND = "training-checkpoint"


@dataclass
class TrainingState:
    """What ``load_checkpoint`` returns."""

    model: object
    optimizer_state: dict
    epoch: int
    step: int
    loader_state: dict
    layer_rng_states: dict
    history: list
    config: dict
    mixed_precision: dict | None = None


def save_checkpoint(path, *, model, optimizer, epoch: int, step: int, loader, history: list,
                    config: dict, mixed_precision=None) -> None:
    """Write a resumable checkpoint to ``path`` atomically (with float16 training's master
    weights and loss scale when ``mixed_precision`` is given)."""
    opt = optimizer.state_dict()
    arrays = {f"model/{name}": value for name, value in model.state_dict().items()}
    mp = mixed_precision.state_dict() if mixed_precision is not None else None
    if mp is not None:
        arrays.update({f"master/{i}": a for i, a in enumerate(mp.pop("master"))})
    for key, buffers in opt["state"].items():
        for i, buffer in enumerate(buffers):
            arrays[f"optimizer/{key}/{i}"] = buffer
    meta = {
        "kind": KIND,
        "architecture": architecture(model),
        "optimizer": {"type": type(optimizer).__name__, "hyper": opt["hyper"], "steps": opt["steps"],
                      "buffers": {key: len(buffers) for key, buffers in opt["state"].items()}},
        "epoch": epoch, "step": step, "loader": loader.state_dict(),
        "layer_rng_states": rng_states(model),
        "history": history, "config": config, "mixed_precision": mp,
    }
    write_npz(path, meta, arrays)


def load_checkpoint(path) -> TrainingState:
    """Read a checkpoint written by ``save_checkpoint``; ``FileFormatError`` if it is not one,
    or if any part of it — config, hyper-parameters, loader, RNG states, optimizer state,
    counters, history — is malformed or inconsistent (``minidl.io.checkpoint_checks``)."""
    fail = _Fail(path)

    def check(meta):
        if meta.get("kind") != KIND:
            raise fail("it is not a training checkpoint")
        check_records(meta, fail)
        check_architecture(meta["architecture"], path, _declared_values(meta))

    meta, arrays = read_npz(path, check=check)
    stray = [n for n in arrays if not n.startswith(("model/", "optimizer/", "master/"))]
    if stray:
        raise fail(f"it holds arrays no part of a checkpoint names: {stray[:4]}")
    try:
        weights = {name[len("model/"):]: a for name, a in arrays.items() if name.startswith("model/")}
        model = model_from_record(meta, weights, path)
        check_against_model(meta, arrays, model, fail)
        opt = meta["optimizer"]
        buffers = {key: [arrays[f"optimizer/{key}/{i}"] for i in range(count)]
                   for key, count in opt["buffers"].items()}
        optimizer_state = {"type": opt["type"], "hyper": opt["hyper"], "steps": opt["steps"],
                           "state": buffers}
        mp = meta.get("mixed_precision")
        if mp is not None:
            count = sum(name.startswith("master/") for name in arrays)
            mp = dict(mp, master=[arrays[f"master/{i}"] for i in range(count)])
        return TrainingState(model, optimizer_state, int(meta["epoch"]), int(meta["step"]),
                             meta["loader"], dict(meta["layer_rng_states"]), list(meta["history"]),
                             dict(meta["config"]), mp)
    except (KeyError, TypeError, ValueError) as err:
        if isinstance(err, FileFormatError):
            raise
        raise FileFormatError(f"cannot resume from {str(path)!r}: incomplete checkpoint ({err!r})") from None


def _declared_values(meta: dict) -> int:
    return sum(int(np.prod(info["shape"], dtype=np.float64)) for info in meta["arrays"].values()
               if isinstance(info.get("shape"), list))
