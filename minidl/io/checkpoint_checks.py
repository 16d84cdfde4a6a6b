"""A training checkpoint checked in full before anything trains from it.

``check_records`` runs on the JSON alone, before any array is read: the counters,
the loader's position and RNG state, the history, the optimizer's record and the
configuration, each typed and in range and consistent with the others (the
hyper-parameters with the config, the step with the epoch and the batches per
epoch, the history with the epoch). ``check_against_model`` runs once the model is
built: the optimizer state is loaded into a throwaway optimizer of the recorded type
(which checks it exactly as ``load_state_dict`` would), every random layer has its
RNG state, float16 master weights fit. ``check_resumable`` compares a checkpoint with
the model, optimizer and loader a resumed run has built, naming what changed.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..nn.snapshot import rng_states
from ..optim import SGD, Adam
from .npz import FileFormatError

OPTIMIZERS = {"SGD": SGD, "Adam": Adam}
HISTORY_REQUIRED = ("epoch", "train_loss", "train_accuracy", "lr", "seconds")


class _Fail:
    def __init__(self, path):
        self.path = path

    def __call__(self, reason: str) -> FileFormatError:
        return FileFormatError(f"cannot resume from {str(self.path)!r}: {reason}")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def batches_per_epoch(loader: dict) -> int:
    n, size = loader["num_samples"], loader["batch_size"]
    return n // size if loader["drop_last"] else -(-n // size)


def _check_pcg64(state, what: str, fail) -> None:
    try:
        np.random.PCG64().state = state
    except (TypeError, ValueError, KeyError, OverflowError) as err:
        raise fail(f"{what} is not a PCG64 state ({type(err).__name__}: {err})") from None


def check_records(meta: dict, fail) -> None:
    """Every JSON record of a checkpoint: types, ranges and mutual consistency."""
    for key in ("architecture", "optimizer", "epoch", "step", "loader", "layer_rng_states",
                "history", "config"):
        if key not in meta:
            raise fail(f"incomplete checkpoint (no {key!r} record)")
    config, opt, loader = meta["config"], meta["optimizer"], meta["loader"]
    if not isinstance(config, dict):
        raise fail(f"its config is a {type(config).__name__}, expected an object")
    _check_loader(loader, fail)
    epoch, step = meta["epoch"], meta["step"]
    if not _is_int(epoch) or epoch < 0:
        raise fail(f"epoch {epoch!r} is not a non-negative integer")
    if not _is_int(step) or step < 0:
        raise fail(f"step {step!r} is not a non-negative integer")
    total = config.get("epochs")
    if _is_int(total) and epoch > total:
        raise fail(f"epoch {epoch} is past the run's {total} epochs")
    expected_step = epoch * batches_per_epoch(loader) + loader["position"]
    if step != expected_step:
        raise fail(f"step {step} does not match epoch {epoch} × {batches_per_epoch(loader)} batches "
                   f"+ position {loader['position']} = {expected_step}")
    _check_history(meta["history"], epoch, fail)
    _check_optimizer_record(opt, config, fail)
    if not isinstance(meta["layer_rng_states"], dict):
        raise fail("its layer RNG states are not an object")
    for name, state in meta["layer_rng_states"].items():
        _check_pcg64(state, f"the RNG state of layer {name!r}", fail)
    mp = meta.get("mixed_precision")
    if mp is not None:
        if not isinstance(mp, dict):
            raise fail("its float16 training state is not an object")
        scale = mp.get("scale")
        if not _is_number(scale) or scale <= 0:
            raise fail(f"its float16 loss scale {scale!r} is not a positive number")
        for key in ("good_steps", "skipped_steps", "steps", "underflows"):
            if not _is_int(mp.get(key)) or mp[key] < 0:
                raise fail(f"its float16 counter {key!r} is {mp.get(key)!r}, not a non-negative integer")
    if config.get("dtype") == "float16" and mp is None:
        raise fail("its config trains in float16 but it holds no float16 training state")


def _check_loader(loader, fail) -> None:
    if not isinstance(loader, dict):
        raise fail("its data loader record is not an object")
    for key in ("num_samples", "batch_size", "position"):
        if not _is_int(loader.get(key)):
            raise fail(f"data loader {key} is {loader.get(key)!r}, not an integer")
    for key in ("shuffle", "drop_last"):
        if not isinstance(loader.get(key), bool):
            raise fail(f"data loader {key} is {loader.get(key)!r}, not true/false")
    if loader["num_samples"] < 1 or loader["batch_size"] < 1:
        raise fail(f"data loader has {loader['num_samples']} samples in batches of {loader['batch_size']}")
    batches = batches_per_epoch(loader)
    if not 0 <= loader["position"] < max(batches, 1):
        raise fail(f"data loader position {loader['position']} is outside the epoch's {batches} batches")
    _check_pcg64(loader.get("rng"), "the data loader's RNG state", fail)


def _check_history(history, epoch: int, fail) -> None:
    if not isinstance(history, list) or len(history) != epoch:
        count = len(history) if isinstance(history, list) else type(history).__name__
        raise fail(f"its history holds {count} records for {epoch} epochs")
    for i, record in enumerate(history):
        if not isinstance(record, dict):
            raise fail(f"history record {i + 1} is not an object")
        missing = [key for key in HISTORY_REQUIRED if key not in record]
        if missing:
            raise fail(f"history record {i + 1} lacks {missing}")
        if record["epoch"] != i + 1:
            raise fail(f"history record {i + 1} says epoch {record['epoch']!r}")
        bad = [key for key, value in record.items() if not _is_number(value)]
        if bad:
            raise fail(f"history record {i + 1} has non-numeric or non-finite {bad}")


def _check_optimizer_record(opt, config: dict, fail) -> None:
    if not isinstance(opt, dict) or opt.get("type") not in OPTIMIZERS:
        kind = opt.get("type") if isinstance(opt, dict) else opt
        raise fail(f"optimizer {kind!r} is not one of {sorted(OPTIMIZERS)}")
    hyper, buffers = opt.get("hyper"), opt.get("buffers")
    if not isinstance(hyper, dict) or not isinstance(buffers, dict) \
            or not all(_is_int(n) and n >= 0 for n in buffers.values()):
        raise fail("its optimizer record is malformed (hyper-parameters or buffer counts)")
    if not _is_int(opt.get("steps")) or opt["steps"] < 0:
        raise fail(f"optimizer steps {opt.get('steps')!r} is not a non-negative integer")
    named = config.get("optimizer")
    if isinstance(named, str) and named.lower() != opt["type"].lower():
        raise fail(f"its config says optimizer {named!r} but it holds an {opt['type']} state")
    for key in ("momentum", "weight_decay"):
        if key in config and key in hyper and config[key] != hyper[key]:
            raise fail(f"hyper-parameter {key} = {hyper[key]!r} but the run's config says {config[key]!r}")
    if opt["type"] == "SGD" and isinstance(config.get("nesterov"), bool) and "momentum" in config \
            and hyper.get("nesterov") != (config["nesterov"] and config["momentum"] > 0):
        raise fail(f"hyper-parameter nesterov = {hyper.get('nesterov')!r} disagrees with the run's config")


def check_against_model(meta: dict, arrays: dict, model, fail) -> None:
    """The optimizer state, RNG states and float16 masters against the built model."""
    opt = meta["optimizer"]
    buffers = {}
    for key, count in opt["buffers"].items():
        names = [f"optimizer/{key}/{i}" for i in range(count)]
        if not all(name in arrays for name in names):
            raise fail(f"optimizer buffers {key!r} are incomplete")
        buffers[key] = [arrays[name] for name in names]
    claimed = {f"optimizer/{key}/{i}" for key, count in opt["buffers"].items() for i in range(count)}
    stray = [n for n in arrays if n.startswith("optimizer/") and n not in claimed]
    if stray:
        raise fail(f"it holds optimizer arrays its record does not name: {stray[:4]}")
    params = model.parameters()
    if not params:
        raise fail("its model has no parameters to train")
    hyper = dict(opt["hyper"])
    probe = OPTIMIZERS[opt["type"]]([_float32_like(p) for p in params], **_constructor_args(opt["type"]))
    try:
        probe.load_state_dict({"hyper": hyper, "steps": opt["steps"], "state": buffers})
    except (TypeError, ValueError) as err:
        raise fail(str(err)) from None
    expected = set(rng_states(model))
    if set(meta["layer_rng_states"]) != expected:
        raise fail(f"it holds RNG states for layers {sorted(meta['layer_rng_states'])}, "
                   f"the model's random layers are {sorted(expected)}")
    dtype = meta["config"].get("dtype")
    if isinstance(dtype, str) and dtype != params[0].data.dtype.name:
        raise fail(f"its config says dtype {dtype} but its model is {params[0].data.dtype.name}")
    masters = [name for name in arrays if name.startswith("master/")]
    if meta.get("mixed_precision") is not None:
        shapes = [np.shape(arrays.get(f"master/{i}")) for i in range(len(masters))]
        if shapes != [p.data.shape for p in params]:
            raise fail("its float16 master weights do not fit the model's parameters")
        for name in masters:
            if arrays[name].dtype != np.float32 or not np.isfinite(arrays[name]).all():
                raise fail(f"float16 master weight {name!r} is not finite float32")
    elif masters:
        raise fail("it holds float16 master weights but no float16 training state")


def _float32_like(param):
    from ..nn.module import Parameter
    return Parameter(np.zeros(param.data.shape, dtype=np.float32))


def _constructor_args(kind: str) -> dict:
    return {"lr": 0.1} if kind == "SGD" else {}


def _differences(old, new, where: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new), key=str):
            found += _differences(old.get(key), new.get(key), f"{where}.{key}" if where else str(key))
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in _differences(a, b, f"{where}[{i}]")]
    return [] if old == new else [f"{where or 'value'}: {old!r} → {new!r}"]


def check_resumable(state, model, loader, path) -> None:
    """Refuse to resume ``state`` into the ``model``/``loader`` a run built from its settings and
    today's data, naming what changed (rows, columns or classes added to the data file)."""
    from .model_file import architecture

    fail = _Fail(path)
    stored, built = state.loader_state, loader.state_dict()
    changed = [f"{key} {stored[key]!r} → {built[key]!r}"
               for key in ("num_samples", "batch_size", "shuffle", "drop_last") if stored[key] != built[key]]
    if changed:
        raise fail("the training data or loader changed since the checkpoint (" + ", ".join(changed) + "); "
                   "resume with the data it was trained on, or start a new run")
    differences = _differences(architecture(state.model), architecture(model))
    if differences:
        raise fail("the model these settings and data build differs from the checkpoint's ("
                   + "; ".join(differences[:4]) + "): did the data file gain or lose columns or classes?")
